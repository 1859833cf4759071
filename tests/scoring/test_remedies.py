"""#20 part 2: every deduction a department can lose points on says what restores it: each metric of the rule
table has its own advice, and items fed by documents, the inventory or inspectors say how to answer them."""

from __future__ import annotations

from scoring.domain.inventory import builtin_inventory_rules
from scoring.domain.remedies import METRIC_REMEDIES, remedy
from scoring.domain.ruleset import RULESETS_DIR, builtin_ruleset
from scoring.domain.sources import source_keys
from scoring.domain.submissions import builtin_requirements

RULESET = builtin_ruleset()


def test_every_deduction_item_has_advice_of_its_own_kind() -> None:
    keys = source_keys(RULESET, builtin_requirements(RULESET, RULESETS_DIR),
                       builtin_inventory_rules(RULESET, RULESETS_DIR))
    metrics = {item.metric for item in RULESET.items.values() if item.metric is not None}
    assert metrics <= set(METRIC_REMEDIES), metrics - set(METRIC_REMEDIES)
    for indicator in RULESET.deductions:
        for item in indicator.items:
            said = remedy(item, keys[item.id], "U1")
            assert said, item.id
            if keys[item.id] == "submissions":
                assert "POST /submissions/U1" in said
            elif keys[item.id] == "inventory":
                assert "POST /inventory/U1/claims" in said
            elif keys[item.id] == "inspector":
                assert "POST /findings/{id}/appeal" in said
    assert "修复共享接口" in remedy(RULESET.items["B1.8"], "exchange", "U1")
