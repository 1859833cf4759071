"""The Grafana dashboard of the hub (infra/otel/grafana) queries only metrics the code creates, under the
names Prometheus gives them, and shows every instrument #23 asks for; the compose profile provisions it."""

from __future__ import annotations

import json
import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
DASHBOARD = ROOT / "infra" / "otel" / "grafana" / "dashboards" / "gov-hub.json"
CREATED = re.compile(r'create_(counter|histogram|observable_gauge)\(\s*"([^"]+)"(?:[^)]*?unit="([^"]*)")?', re.S)


def prometheus_names() -> set[str]:
    """Every instrument created in libs/ and services/, as the collector's Prometheus exporter names its
    series: dots become underscores, a unit of seconds adds `_seconds`, counters `_total`, histograms
    `_bucket` (and `_sum`, `_count`)."""
    names = set()
    for path in [*ROOT.glob("libs/**/*.py"), *ROOT.glob("services/**/*.py")]:
        for kind, name, unit in CREATED.findall(path.read_text(encoding="utf-8")):
            base = name.replace(".", "_") + ("_seconds" if unit == "s" and not name.endswith("seconds") else "")
            names |= {f"{base}_total"} if kind == "counter" else \
                {f"{base}_bucket", f"{base}_sum", f"{base}_count"} if kind == "histogram" else {base}
    return names


def queried() -> set[str]:
    doc = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    exprs = [t["expr"] for p in doc["panels"] for t in p.get("targets", []) if "expr" in t]
    without_labels = [re.sub(r"\bby \([^)]*\)", "", e) for e in exprs]  # `by (...)` names labels
    return {m for e in without_labels for m in re.findall(r"\b((?:hub|messaging)_[a-z_]+)\b", e)}


def test_the_dashboard_queries_only_metrics_the_code_creates() -> None:
    created, used = prometheus_names(), queried()
    assert used and used <= created, sorted(used - created)


def test_the_dashboard_shows_what_operators_follow() -> None:
    used = queried()
    for needed in ("messaging_client_sent_messages_total", "messaging_client_consumed_messages_total",
                   "hub_outbox_unsent", "hub_outbox_oldest_unsent_seconds", "hub_outbox_wait_seconds_bucket",
                   "hub_consumer_lag", "hub_scoring_batch_size_bucket", "hub_scoring_batch_duration_seconds_bucket",
                   "hub_scoring_alert_latency_seconds_bucket", "hub_webhook_attempts_total",
                   "hub_gateway_calls_total", "hub_gateway_call_duration_seconds_bucket",
                   "hub_events_deadlettered_total"):
        assert needed in used, needed


def test_the_observability_profile_provisions_grafana_with_the_dashboard() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    grafana = compose["services"]["grafana"]
    assert grafana["profiles"] == ["observability"]
    for volume in grafana["volumes"]:
        source = volume.split(":")[0]
        assert (ROOT / source).exists(), source
    sources = yaml.safe_load((ROOT / "infra/otel/grafana/provisioning/datasources/hub.yaml").read_text())
    uids = {d["uid"] for d in sources["datasources"]}
    doc = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    assert {p["datasource"]["uid"] for p in doc["panels"]} <= uids
