"""``--metrics-port``: a Prometheus endpoint over a live :class:`Metrics`, read at scrape time.

Exposed (each sample also carries the given labels, e.g. ``shard="0/2"``):

- ``csmscheck_load_calls_total{action,outcome}``: outcome ``answered``, ``callerror`` or ``timeout``;
- ``csmscheck_load_callerrors_total{action,code}``, ``csmscheck_load_timeouts_total{action}``;
- ``csmscheck_load_latency_seconds{action,quantile}``: a summary of the answer times from the
  action's HdrHistogram (quantiles 0.5 0.9 0.95 0.99 0.999 1), with ``_count`` and ``_sum``
  (``_sum`` is the histogram's mean times its count: within its 3 significant digits);
- ``csmscheck_load_connected``, ``csmscheck_load_connect_attempts_total``,
  ``csmscheck_load_connects_total``, ``csmscheck_load_connect_failures_total{cause}``,
  ``csmscheck_load_disconnects_total``;
- ``csmscheck_load_inconsistencies_total{kind}``, ``csmscheck_load_schema_violations_total{action}``;
- ``csmscheck_load_csms_rss_bytes`` and ``csmscheck_load_csms_cpu_percent`` once sampled.

The HTTP server runs in prometheus_client's thread; it only reads the metrics (copies of the
dicts, then the histograms), so the event loop that records them is never blocked.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from prometheus_client import start_http_server
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector, CollectorRegistry

from csmscheck.load.metrics import Metrics

PREFIX = "csmscheck_load_"
QUANTILES = (0.5, 0.9, 0.95, 0.99, 0.999, 1.0)
_LABEL = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")
RESERVED = {"action", "outcome", "code", "cause", "kind", "quantile"}  # the collector's own labels


class LoadCollector(Collector):
    """Prometheus metric families built from ``metrics`` on each scrape."""

    def __init__(self, metrics: Metrics, labels: dict[str, str]) -> None:
        self.metrics = metrics
        self.names = list(labels)
        self.values = [labels[name] for name in self.names]

    def _family(self, kind: type[CounterMetricFamily | GaugeMetricFamily], name: str, doc: str,
                *labels: str) -> Any:
        return kind(PREFIX + name, doc, labels=[*self.names, *labels])

    def collect(self) -> Iterator[Metric]:
        m, constant = self.metrics, self.values
        actions = list(m.actions.items())
        calls = self._family(CounterMetricFamily, "calls", "CALLs by outcome", "action", "outcome")
        errors = self._family(CounterMetricFamily, "callerrors", "CALLERRORs by code", "action", "code")
        timeouts = self._family(CounterMetricFamily, "timeouts", "CALLs without an answer in time", "action")
        latency = Metric(PREFIX + "latency_seconds", "answer time of CALLs (CALLRESULT or CALLERROR)", "summary")
        for action, stats in actions:
            codes = dict(stats.callerrors)
            calls.add_metric([*constant, action, "answered"], stats.answered)
            calls.add_metric([*constant, action, "callerror"], sum(codes.values()))
            calls.add_metric([*constant, action, "timeout"], stats.timeouts)
            timeouts.add_metric([*constant, action], stats.timeouts)
            for code, count in codes.items():
                errors.add_metric([*constant, action, code], count)
            self._latency(latency, action, stats.latency)
        yield from (calls, errors, timeouts, latency)

        connected = self._family(GaugeMetricFamily, "connected", "stations connected now")
        connected.add_metric(constant, m.connected_now)
        yield connected
        for name, doc, value in (("connect_attempts", "WebSocket connection attempts", m.connect_attempts),
                                 ("connects", "WebSocket handshakes that succeeded", m.connects),
                                 ("disconnects", "connections lost or closed by the CSMS", m.disconnects)):
            family = self._family(CounterMetricFamily, name, doc)
            family.add_metric(constant, value)
            yield family
        for name, doc, label, tally in (
                ("connect_failures", "failed connection attempts by cause", "cause", m.connect_failures),
                ("inconsistencies", "inconsistent answers by kind", "kind", m.inconsistencies),
                ("schema_violations", "schema violations on validated stations", "action", m.violations)):
            family = self._family(CounterMetricFamily, name, doc, label)
            for key, count in dict(tally.counts).items():
                family.add_metric([*constant, key], count)
            yield family
        yield from self._csms()

    def _latency(self, family: Metric, action: str, histogram: Any) -> None:
        labels = dict(zip(self.names, self.values, strict=True))
        labels["action"] = action
        count = int(histogram.get_total_count())
        if count:
            values = histogram.get_percentile_to_value_dict([q * 100 for q in QUANTILES[:-1]])
            for q in QUANTILES[:-1]:
                family.add_sample(family.name, {**labels, "quantile": str(q)}, values[q * 100] / 1e6)
            family.add_sample(family.name, {**labels, "quantile": "1.0"}, histogram.get_max_value() / 1e6)
        family.add_sample(family.name + "_count", labels, count)
        family.add_sample(family.name + "_sum", labels, histogram.get_mean_value() * count / 1e6 if count else 0.0)

    def _csms(self) -> Iterator[Metric]:
        """The CSMS process's latest memory and CPU sample, when it is sampled."""
        samples = (("csms_rss_bytes", "resident memory of the CSMS process", self.metrics.rss_mb, 2**20),
                   ("csms_cpu_percent", "CPU of the CSMS process (100 = one core)", self.metrics.cpu, 1))
        for name, doc, series, scale in samples:
            latest = next((v for v in reversed(series[-5:]) if v is not None), None)  # a stale one is dropped
            if latest is not None:
                family = self._family(GaugeMetricFamily, name, doc)
                family.add_metric(self.values, latest * scale)
                yield family


class MetricsEndpoint:
    """A running endpoint: call it to stop; ``port`` is the one bound (useful with port 0)."""

    def __init__(self, server: Any, thread: Any) -> None:
        self._server, self._thread = server, thread
        self.port = int(server.server_address[1])

    def __call__(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


def serve_metrics(metrics: Metrics, port: int, labels: dict[str, str], *, host: str = "0.0.0.0") -> MetricsEndpoint:
    """Serve ``metrics`` for Prometheus on ``host:port`` (all interfaces by default, for a scraper
    elsewhere in the cluster); returns the function that stops it. Raises ValueError for a bad label
    name and OSError when the port cannot be bound."""
    for name in labels:
        if not _LABEL.match(name) or name.startswith("__"):
            raise ValueError(f"metrics label {name!r} is not a Prometheus label name")
        if name in RESERVED:
            raise ValueError(f"metrics label {name!r} is one of the endpoint's own ({', '.join(sorted(RESERVED))})")
    registry = CollectorRegistry(auto_describe=False)
    registry.register(LoadCollector(metrics, dict(labels)))
    server, thread = start_http_server(port, addr=host, registry=registry)
    return MetricsEndpoint(server, thread)
