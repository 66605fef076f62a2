"""csmscheck fuzz: the reference CSMS comes out clean, and deliberately broken CSMSs are caught, each finding
under the rule it breaks (issue 14 point 6)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import orjson
import pytest

from csmscheck.bundled import BundledCsms
from csmscheck.cli import main
from csmscheck.csms.connection import StationConnection
from csmscheck.fuzz import schema
from csmscheck.fuzz.cases import make_case
from csmscheck.fuzz.command import parse_budget
from csmscheck.fuzz.minimise import smaller
from csmscheck.fuzz.mutate import CATEGORIES, mutate
from csmscheck.fuzz.runner import Fuzzer, FuzzOptions
from csmscheck.fuzz.schema import NothingToFuzz, station_actions, usable_actions, valid_payload
from csmscheck.settings import load_settings
from csmscheck.verdicts import Verdicts
from csmscheck.wire.errors import ErrorCode
from csmscheck.wire.frames import CallError
from csmscheck.wire.schemas import request_schema, validators
from csmscheck.wire.versions import OcppVersion

SETTINGS = load_settings(environ={})
FRAMES = 400


def _fuzz(csms: BundledCsms, version: OcppVersion, frames: int = FRAMES, seed: int = 5) -> Verdicts:
    station = SETTINGS.cp201_sp1 if version == "2.0.1" else SETTINGS.cp16_sp1
    options = FuzzOptions(version, csms.endpoints.ws, [station], SETTINGS.basic_auth_password,
                          station_actions(version), seed, frames, timeout=3.0)  # trigger sequences: the CLI test
    return asyncio.run(Fuzzer(options).run())


def _broken(verdicts: Verdicts) -> dict[str, list[str]]:
    return {r.id: [f.message for f in verdicts.findings(r.id)] for r in verdicts.failed_rules()}


# -- the generator ----------------------------------------------------------------------------


@pytest.mark.parametrize("version", ["1.6", "2.0.1"])
def test_valid_payloads_are_valid_and_each_mutation_breaks_its_schema(version: OcppVersion) -> None:
    import random

    for action in station_actions(version):
        for category in CATEGORIES:
            rng = random.Random(f"{action}{category}")
            payload = valid_payload(version, action, 7, rng)
            assert not validators(version).check(action, payload, response=False)
            mutated = mutate(request_schema(version, action), payload, category, rng)
            if mutated is not None and category != "control-characters":
                assert validators(version).check(action, mutated[0], response=False), (action, category, mutated)


def test_an_action_hypothesis_jsonschema_cannot_draw_falls_back_then_is_left_out(
        monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    real, seen = schema.draw, []

    def full_schema_fails(drawn: schema.Schema, size: int, seed: int) -> list[Any]:
        seen.append(drawn)
        if len(seen) == 1:  # the whole schema: the library gives up
            raise ValueError("unsatisfiable pattern")
        return real(drawn, size, seed)

    monkeypatch.setattr(schema, "draw", full_schema_fails)
    payloads = schema.payload_pool("2.0.1", "BootNotification", 123_456)
    assert payloads and all(set(p) == {"chargingStation", "reason"} for p in payloads)
    assert all(set(p["chargingStation"]) == {"model", "vendorName"} for p in payloads)
    assert "from its required fields only" in caplog.text

    def fails_with_fields(drawn: schema.Schema, size: int, seed: int) -> list[Any]:
        if drawn.get("properties"):  # Authorize's schemas (whole and required only), never Heartbeat's {}
            raise RecursionError("too deep")
        return real(drawn, size, seed)

    monkeypatch.setattr(schema, "draw", fails_with_fields)
    assert usable_actions("2.0.1", ("Heartbeat", "Authorize"), 123_457) == ("Heartbeat",)
    assert "Authorize is left out of the run" in caplog.text
    with pytest.raises(NothingToFuzz):
        usable_actions("2.0.1", ("Authorize",), 123_458)


def test_a_pool_keeps_only_valid_payloads_orjson_can_write(monkeypatch: pytest.MonkeyPatch) -> None:
    def meter(value: Any) -> dict[str, Any]:
        return {"evseId": 0, "meterValue": [{"timestamp": "2024-01-01T00:00:00Z", "sampledValue": [{"value": value}]}]}

    drawn = [meter(1.5), meter(2**70), meter("1.5"), meter(1.5), {"evseId": 0}]  # valid but too big, invalid, twice
    monkeypatch.setattr(schema, "draw", lambda _schema, _size, _seed: drawn)
    assert schema.payload_pool("2.0.1", "MeterValues", 99_999) == (meter(1.5),)


def test_a_frame_is_the_same_for_the_same_seed_and_number() -> None:
    pool = schema.payload_pool("2.0.1", "Authorize", 9)
    schema.payload_pool.cache_clear()  # drawn again by hypothesis, as a later run with --seed 9 would
    assert schema.payload_pool("2.0.1", "Authorize", 9) == pool != schema.payload_pool("2.0.1", "Authorize", 10)
    actions = station_actions("2.0.1")
    first = [make_case("2.0.1", actions, 9, i).text for i in range(50)]
    schema.payload_pool.cache_clear()  # the frames of a later run: every pool drawn afresh
    assert [make_case("2.0.1", actions, 9, i).text for i in range(50)] == first


def test_minimising_never_drops_or_moves_the_mutated_place() -> None:
    payload = {"a": [{"x": 1}, {"z": 2}], "b": {"c": "long"}}
    variants = list(smaller(payload, ("a", 1, "z")))
    assert all(v["a"][-1] == {"z": 2} and len(v["a"]) in (1, 2) for v in variants)
    assert {"a": [{"x": 1}, {"z": 2}]} in variants and not any(v["a"] == [{"z": 2}] for v in variants)


def test_budget_parsing() -> None:
    assert (parse_budget("10000").frames, parse_budget("5m").seconds, parse_budget("90s").seconds) == (10000, 300, 90)


def test_a_bad_budget_or_action_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["fuzz", "--budget", "lots"]) == 2
    assert main(["fuzz", "--ocpp", "1.6", "--actions", "TransactionEvent"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert "--budget" in err[0] and "TransactionEvent" in err[1]


# -- against the reference CSMS ----------------------------------------------------------------


@pytest.mark.parametrize("version", ["1.6", "2.0.1"])
def test_the_reference_csms_comes_out_clean(bundled: BundledCsms, version: OcppVersion) -> None:
    verdicts = _fuzz(bundled, version)
    assert len(verdicts.rules) >= 10
    assert not verdicts, _broken(verdicts)


def test_the_command_writes_its_reports_and_exits_0(tmp_path: Path) -> None:
    assert main(["fuzz", "--budget", "150", "--seed", "3", "--report-dir", str(tmp_path)]) == 0
    report = orjson.loads((tmp_path / "fuzz.json").read_bytes())
    assert report["summary"]["findings"] == 0 and [r["ocpp"] for r in report["summary"]["runs"]] == ["2.0.1", "1.6"]
    assert (tmp_path / "junit.xml").read_text().count("<testcase") == report["summary"]["rules"]
    assert "csmscheck fuzz" in (tmp_path / "fuzz.html").read_text()


# -- deliberately broken CSMSs ------------------------------------------------------------------


def _patched_error(describe: Callable[[StationConnection, ErrorCode, str], tuple[str, str]]) -> Any:
    def error(self: StationConnection, unique_id: str, code: ErrorCode, description: str) -> CallError:
        wire_code, text = describe(self, code, description)
        return CallError(unique_id, wire_code, text)
    return error


def test_a_16_csms_answering_with_20_codes_is_caught(bundled: BundledCsms, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(StationConnection, "_error", _patched_error(lambda _s, code, text: (code.value, text)))
    verdicts = _fuzz(bundled, "1.6")
    broken = _broken(verdicts)
    assert any("FormatViolation is an OCPP 2.0.1 code" in m for m in broken["OCPPJ-16-4.2.3"]), broken
    found = verdicts.findings("OCPPJ-16-4.2.3")
    assert all(f.reproduce.startswith("csmscheck fuzz --ocpp 1.6 --seed 5 --budget ") for f in found)
    assert any(f.extra["minimised"] and len(f.sent) < 200 for f in found)  # shrunk to the field that matters


def test_a_csms_that_drops_the_connection_on_bad_json_is_caught(bundled: BundledCsms,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    receive: Callable[[StationConnection, str], Awaitable[None]] = StationConnection._receive

    async def drop_on_bad_json(self: StationConnection, text: str) -> None:
        try:
            orjson.loads(text)
        except orjson.JSONDecodeError:
            await self.ws.close()
            return
        await receive(self, text)

    monkeypatch.setattr(StationConnection, "_receive", drop_on_bad_json)
    broken = _broken(_fuzz(bundled, "2.0.1"))
    assert any("closed the connection" in m for m in broken["OCPPJ-201-CONNECTION"]), broken


def test_a_csms_that_echoes_a_traceback_is_caught(bundled: BundledCsms, monkeypatch: pytest.MonkeyPatch) -> None:
    trace = 'Traceback (most recent call last):\n  File "/app/csms/router.py", line 88, in route\nKeyError: "idTag"'
    monkeypatch.setattr(StationConnection, "_error", _patched_error(
        lambda s, code, _text: (_spelled(s, code), trace)))
    broken = _broken(_fuzz(bundled, "1.6", frames=100))
    assert set(broken) == {"CSMSCHECK-16-LEAK"}, broken


def test_a_20_csms_with_overlong_descriptions_is_caught(bundled: BundledCsms, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(StationConnection, "_error", _patched_error(
        lambda s, code, text: (_spelled(s, code), (text + " ") * 60)))
    broken = _broken(_fuzz(bundled, "2.0.1", frames=100))
    assert "OCPPJ-201-4.2.3-DESCRIPTION" in broken, broken


def _spelled(connection: StationConnection, code: ErrorCode) -> str:
    from csmscheck.wire.errors import error_code

    return error_code(code, connection.version)
