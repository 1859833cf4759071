"""The catalog's events as the domain states them: a resource's metadata, as published or changed."""

from __future__ import annotations

from typing import Any

from contracts.catalog import ResourceMetadataChanged, ResourcePublished

from catalog.domain.resources import Resource


def _metadata_fields(r: Resource, provider_name: str | None) -> dict[str, Any]:
    m = r.metadata
    return dict(resource_code=r.code, name=m.name, share_type=m.share_type, update_cycle=m.update_cycle,
                classification=m.classification, summary=m.summary, format=m.format, domain=m.domain,
                provider_name=provider_name, items=list(m.items) or None, share_condition=m.share_condition,
                share_method=m.share_method, share_basis=m.share_basis, open_type=m.open_type,
                open_condition=m.open_condition, publish_date=m.publish_date,
                related_codes=list(m.related_codes) or None, control_parameters=m.control_parameters or None,
                secret=m.secret or None)


def published(r: Resource, provider_name: str | None) -> ResourcePublished:
    return ResourcePublished(**_metadata_fields(r, provider_name))


def metadata_changed(r: Resource, provider_name: str | None) -> ResourceMetadataChanged:
    return ResourceMetadataChanged(**_metadata_fields(r, provider_name))
