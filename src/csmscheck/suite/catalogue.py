"""Every OCTT CSMS test case id of the two test case documents, implemented or not.

OCPP 2.0.1: 252 cases in blocks A–P (OCTT Part 6, CSMS scenarios); OCPP 1.6J: 75 cases
TC_001–TC_087 in chapters 3.1–3.21 (OCTT test case document, Central System as SUT).
Ids are written without the ``_CSMS`` suffix, as ``@octt`` normalises them. The lists are
in document order; they let the capability profiles name cases of blocks that are not
implemented yet, and let the project's tests check that every implemented case is real.
"""

from __future__ import annotations

from dataclasses import dataclass

V201_BLOCKS: dict[str, str] = {  # block -> case numbers (TC_<block>_<number>)
    "A": "01 02 03 04 06 07 08 09 10 11 12 13 14 19",
    "B": "01 02 06 07 08 09 10 12 13 14 18 20 21 22 25 26 27 30 31 42 44 58",
    "C": "02 06 07 08 20 37 38 39 40 43 47 48 49 50 51 52",
    "D": "01 02 03 04 08 09",
    "E": "01 02 03 04 07 08 09 10 11 12 14 15 16 17 19 20 21 22 26 29 30 31 33 34 38 39 53",
    "F": "01 02 03 04 06 11 12 13 14 15 18 20 23 24 27",
    "G": "03 04 05 06 07 08 11 14 17 20",
    "H": "01 07 08 14 15 17 19 20 22",
    "I": "01 02",
    "J": "01 02 03 04 07 08 09 10 11",
    "K": "01 02 03 04 05 06 08 10 15 19 29 30 31 32 33 34 35 36 37 43 44 48 50 51 52 53 55 57 58 59 60 70",
    "L": "01 02 03 04 05 06 07 08 09 10 11 13 17 19 20 21 22 23 24",
    "M": "01 02 03 04 05 12 13 14 15 16 17 18 19 20 21 24 26 28",
    "N": "01 02 03 05 08 09 16 17 18 21 24 25 27 28 29 30 31 32 34 35 36 44 46 47 48 49 50 60 62 63",
    "O": "01 02 03 04 05 06 07 08 09 10 11 12 13 14 17 18 19 25 26 27 28",
    "P": "02 03",
}

V16_CHAPTERS: dict[str, str] = {  # chapter -> case numbers (TC_<number>)
    "3.1": "001",
    "3.2": "003 004_1 004_2 005_1",
    "3.3": "007 061",
    "3.4": "010 011_1 011_2 012",
    "3.5": "013 014",
    "3.6": "017_1 017_2 018_1",
    "3.7": "019_1 019_2 021",
    "3.8": "023_1 023_2 023_3 024",
    "3.9": "026 028",
    "3.10": "030 031",
    "3.11": "032_1",
    "3.12": "037_1 037_3 039",
    "3.13": "040_1 040_2",
    "3.14": "042_1 042_2 043_1 043_3 043_4 043_5",
    "3.15": "044_1 044_2 044_3",
    "3.16": "045_1 045_2",
    "3.17": "046 047 048_1 048_2 048_3 048_4 049 051 052 053",
    "3.18": "054 055",
    "3.19": "056 057 066 067 059",
    "3.20": "064",
    "3.21": "073 074 075_1 075_2 076 077 078 079 080 081 085 086 087",
}


@dataclass(frozen=True)
class CatalogueCase:
    id: str
    version: str
    block: str  # 2.0.1 block letter or 1.6 chapter


def _build() -> dict[str, CatalogueCase]:
    cases: dict[str, CatalogueCase] = {}
    for block, numbers in V201_BLOCKS.items():
        for number in numbers.split():
            case = CatalogueCase(f"TC_{block}_{number}", "2.0.1", block)
            cases[case.id] = case
    for chapter, numbers in V16_CHAPTERS.items():
        for number in numbers.split():
            case = CatalogueCase(f"TC_{number}", "1.6", chapter)
            cases[case.id] = case
    return cases


CATALOGUE: dict[str, CatalogueCase] = _build()
"""Every case id of both documents (327), in document order: 2.0.1 A–P, then 1.6."""


def ids_in(version: str, block: str) -> tuple[str, ...]:
    """The catalogued ids of one 2.0.1 block or 1.6 chapter."""
    return tuple(c.id for c in CATALOGUE.values() if c.version == version and c.block == block)
