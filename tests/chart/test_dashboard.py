"""The Grafana dashboard (charts/parley/files/grafana/parley.json) only plots metrics the gateway's /metrics
really exports: the families are read from a real app (SQLite store) over HTTP, and every metric name in every
panel query must be one of them (histograms as _bucket/_sum/_count, counters as _total)."""

from __future__ import annotations

import json
import re

from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from services.settings import Settings
from tests.chart.render import CHART

DASHBOARD = CHART / "files" / "grafana" / "parley.json"
METRIC = re.compile(r"\b(parley_[a-z0-9_]+)\b")


def exported_names(tmp_path) -> set[str]:
    from services.gateway.app import create_app

    settings = Settings(server={"data_dir": str(tmp_path)}, database={"url": None})
    with TestClient(create_app(settings, background=False)) as client:
        client.get("/healthz")  # counted by parley_http_requests
        response = client.get("/metrics")
    assert response.status_code == 200
    names = set()
    for family in text_string_to_metric_families(response.text):
        suffixes = {"histogram": ("_bucket", "_sum", "_count"), "counter": ("_total",),
                    "summary": ("_sum", "_count")}.get(family.type, ("",))
        names |= {family.name + s for s in suffixes}
    return names


def panel_queries() -> list[tuple[str, str]]:
    dashboard = json.loads(DASHBOARD.read_text())
    return [(p["title"], t["expr"]) for p in dashboard["panels"] for t in p.get("targets", [])]


def test_every_panel_metric_is_exported_by_the_gateway(tmp_path) -> None:
    exported = exported_names(tmp_path)
    assert {"parley_jobs", "parley_stage_latency_seconds_bucket", "parley_http_requests_total"} <= exported
    queries = panel_queries()
    assert len(queries) >= 5
    for title, expr in queries:
        used = set(METRIC.findall(expr))
        assert used, f"panel {title!r} queries no Parley metric"
        assert used <= exported, f"panel {title!r} uses {sorted(used - exported)}"


def test_every_exported_family_has_a_panel(tmp_path) -> None:
    used = {m for _, expr in panel_queries() for m in METRIC.findall(expr)}
    # `_created` is the counter's creation timestamp, not a quantity to plot.
    families = {re.sub(r"_(bucket|sum|count|total|created)$", "", n) for n in exported_names(tmp_path)}
    covered = {re.sub(r"_(bucket|sum|count|total)$", "", n) for n in used}
    assert families <= covered


def test_the_chart_ships_the_dashboard_unchanged() -> None:
    import pytest

    pytest.importorskip("helm_python", reason="CI-only: pip install -r requirements-ci.txt")
    from tests.chart.render import rendered

    (config_map,) = [o for o in rendered("cpu").kind("ConfigMap") if o["metadata"]["name"].endswith("-dashboard")]
    assert json.loads(config_map["data"]["parley.json"]) == json.loads(DASHBOARD.read_text())
    assert config_map["metadata"]["labels"]["grafana_dashboard"] == "1"
