"""`csmscheck load` settings: a wrong one stops the run with one line, before anything connects."""

from __future__ import annotations

from pathlib import Path

import pytest

from csmscheck.cli import main
from csmscheck.load.options import make_options, parse_duration, parse_shard
from csmscheck.load.profile import load_profile


@pytest.mark.parametrize(("argv", "named"), [
    (["--stations", "0"], "--stations"),
    (["--duration", "soon"], "--duration"),
    (["--duration", "0s"], "--duration"),
    (["--ramp", "-5"], "--ramp"),
    (["--target", "http://csms"], "--target"),
    (["--target", "wss://csms:443/ocpp"], "--pki-dir"),
    (["--id-pattern", "LOAD"], "--id-pattern"),
    (["--id-pattern", "LOAD{m}"], "--id-pattern"),
    (["--id-pattern", "L O A D{n}"], "--id-pattern"),
    (["--processes", "0"], "--processes"),
    (["--shard", "2/2"], "--shard"),
    (["--shard", "half"], "--shard"),
    (["--start-at", "tomorrow"], "--start-at"),
    (["--start-at", "2026-11-29T12:00:00"], "time zone"),
    (["--slo", "p99<fast"], "p99<fast"),
    (["--metrics-port", "70000"], "--metrics-port"),
    (["--validate-sample", "2"], "--validate-sample"),
    (["--profile", "sunny"], "sunny"),
    (["--stations", "40000", "--processes", "1"], "--processes"),
    (["merge"], "merge"),
    (["unmerge", "a"], "merge"),
])
def test_a_wrong_setting_stops_with_one_line(argv: list[str], named: str, capsys: pytest.CaptureFixture[str],
                                             tmp_path: Path) -> None:
    assert main(["load", "--report-dir", str(tmp_path), *argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith("csmscheck load: error: ") and err.count("\n") == 1, err
    assert named in err
    assert not (tmp_path / "load.json").exists()


def test_durations_and_shards_read_as_people_write_them() -> None:
    assert [parse_duration(t, "--duration") for t in ("60", "60s", "5m", "2h", "500ms")] == [60, 60, 300, 7200, 0.5]
    assert parse_shard("1/3") == (1, 3)


def test_shards_slice_the_station_ids_without_gap_or_overlap() -> None:
    def slices(stations: int, count: int) -> list[range]:
        return [make_options(stations=stations, profile=load_profile("steady"), duration="1s", ramp=None,
                             target=None, id_pattern="LOAD{n:05d}", password=None, pki_dir=None, processes=1,
                             shard=f"{i}/{count}", start_at=None, csms_pid=None, slo=None, metrics_port=None,
                             report_dir=Path("."), validate_sample=0, live=False).indices() for i in range(count)]

    for stations, count in ((10, 3), (1000, 7), (2, 2), (5, 1)):
        parts = slices(stations, count)
        assert [n for part in parts for n in part] == list(range(stations))
        assert max(map(len, parts)) - min(map(len, parts)) <= 1
