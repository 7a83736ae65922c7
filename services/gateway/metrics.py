"""Prometheus metrics, read from the database at scrape time (so they cover every worker process):
parley_jobs{state}, parley_queue_audio_seconds, parley_stage_latency_seconds (histogram per stage),
parley_webhook_deliveries{status}, plus parley_http_requests_total counted in this gateway process."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client import CollectorRegistry, Counter
from prometheus_client.core import GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import func, select

from services.store import jobs
from services.store.db import Database
from services.store.models import StageLatency, WebhookDelivery


class StoreCollector(Collector):
    def __init__(self, db: Database) -> None:
        self.db = db

    def collect(self) -> Iterator[Metric]:
        with self.db.session() as s:
            stats = jobs.queue_stats(s)
            stages = [(r.stage, r.count, r.total_s, list(r.buckets or [])) for r in s.scalars(select(StageLatency))]
            deliveries = dict(s.execute(select(WebhookDelivery.status, func.count()).group_by(WebhookDelivery.status)).all())
        g = GaugeMetricFamily("parley_jobs", "jobs by state", labels=["state"])
        for state, n in stats["counts"].items():
            g.add_metric([state], n)
        yield g
        yield GaugeMetricFamily("parley_queue_audio_seconds", "audio seconds queued or running",
                                value=stats["backlog_audio_s"])
        h = HistogramMetricFamily("parley_stage_latency_seconds", "pipeline stage latency", labels=["stage"])
        for stage, count, total, buckets in stages:
            pairs = [(str(b), float(c)) for b, c in zip(jobs.LATENCY_BUCKETS, buckets, strict=False)]
            pairs.append(("+Inf", float(count)))
            h.add_metric([stage], pairs, sum_value=total)
        yield h
        d = GaugeMetricFamily("parley_webhook_deliveries", "webhook deliveries by status", labels=["status"])
        for status in ("pending", "delivered", "dead"):
            d.add_metric([status], deliveries.get(status, 0))
        yield d


def make_registry(db: Database) -> tuple[CollectorRegistry, Counter]:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(StoreCollector(db))
    requests = Counter("parley_http_requests", "HTTP requests", ["method", "route", "status"], registry=registry)
    return registry, requests
