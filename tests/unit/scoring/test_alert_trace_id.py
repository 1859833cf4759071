"""An alert document names the trace it continues, read from the W3C context stored with its row."""

from __future__ import annotations

import orjson
from scoring.messaging.alert_feed import trace_id

PARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"


def test_the_trace_id_comes_from_the_stored_traceparent_whether_decoded_or_text() -> None:
    assert trace_id({"trace_headers": {"traceparent": PARENT}}) == "0af7651916cd43dd8448eb211c80319c"
    assert trace_id({"trace_headers": orjson.dumps({"traceparent": PARENT}).decode()}) == \
        "0af7651916cd43dd8448eb211c80319c"


def test_no_or_a_malformed_context_names_no_trace() -> None:
    assert trace_id({"trace_headers": None}) is None
    assert trace_id({}) is None
    assert trace_id({"trace_headers": {"traceparent": "00-zz-yy-01"}}) is None
    assert trace_id({"trace_headers": {"traceparent": "00-" + "0" * 32 + "-b7ad6b7169203331-01"}}) is None  # invalid id
