"""An authenticated broker: nothing published without credentials, or by a principal that is not the
event's source, reaches a consumer. (The probe: an `exchange.call-failed` published straight onto the
topic without credentials cost a unit 2 points and fired its webhook.)"""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError
from contracts import encode, new_envelope, topic_for
from contracts.exchange import CallFailed
from contracts.values import build_resource_code, make_uscc
from hubkit.kafka import ensure_topics, make_consumer, make_producer
from hubkit.runtime.access import SERVICES, consumed_by, grant_all, produced_by
from hubkit.runtime.apache_kafka import ApacheKafka, find_java
from hubkit.runtime.ports import free_port
from hubkit.settings import HubSettings

pytestmark = [pytest.mark.integration,
              pytest.mark.skipif(find_java() is None, reason="the authenticated broker is Apache Kafka")]
CALL_FAILED = topic_for("exchange.call-failed")


def settings_as(broker: ApacheKafka, principal: str, **over: object) -> HubSettings:
    env = {k.removeprefix("HUB_").lower(): v for k, v in broker.client_env(principal).items()}
    return HubSettings.model_validate({"kafka_bootstrap": broker.bootstrap, **env, **over})


def failed_call(marker: str) -> bytes:
    provider = make_uscc("450000", "MB0000AU")
    env = new_envelope(CallFailed(call_id=marker, resource_code=build_resource_code("450000", provider, 1),
                                  consumer_unit=make_uscc("450000", "MB0000CN"), data_kind="government",
                                  error="timeout"),
                       unit=provider, occurred_at=datetime(2019, 8, 5, 10, tzinfo=ZoneInfo("Asia/Shanghai")))
    return encode(env)


async def try_publish(producer: AIOKafkaProducer, value: bytes) -> bool:
    try:
        await asyncio.wait_for(producer.start(), 15)
        await asyncio.wait_for(producer.send_and_wait(CALL_FAILED, value=value, key=b"k"), 15)
        return True
    except (KafkaError, TimeoutError, OSError):
        return False
    finally:
        try:
            await asyncio.wait_for(producer.stop(), 10)
        except Exception:  # a producer that never connected has nothing to flush
            pass


@pytest.fixture(scope="module")
def secured(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    home = Path(tmp_path_factory.mktemp("authkafka"))
    broker = ApacheKafka(free_port(), free_port(), home / "kafka", home / "kafka.log", auth=True)
    broker.start()

    async def prepare() -> None:
        admin_settings = settings_as(broker, "admin")
        await ensure_topics(broker.bootstrap, partitions=1, settings=admin_settings)
        await grant_all(admin_settings)

    asyncio.run(prepare())
    yield broker
    broker.stop()


async def test_only_the_events_source_with_credentials_is_heard(secured: ApacheKafka) -> None:
    marker = uuid.uuid4().hex
    anonymous = AIOKafkaProducer(bootstrap_servers=secured.bootstrap, request_timeout_ms=5000)
    assert not await try_publish(anonymous, failed_call(f"{marker}-anonymous"))
    wrong_password = make_producer(settings_as(secured, "exchange", kafka_password="not-the-password"),
                                   request_timeout_ms=5000)
    assert not await try_publish(wrong_password, failed_call(f"{marker}-wrong-password"))
    impostor = make_producer(settings_as(secured, "catalog"), request_timeout_ms=5000)  # not the source
    assert not await try_publish(impostor, failed_call(f"{marker}-impostor"))
    source = make_producer(settings_as(secured, "exchange"), request_timeout_ms=5000)
    assert await try_publish(source, failed_call(f"{marker}-source"))

    # What scoring's principal reads there: the source's event only.
    consumer = make_consumer(settings_as(secured, "scoring"), CALL_FAILED, group_id=f"hub-scoring.t{marker[:6]}")
    await consumer.start()
    seen: list[bytes] = []
    try:
        deadline = asyncio.get_running_loop().time() + 20
        while asyncio.get_running_loop().time() < deadline and not any(b"-source" in v for v in seen):
            batch = await consumer.getmany(timeout_ms=300)
            seen += [r.value or b"" for records in batch.values() for r in records]
    finally:
        await consumer.stop()
    mine = [v for v in seen if marker.encode() in v]
    assert len(mine) == 1 and f"{marker}-source".encode() in mine[0]


async def test_a_service_cannot_read_what_it_does_not_consume(secured: ApacheKafka) -> None:
    # The catalog reads only the exchange's deliveries: it may not read call failures, nor join another
    # service's group.
    consumer = make_consumer(settings_as(secured, "catalog"), CALL_FAILED, group_id="hub-catalog.snoop")
    with pytest.raises(KafkaError):
        await consumer.start()
        await asyncio.wait_for(consumer.getmany(timeout_ms=3000), 10)
        await asyncio.wait_for(consumer.getone(), 5)
    await consumer.stop()


def test_the_matrix_matches_what_the_services_do() -> None:
    from catalog.messaging import consumers as catalog_consumers
    from exchange.messaging import consumers as exchange_consumers
    from scoring.messaging.positions import FACT_TOPICS

    for spec in exchange_consumers:
        assert set(spec.topics) <= set(consumed_by("exchange"))
    assert set(FACT_TOPICS) <= set(consumed_by("scoring"))
    # The catalog reads exactly the exchange's deliveries (its resources' updates); the library nothing.
    assert sorted(t for spec in catalog_consumers for t in spec.topics) == consumed_by("catalog")
    assert consumed_by("elicense") == []
    # Every topic has exactly one writer.
    writers = [t for s in SERVICES for t in produced_by(s)]
    assert len(writers) == len(set(writers)) and CALL_FAILED in produced_by("exchange")
    assert topic_for("registry.unit-registered") in produced_by("catalog")
