"""``csmscheck load merge DIR [DIR ...]``: the shards of one run as one report, merged exactly.

Each shard's ``load.json`` carries its full metrics; they are added (histograms merged,
never averaged), the shards' SLO rules are evaluated again on the sum, and the three files
are written. Shards must be of one run: the same ``started_at`` (``--start-at``), the same
SLO rules, scenario, profile and OCPP version, the same shard count, each shard once.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from csmscheck.load.metrics import Metrics
from csmscheck.load.report import build_load_json, read_load_json, write_reports
from csmscheck.load.slo import evaluate, parse_slo

SAME_RUN = ("scenario", "profile", "ocpp")  # meta keys every shard of one run shares, when present


def _shard(meta: dict[str, Any]) -> tuple[int, int] | None:
    """``meta["shard"]`` ("I/N") as numbers; None when absent or unreadable."""
    index, _, count = str(meta.get("shard", "")).partition("/")
    return (int(index), int(count)) if index.isdigit() and count.isdigit() else None


def _check_one_run(reports: list[tuple[Path, dict[str, Any]]]) -> None:
    """ValueError (one line) unless every report is a different shard of the first one's run."""
    first_path, first = reports[0]

    def differ(what: str, path: Path, ours: object, theirs: object) -> ValueError:
        return ValueError(f"{path} is not a shard of the run in {first_path}: {what} {theirs!r} "
                          f"differs from {ours!r}")

    seen: dict[tuple[int, int], Path] = {}
    for path, data in reports:
        if data.get("started_at") != first.get("started_at"):
            raise differ("started_at", path, first.get("started_at"), data.get("started_at"))
        if data.get("slo_rules") != first.get("slo_rules"):
            raise differ("the SLO", path, first.get("slo_rules"), data.get("slo_rules"))
        meta, first_meta = data.get("meta") or {}, first.get("meta") or {}
        for key in SAME_RUN:
            if key in meta and key in first_meta and meta[key] != first_meta[key]:
                raise differ(key, path, first_meta[key], meta[key])
        shard = _shard(meta)
        if shard is None:
            continue
        if shard in seen:
            raise ValueError(f"{path} and {seen[shard]} are the same shard {shard[0]}/{shard[1]}")
        first_shard = _shard(first_meta)
        if first_shard is not None and shard[1] != first_shard[1]:
            raise differ("the shard count of", path, f"{first_shard[0]}/{first_shard[1]}", f"{shard[0]}/{shard[1]}")
        seen[shard] = path


def _merged_meta(reports: list[tuple[Path, dict[str, Any]]]) -> dict[str, Any]:
    meta = dict(reports[0][1].get("meta") or {})
    shards = [str((data.get("meta") or {}).get("shard", path)) for path, data in reports]
    meta["shard"] = f"merged {len(reports)}: " + ", ".join(shards)
    meta["shards"] = shards
    meta["processes"] = sum(int((data.get("meta") or {}).get("processes") or 1) for _, data in reports)
    meta["interrupted"] = any((data.get("meta") or {}).get("interrupted") for _, data in reports)
    numbered = [_shard(data.get("meta") or {}) for _, data in reports]
    if numbered and all(numbered):
        count = numbered[0][1]  # type: ignore[index]
        missing = [f"{i}/{count}" for i in range(count) if (i, count) not in numbered]
        if missing:
            meta["missing_shards"] = missing  # a partial merge is allowed, and said
    return meta


def merge_reports(dirs: list[Path], report_dir: Path) -> int:
    """Merge the ``load.json`` of each shard directory into ``report_dir``'s three files.

    Returns 0 when every SLO held (or none was given), 1 when one broke. Raises ValueError
    (one line) for a missing or unreadable ``load.json``, or for shards of different runs.
    """
    if not dirs:
        raise ValueError("load merge: give at least one report directory")
    resolved = [Path(d).resolve() for d in dirs]
    for i, path in enumerate(resolved):
        if path in resolved[:i]:
            raise ValueError(f"{dirs[i]} is given twice")
    reports = [(Path(d) / "load.json", read_load_json(Path(d) / "load.json")) for d in dirs]
    _check_one_run(reports)
    metrics: Metrics | None = None
    for path, data in reports:
        try:
            part = Metrics.from_dict(data["metrics"])
        except ValueError as exc:
            raise ValueError(f"{path}: {exc}") from None
        if metrics is None:
            metrics = part
        else:
            metrics.merge(part)
    assert metrics is not None
    rules_text = reports[0][1].get("slo_rules")
    try:
        rules = parse_slo(rules_text) if rules_text else []
    except ValueError as exc:
        raise ValueError(f"{reports[0][0]}: {exc}") from None
    stations = sum(int(data["summary"]["stations"]) for _, data in reports)
    duration_s = max(float(data["summary"]["duration_s"]) for _, data in reports)
    verdicts = evaluate(rules, metrics, stations, duration_s)
    load_json = build_load_json(metrics, stations=stations, duration_s=duration_s, verdicts=verdicts,
                                rules_text=rules_text, meta=_merged_meta(reports))
    write_reports(report_dir, load_json)
    return 0 if all(v.passed for v in verdicts) else 1
