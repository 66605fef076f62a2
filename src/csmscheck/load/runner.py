"""A whole ``csmscheck load`` run: the target, the worker processes, the live view, the verdicts
and the reports.

Each worker process runs a contiguous slice of this shard's stations on the shared
schedule and sends a small snapshot once a second and its full metrics at the end; the
parent samples the CSMS's process, merges everything exactly and writes the reports. With
one process the slice runs in the parent itself. Ctrl-C stops the run early: the
stations close and the report of what ran is still written.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import signal
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from multiprocessing.connection import Connection
from typing import Any

import psutil  # type: ignore[import-untyped]

from csmscheck.gc_tuning import tune_for_many_connections
from csmscheck.load.bundled_target import BundledCsmsFailed, BundledTarget, start_bundled
from csmscheck.load.live import LiveView
from csmscheck.load.metrics import Metrics
from csmscheck.load.options import LoadOptions
from csmscheck.load.report import build_load_json, write_reports
from csmscheck.load.slo import evaluate
from csmscheck.load.worker import Slice, run_slice

START_DELAY_S = 2.0  # without --start-at the schedule starts this long after the workers are spawned
EXIT_OK, EXIT_SLO_BROKEN, EXIT_USAGE = 0, 1, 2


def run_load(options: LoadOptions) -> int:
    """The run's exit status. A process running thousands of stations first calls
    :func:`prepare_process` (the CLI does; a test need not)."""
    return asyncio.run(_run(options))


def prepare_process() -> None:
    """Garbage-collector settings for many connections, and uvloop where it is installed."""
    tune_for_many_connections()
    _use_uvloop()


async def _run(options: LoadOptions) -> int:
    target: BundledTarget | None = None
    url, csms_pid, password = options.target, options.csms_pid, options.password
    if url is None:
        print(f"starting the bundled reference CSMS with {options.stations} stations provisioned …", flush=True)
        try:
            target = await start_bundled(options)
        except BundledCsmsFailed as exc:
            print(f"csmscheck load: error: {exc}", file=sys.stderr)
            return EXIT_USAGE
        url, csms_pid, password = target.url, target.pid, target.password
    try:
        options = replace(options, password=password)
        start_at = options.start_at or time.time() + START_DELAY_S
        slices = _slices(options, url, start_at)
        csms = Metrics(start_at)  # the CSMS's process samples, merged with the workers' metrics
        with LiveView(options, enabled=options.live) as view:
            if len(slices) == 1:
                parts, interrupted = await _in_process(slices[0], csms, csms_pid, view)
            else:
                parts, interrupted = await _in_processes(slices, csms, csms_pid, view)
        metrics = csms
        for part in parts:
            metrics.merge(part)
        return _report(options, metrics, start_at, url, interrupted)
    finally:
        if target is not None:
            await target.stop()


def _slices(options: LoadOptions, url: str, start_at: float) -> list[Slice]:
    indices = options.indices()
    count = max(1, min(options.processes, len(indices)))
    size, extra = divmod(len(indices), count)
    slices, first = [], indices.start
    for k in range(count):
        length = size + (1 if k < extra else 0)
        slices.append(Slice(options, range(first, first + length), url, start_at,
                            seed=options.shard[0] * 1_000 + k))
        first += length
    return slices


async def _measure(work: Slice, k: int, stop: asyncio.Event, each_second: Callable[[Metrics], None]) -> Metrics:
    """Run the ``k``-th slice of this shard, its metrics served to Prometheus while it runs."""
    metrics = Metrics(work.start_at)
    serving = _serve_prometheus(work, metrics, k)
    try:
        await run_slice(work, metrics, stop, each_second)
    finally:
        if serving:
            serving()
    return metrics


async def _in_process(work: Slice, csms: Metrics, csms_pid: int | None, view: LiveView) -> tuple[list[Metrics], bool]:
    stop = asyncio.Event()
    sampler = _CsmsSampler(csms_pid)
    forget_ctrl_c = _on_ctrl_c(stop.set)
    _announce(work)

    def each_second(m: Metrics) -> None:
        sampler.sample(csms)
        view.update([m.snapshot()], sampler.last)

    try:
        metrics = await _measure(work, 0, stop, each_second)
    finally:
        forget_ctrl_c()
    return [metrics], stop.is_set()


async def _in_processes(slices: list[Slice], csms: Metrics, csms_pid: int | None,
                        view: LiveView) -> tuple[list[Metrics], bool]:
    context = multiprocessing.get_context("spawn")
    pipes: list[Connection] = []
    processes = []
    for k, work in enumerate(slices):
        parent_end, child_end = context.Pipe()
        process = context.Process(target=_worker_main, args=(work, child_end, k), name=f"csmscheck-load-{k}",
                                  daemon=True)
        process.start()
        child_end.close()
        pipes.append(parent_end)
        processes.append(process)
    sampler = _CsmsSampler(csms_pid)
    snapshots: list[dict[str, Any]] = [{} for _ in slices]
    results: list[Metrics | None] = [None] * len(slices)
    stop_sent = False
    interrupted = asyncio.Event()
    forget_ctrl_c = _on_ctrl_c(interrupted.set)
    _announce(slices[0])
    try:
        while any(result is None for result in results):
            if interrupted.is_set() and not stop_sent:
                for pipe in pipes:
                    pipe.send("stop")
                stop_sent = True
            for k, pipe in enumerate(pipes):
                while results[k] is None and pipe.poll():
                    try:
                        kind, data = pipe.recv()
                    except EOFError:
                        results[k] = _lost_worker(slices[k], processes[k].exitcode)
                        break
                    if kind == "second":
                        snapshots[k] = data
                    else:
                        results[k] = Metrics.from_dict(data)
                if results[k] is None and not processes[k].is_alive() and not pipe.poll():
                    results[k] = _lost_worker(slices[k], processes[k].exitcode)
            sampler.sample(csms)
            view.update([s for s in snapshots if s], sampler.last)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(interrupted.wait(), 0.25 if stop_sent else 1.0)
    finally:
        forget_ctrl_c()
        for process in processes:
            process.join(10)
    return [result for result in results if result is not None], stop_sent


def _on_ctrl_c(callback: Callable[[], None]) -> Callable[[], None]:
    """Ctrl-C calls ``callback`` (when the run owns the main thread); returns how to undo that."""
    loop = asyncio.get_running_loop()
    try:
        loop.add_signal_handler(signal.SIGINT, callback)
    except RuntimeError:  # run from another thread (a library use): Ctrl-C is that program's business
        return lambda: None

    def forget() -> None:
        loop.remove_signal_handler(signal.SIGINT)

    return forget


def _announce(work: Slice) -> None:
    options = work.options
    print(f"running {len(options.indices())} stations ({options.profile.name}) against {work.url} for "
          f"{options.duration_s:g} s; Ctrl-C stops early and still writes the report", flush=True)


def _lost_worker(work: Slice, exitcode: int | None) -> Metrics:
    metrics = Metrics(work.start_at)
    metrics.inconsistency("worker process lost", f"stations {work.indices.start}…{work.indices.stop - 1} "
                          f"(exit code {exitcode}): their measurements are missing")
    return metrics


def _worker_main(work: Slice, pipe: Connection, k: int) -> None:
    """A worker process: its slice, a snapshot a second, its metrics at the end."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when to stop and says so
    prepare_process()

    async def main() -> None:
        stop = asyncio.Event()

        def each_second(m: Metrics) -> None:
            if pipe.poll() and pipe.recv() == "stop":
                stop.set()
            pipe.send(("second", m.snapshot()))

        metrics = await _measure(work, k, stop, each_second)
        pipe.send(("done", metrics.to_dict()))

    asyncio.run(main())
    pipe.close()


def _serve_prometheus(work: Slice, metrics: Metrics, k: int) -> Any:
    """Each process serves its own metrics on --metrics-port + its index within the shard."""
    if work.options.metrics_port is None:
        return None
    from csmscheck.load.prometheus import serve_metrics

    index, count = work.options.shard
    return serve_metrics(metrics, work.options.metrics_port + k, {"shard": f"{index}/{count}", "process": str(k)})


class _CsmsSampler:
    """RSS and CPU of the CSMS's process, once a second, when it runs on this machine."""

    def __init__(self, pid: int | None) -> None:
        self.process: psutil.Process | None = None
        self.last: str | None = None  # the latest sample, for the live view
        self._last = 0.0
        if pid is not None:
            try:
                self.process = psutil.Process(pid)
                self.process.cpu_percent()  # the first reading only starts the measurement
            except psutil.Error:
                print(f"--csms-pid {pid}: no such process here; its memory and CPU are not sampled", file=sys.stderr)

    def sample(self, metrics: Metrics) -> None:
        now = time.time()
        if self.process is None or now - self._last < 0.99:
            return
        self._last = now
        try:
            rss_mb, cpu = self.process.memory_info().rss / 2**20, self.process.cpu_percent()
            metrics.csms_sample(now, rss_mb, cpu)
            self.last = f"{rss_mb:.0f} MB, {cpu:.0f}% CPU"
        except psutil.Error:
            self.process = None  # it ended: the samples stop there


def _report(options: LoadOptions, metrics: Metrics, start_at: float, url: str, interrupted: bool) -> int:
    duration_s = max(0.0, min(time.time(), start_at + options.duration_s) - start_at)
    stations = len(options.indices())
    verdicts = evaluate(list(options.slo), metrics, stations, duration_s)
    meta = {"scenario": options.profile.scenario, "profile": options.profile.name, "ocpp": options.profile.ocpp,
            "target": options.target or f"bundled ({url})", "shard": f"{options.shard[0]}/{options.shard[1]}",
            "processes": options.processes, "ramp_per_s": options.ramp_per_s, "id_pattern": options.id_pattern,
            "started_at": start_at, "interrupted": interrupted}
    load_json = build_load_json(metrics, stations=stations, duration_s=duration_s, verdicts=verdicts,
                                rules_text=options.slo_text, meta=meta)
    write_reports(options.report_dir, load_json)
    summary = load_json["summary"]
    print(f"{stations} stations, {summary['messages']} messages in {duration_s:.0f} s "
          f"({summary['msg_per_s']:.0f}/s); errors {summary['errors']}, timeouts {summary['timeouts']}, "
          f"connect failures {summary['connect_failures']}" + (" — interrupted" if interrupted else ""))
    for verdict in verdicts:
        print(f"SLO {'held ' if verdict.passed else 'BROKEN'} {verdict.message}")
    print(f"Reports: {options.report_dir / 'load.json'}, {options.report_dir / 'junit.xml'}, "
          f"{options.report_dir / 'load.html'}")
    return EXIT_SLO_BROKEN if any(not verdict.passed for verdict in verdicts) else EXIT_OK


def _use_uvloop() -> None:
    """uvloop (a dependency except on Windows): a cheaper event loop for thousands of sockets."""
    try:
        import uvloop
    except ImportError:
        return
    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
