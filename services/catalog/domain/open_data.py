"""Open data (公共数据开放; seed 001 indicators 31–32, 002, 004): what of the catalog the public may see.

A resource is open when it is published, its open attribute (开放属性) is `open` and it is shared without
condition among government units: a conditionally open resource, one shared under conditions or not shared,
and every draft stay inside. What is shown is an allowlist of descriptive metadata (name, summary, provider,
domain, format, update cycle, items, dates); conditions, legal bases and where the data is mounted (systems,
tables, internal URLs) are never part of it, whatever the metadata holds.

The feed is DCAT-AP (JSON-LD): a `dcat:Catalog` of `dcat:Dataset`s, update cycles as the EU frequency
vocabulary, the provider as a `foaf:Agent`; and the same rows as CSV.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from catalog.domain.resources import Resource

_FREQ = "http://publications.europa.eu/resource/authority/frequency/"
FREQUENCY = {"realtime": "CONT", "daily": "DAILY", "weekly": "WEEKLY", "monthly": "MONTHLY",
             "quarterly": "QUARTERLY", "yearly": "ANNUAL"}
CONTEXT = {"dcat": "http://www.w3.org/ns/dcat#", "dct": "http://purl.org/dc/terms/",
           "foaf": "http://xmlns.com/foaf/0.1/", "xsd": "http://www.w3.org/2001/XMLSchema#"}
CSV_COLUMNS = ("code", "name", "summary", "provider", "provider_name", "domain", "classification", "format",
               "update_cycle", "items", "publish_date", "published_at", "last_update_at")


def is_open(r: Resource) -> bool:
    m = r.metadata
    return r.status == "published" and m.open_type == "open" and m.share_type == "unconditional"


def public_view(r: Resource, provider_name: str | None) -> dict[str, Any]:
    """The allowlisted metadata of an open resource."""
    m = r.metadata

    def at(v: datetime | None) -> str | None:
        return v.isoformat() if v is not None else None
    return {"code": r.code, "name": m.name, "summary": m.summary, "provider": r.provider,
            "provider_name": provider_name, "domain": m.domain,
            "classification": m.classification, "format": m.format, "update_cycle": m.update_cycle,
            "items": [{"name": i.name, "type": i.type, "length": i.length} for i in m.items],
            "publish_date": m.publish_date.isoformat() if m.publish_date else None,
            "published_at": at(r.published_at), "last_update_at": at(r.last_update_at)}


def dcat_catalog(views: Sequence[Mapping[str, Any]], base_url: str) -> dict[str, Any]:
    """A DCAT-AP catalog (JSON-LD) of the open resources' public views."""
    return {"@context": CONTEXT, "@type": "dcat:Catalog", "@id": f"{base_url}/open/catalog.jsonld",
            "dct:title": {"@language": "zh", "@value": "广西公共数据开放目录"},
            "dct:description": {"@language": "zh", "@value": "政务数据资源目录中向社会开放的数据资源"},
            "dct:publisher": {"@type": "foaf:Agent", "foaf:name": "广西壮族自治区大数据发展局"},
            "dcat:dataset": [_dataset(v, base_url) for v in views]}


def _dataset(v: Mapping[str, Any], base_url: str) -> dict[str, Any]:
    out: dict[str, Any] = {
        "@type": "dcat:Dataset", "@id": f"{base_url}/open/resources/{v['code']}", "dct:identifier": v["code"],
        "dct:title": {"@language": "zh", "@value": v["name"]},
        "dct:publisher": {"@type": "foaf:Agent", "foaf:name": v["provider_name"] or v["provider"],
                          "dct:identifier": v["provider"]},
        "dct:accrualPeriodicity": {"@id": _FREQ + FREQUENCY[v["update_cycle"]]},
        "dcat:distribution": [{"@type": "dcat:Distribution", "dct:format": v["format"] or "unknown",
                               "dcat:accessURL": {"@id": f"{base_url}/open/resources/{v['code']}"}}]}
    if v["summary"]:
        out["dct:description"] = {"@language": "zh", "@value": v["summary"]}
    if v["domain"]:
        out["dcat:keyword"] = [v["domain"]]
    if v["published_at"]:
        out["dct:issued"] = {"@type": "xsd:dateTime", "@value": v["published_at"]}
    if v["last_update_at"]:
        out["dct:modified"] = {"@type": "xsd:dateTime", "@value": v["last_update_at"]}
    return out


def csv_text(views: Sequence[Mapping[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for v in views:
        writer.writerow([";".join(i["name"] for i in v["items"]) if k == "items" else (v[k] or "")
                         for k in CSV_COLUMNS])
    return out.getvalue()
