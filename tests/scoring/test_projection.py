"""The live projection's incremental evaluation equals a from-scratch evaluation, whatever the arrival order."""

from contracts.fastdecode import decode
from scoring.domain.projection import Projection
from scoring.domain.ruleset import builtin_ruleset

from tests.scoring.builders import DEPT, Log, code, score


def test_a_late_july_fact_rescores_august_after_the_watermark_left_it() -> None:
    log = Log()
    log.register(DEPT)
    codes = [code(DEPT, 1), code(DEPT, 2)]
    log.requirement(DEPT, "fb-1", "first_batch_catalog", codes, "2019-12-31", when="2019-06-01 09:00")
    sept = log.update(DEPT, codes[0], "2019-09-15 10:00")
    july = [log.publish(DEPT, c, "2019-07-02 10:00") for c in codes] + [log.mount(DEPT, codes[0], "2019-07-03 10:00")]
    envs = [decode(line) for line in log.lines()]
    by_id = {str(e.id): e for e in envs}

    projection = Projection(builtin_ruleset())
    first = [e for e in envs if str(e.id) not in {j["id"] for j in july}]
    before = projection.watermark
    projection.refresh(projection.fold(first), projection.months_to_sweep(before))
    assert projection.published[(DEPT, "2019-08")].items["B1.4"] > 0  # nothing mounted yet
    before = projection.watermark
    projection.refresh(projection.fold([by_id[j["id"]] for j in july]), projection.months_to_sweep(before))

    expected = {u.unit: u for u in score(log, "2019-08").units}[DEPT]
    assert projection.published[(DEPT, "2019-08")] == expected
    assert sept["occurred_at"] > july[0]["occurred_at"]
