"""Prometheus metrics: event counters per process, queue gauges read from Redis at scrape time.

Counters follow prometheus-client's idiom (module-level objects). Under gunicorn, several processes
count: `helpline serve` sets PROMETHEUS_MULTIPROC_DIR so /metrics adds up every web and worker
process; set it yourself (an empty directory per start) when running gunicorn directly.
"""
from __future__ import annotations

import os
import time

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily

CALLS = Counter("helpline_calls_total", "Incoming calls answered by the voice menu.")
SMS = Counter("helpline_sms_total", "Incoming text messages, by what they were.", ["kind"])
URGENT_FLAGS = Counter("helpline_urgent_flags_total", "Urgent callbacks raised, by channel.", ["source"])
JOURNALED = Counter("helpline_urgent_flags_journaled_total", "Urgent flags written to the local journal "
                    "because Redis was unavailable.")
ALERTS_SENT = Counter("helpline_alerts_sent_total", "Alerts accepted by Twilio, by channel.", ["channel"])
ALERTS_FAILED = Counter("helpline_alerts_failed_total", "Alert attempts that failed, by channel and kind.",
                        ["channel", "kind"])
ALERT_LATENCY = Histogram("helpline_alert_latency_seconds", "From callback creation to the first coordinator "
                          "SMS accepted by Twilio.", buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300))
CONTENT_TYPE = CONTENT_TYPE_LATEST


class QueueCollector:
    """Gauges computed from Redis when scraped: open callbacks, oldest unacknowledged urgent, workers."""

    def __init__(self, queue, worker_pattern: str = "hl:worker:*"):
        self.queue, self.worker_pattern = queue, worker_pattern

    def collect(self):
        open_items = GaugeMetricFamily("helpline_callbacks_open", "Open callbacks.", labels=["urgency"])
        oldest = GaugeMetricFamily("helpline_oldest_unacknowledged_urgent_seconds",
                                   "Age of the oldest urgent callback nobody has taken (0 when none).")
        workers = GaugeMetricFamily("helpline_workers_alive", "Alert workers with a live heartbeat.")
        try:
            items = self.queue.open_items()
            alive = sum(1 for _ in self.queue.client.scan_iter(match=self.worker_pattern, count=100))
        except Exception:  # Redis down: no gauges rather than a failed scrape
            return
        now = time.time()
        for urgency in ("urgent", "routine"):
            open_items.add_metric([urgency], sum(1 for i in items if i.urgency == urgency))
        waiting = [now - i.created for i in items if i.urgent and i.status in ("new", "alerted")]
        oldest.add_metric([], max(waiting, default=0.0))
        workers.add_metric([], alive)
        yield from (open_items, oldest, workers)


def exposition(queue) -> bytes:
    """The text exposition: this process (or every process in multiprocess mode) plus queue gauges."""
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.MultiProcessCollector(registry)
    else:
        from prometheus_client import REGISTRY

        for collector in list(REGISTRY._collector_to_names):
            registry.register(collector)
    registry.register(QueueCollector(queue))
    return generate_latest(registry)
