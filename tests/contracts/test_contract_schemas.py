"""The exported JSON Schemas and AsyncAPI document: complete, deterministic, and committed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from contracts import ALL_TOPICS, REGISTRY
from contracts.__main__ import main
from contracts.export import SCHEMAS_DIR, asyncapi, expected_files, export, stale_files


def test_committed_schemas_are_up_to_date() -> None:
    assert stale_files(SCHEMAS_DIR) == [], "run: python -m contracts export"


def test_export_is_deterministic() -> None:
    assert expected_files() == expected_files()
    for name, text in expected_files().items():
        assert text.endswith("}\n"), name
        assert json.loads(text)


def test_one_schema_per_type_with_pinned_envelope() -> None:
    files = expected_files()
    assert set(files) == {"envelope.json", "asyncapi.json"} | {f"{t}.v1.json" for t in REGISTRY}
    schema = json.loads(files["catalog.resource-mounted.v1.json"])
    props = schema["properties"]
    assert props["type"]["const"] == "catalog.resource-mounted"
    assert props["version"]["const"] == 1
    assert props["source"]["const"] == "catalog"
    assert schema["required"] == ["id", "type", "version", "source", "unit", "occurred_at", "data"]
    assert schema["additionalProperties"] is False
    payload = schema["$defs"][props["data"]["$ref"].rsplit("/", 1)[1]]
    assert payload["properties"]["mount_kind"]["enum"] == ["table", "file", "api"]
    assert payload["additionalProperties"] is False


def test_asyncapi_describes_every_topic() -> None:
    doc = asyncapi()
    assert doc["asyncapi"].startswith("3.")
    assert sorted(doc["channels"]) == ALL_TOPICS
    for topic in ALL_TOPICS:
        assert doc["channels"][topic]["address"] == topic
        assert doc["operations"][topic]["action"] == "send"
        message = doc["components"]["messages"][f"{topic}:Message"]
        assert message["bindings"]["kafka"]["key"]["pattern"].startswith("^[")
        assert message["headers"]["properties"]["traceparent"]["type"] == "string"
        schema = doc["components"]["schemas"][message["payload"]["$ref"].rsplit("/", 1)[1]]
        assert schema["properties"]["type"]["const"] == topic.removeprefix("hub.").rsplit(".v", 1)[0]


def test_cli_export_and_check(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--dir", str(tmp_path)]) == 1  # nothing there yet
    assert main(["export", "--out", str(tmp_path)]) == 0
    assert main(["check", "--dir", str(tmp_path)]) == 0
    (tmp_path / "exchange.call-failed.v1.json").write_text("{}\n")
    (tmp_path / "old.v0.json").write_text("{}\n")
    capsys.readouterr()
    assert main(["check", "--dir", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert "exchange.call-failed.v1.json" in out and "old.v0.json" in out
    assert "envelope.json" not in out
    assert len(export(tmp_path)) == len(expected_files())
