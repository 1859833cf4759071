"""The short fault-injection run of `make test` (`make chaos` runs the long one): while writes flow
through the APIs, each service is SIGKILLed, the broker and PostgreSQL are restarted, consumers are
stalled; Tansu's log is lost and re-seeded. Nothing accepted may be lost or applied twice."""

from pathlib import Path

import pytest
from hubkit.runtime.apache_kafka import find_java

from tests.faults.harness import FAULTS, TANSU_FAULTS, run_chaos

pytestmark = pytest.mark.e2e


@pytest.mark.skipif(find_java() is None, reason="Apache Kafka needs a JDK 17+")
def test_faults_on_apache_kafka_lose_nothing(tmp_path: Path) -> None:
    report = run_chaos(tmp_path / "hub", broker="kafka", faults=len(FAULTS), writes=3000, seed=11)
    print("\n".join(report.lines()))
    assert sum(report.faults.values()) == len(FAULTS) and set(report.faults) == set(FAULTS)
    assert sum(report.accepted.values()) >= 100
    assert report.ok, "\n".join(report.lines())


def test_a_lost_tansu_log_is_reseeded_and_nothing_is_lost(tmp_path: Path) -> None:
    report = run_chaos(tmp_path / "hub", broker="tansu", faults=len(TANSU_FAULTS), writes=2000, seed=5)
    print("\n".join(report.lines()))
    assert report.faults["lose-broker"] >= 1
    assert sum(report.accepted.values()) >= 60
    assert report.ok, "\n".join(report.lines())
