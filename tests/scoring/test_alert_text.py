"""Deduction alerts in words, webhook signatures and backoff, without servers."""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime

from contracts.workdays import SHANGHAI
from hypothesis import given
from hypothesis import strategies as st
from scoring.domain.alert_text import Obligation, describe_event, render
from scoring.messaging.webhooks import backoff, sign

ALERT = {"unit": "11450000MB1519007X", "month": "2019-08", "item": "B1.7", "points_added": "2.00",
         "item_points": "4.00", "x": "58.00", "total": "58.00", "band": "low", "list": "black",
         "previous_band": "medium", "previous_list": "none", "entered_black_list": True, "left_red_list": False,
         "cause_event_ids": ["e1"]}


def test_alert_says_what_why_standing_and_what_to_do() -> None:
    cause = {"id": "e1", "type": "exchange.request-overdue", "occurred_at": "2019-08-12T00:00:00+08:00",
             "details": {"request_id": "r-123"}}
    due = datetime(2019, 10, 9, 0, 0, tzinfo=SHANGHAI)
    doc = render(ALERT, "共享申请未按时答复", [cause], [Obligation("审核答复共享申请 r-124", due)])
    assert doc["title"] == "【扣分提醒】2019-08 B1.7 扣 2.00 分"
    text = doc["text"]
    assert "指标 B1.7（共享申请未按时答复）本月新增扣分 2.00 分，该项累计扣 4.00 分" in text
    assert "当前得分 58.00 分" in text and "等级“低”" in text and "黑榜" in text
    assert "本次扣分使本单位进入黑榜" in text and "由“中”降为“低”" in text
    assert "2019-08-12 00:00：共享申请 r-123 超过办理时限未答复" in text
    assert doc["advice"][0] == "请在 2019-10-08 24:00 前审核答复共享申请 r-124。"
    assert any("超时的共享申请" in a for a in doc["advice"])


def test_each_cause_type_in_words() -> None:
    failed = {"type": "exchange.call-failed", "occurred_at": "2019-08-05T02:00:00+00:00",
              "details": {"resource_code": "330045450000MB1519000000001", "error": "timeout"}}
    assert describe_event(failed) == "2019-08-05 10:00：资源 330045450000MB1519000000001 被调用失败（调用超时）"
    finding = {"type": "scoring.finding-recorded", "occurred_at": "2019-08-05T10:00:00+08:00",
               "details": {"item": "A1.3", "count": 2}}
    assert "督查发现（A1.3，2处）" in describe_event(finding)


def test_signature_is_hmac_sha256_of_timestamp_dot_body() -> None:
    body = b'{"a":1}'
    expected = hmac.new(b"k" * 16, b"1565000000." + body, hashlib.sha256).hexdigest()
    assert sign("k" * 16, "1565000000", body) == "sha256=" + expected
    assert sign("k" * 16, "1565000001", body) != sign("k" * 16, "1565000000", body)


@given(st.integers(1, 200))
def test_backoff_doubles_up_to_the_cap(attempt: int) -> None:
    delay = backoff(attempt, 5.0, 3600.0)
    assert 5.0 <= delay <= 3600.0
    assert delay == min(3600.0, 5.0 * 2 ** (attempt - 1))


def test_retrying_for_a_day_takes_dozens_of_attempts_not_thousands() -> None:
    elapsed, attempt = 0.0, 0
    while elapsed < 24 * 3600:
        attempt += 1
        elapsed += backoff(attempt, 5.0, 3600.0)
    assert 20 < attempt < 40


def test_open_requests_are_the_provider_s_undecided_forwarded_requests_not_yet_due() -> None:
    """The 'what to do next' of an alert reads the unit's exchange facts: a forwarded request
    without a decision is an obligation until its deadline (3 working days; 5 for supervision)."""
    import json

    from contracts.fastdecode import decode
    from scoring.domain.alert_text import open_requests
    from scoring.domain.facts import FactStore

    from tests.scoring.builders import DEPT, DEPT2, Log, code

    log = Log()
    log.register(DEPT)
    log.register(DEPT2)
    for rid, kind in (("r-1", "government"), ("r-2", "supervision"), ("r-3", "government")):
        log.add("exchange.request-submitted", DEPT, "2019-08-05 09:00", request_id=rid, requester_unit=DEPT2,
                resource_code=code(DEPT, 1), data_kind=kind)
        log.add("exchange.request-forwarded", DEPT, "2019-08-05 10:00", request_id=rid, data_kind=kind)
    log.add("exchange.request-approved", DEPT, "2019-08-06 10:00", request_id="r-3", data_kind="government",
            forwarded_at="2019-08-05T10:00:00+08:00")
    store = FactStore()
    store.apply_all(decode(json.dumps(e)) for e in log.events)
    facts = store.facts(DEPT).exchange
    monday = datetime(2019, 8, 6, 12, 0, tzinfo=SHANGHAI)
    assert [o.what for o in open_requests(facts, monday)] == ["审核答复共享申请 r-1", "审核答复共享申请 r-2"]
    later = datetime(2019, 8, 9, 12, 0, tzinfo=SHANGHAI)  # past r-1's 3 working days, within r-2's 5
    assert [o.what for o in open_requests(facts, later)] == ["审核答复共享申请 r-2"]
    assert open_requests(store.facts(DEPT2).exchange, monday) == []


def test_an_alert_for_a_finding_says_until_when_it_may_be_appealed() -> None:
    from scoring.domain.alert_text import appeal_windows

    cause = {"id": "e2", "type": "scoring.finding-recorded", "occurred_at": "2019-09-27T15:00:00+08:00",
             "details": {"finding_id": "f-7", "item": "C2.2", "count": 1}}
    now = datetime(2019, 9, 28, 9, 0, tzinfo=SHANGHAI)
    windows = appeal_windows([cause, {"id": "e1", "type": "exchange.call-failed"}], 5, now)
    assert [(o.what.split("（")[0], o.due.isoformat()) for o in windows] == [
        ("对督查发现 f-7 提出申诉", "2019-10-11T00:00:00+08:00")]
    doc = render(ALERT, "未经授权使用共享数据", [cause], windows)
    assert "请在 2019-10-10 24:00 前对督查发现 f-7 提出申诉" in doc["advice"][0]
    assert appeal_windows([cause], 5, datetime(2019, 10, 11, 0, 0, tzinfo=SHANGHAI)) == []  # window closed
