"""What the public sees of the catalog, without a database: the open rule and the DCAT-AP shape."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from catalog.domain import open_data
from catalog.domain.resources import Metadata, Resource

AT = datetime(2019, 8, 1, 1, tzinfo=UTC)


def resource(status: str = "published", **meta: object) -> Resource:
    base: dict[str, object] = {"name": "公路里程", "share_type": "unconditional", "update_cycle": "monthly",
                               "open_type": "open"}
    return Resource(code="330045450000MB1519000000001", provider="11450000MB1519000K", status=status,  # type: ignore[arg-type]
                    version=1, metadata=Metadata.model_validate(base | meta), published_at=AT)


@pytest.mark.parametrize(("r", "shown"), [
    (resource(), True), (resource(status="draft"), False), (resource(open_type="not_open"), False),
    (resource(open_type="conditional", open_condition="签订协议"), False), (resource(open_type=None), False),
    (resource(share_type="conditional", share_condition="执法"), False),
    (resource(share_type="not_shared", share_basis="《保密法》"), False)])
def test_only_published_open_unconditional_resources_are_shown(r: Resource, shown: bool) -> None:
    assert open_data.is_open(r) is shown


def test_the_feed_is_a_dcat_catalog_of_the_public_views() -> None:
    view = open_data.public_view(resource(summary="全区公路", domain="交通"), "自治区交通运输厅")
    doc = open_data.dcat_catalog([view], "https://hub.example")
    [ds] = doc["dcat:dataset"]
    assert ds["dct:identifier"] == "330045450000MB1519000000001"
    assert ds["dct:accrualPeriodicity"] == {"@id": "http://publications.europa.eu/resource/authority/frequency/MONTHLY"}
    assert ds["dct:publisher"]["foaf:name"] == "自治区交通运输厅" and ds["dcat:keyword"] == ["交通"]
    assert open_data.csv_text([view]).splitlines()[0].split(",") == list(open_data.CSV_COLUMNS)
