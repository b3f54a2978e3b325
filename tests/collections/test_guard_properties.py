"""Property: whatever sequence of actions is proposed, the allowed ones never exceed the daily
call limits on any local day of the debtor, recounted here from the guard's answers alone; and
the guard never blocks a call by a limit the recount says was not reached."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zhudai.collections import ComplianceGuard, GuardRules, RuleId
from zhudai.collections.counts_redis import RedisDayCounts

ZONES = [
    "Asia/Shanghai",
    "America/New_York",
    "Asia/Kolkata",
    "Pacific/Kiritimati",
    "Pacific/Pago_Pago",
]
# one number written three ways, and two more: shared by the debtors
PHONES = {"13900000001": "13900000001", "+86 139 0000 0001": "13900000001",
          "13900000002": "13900000002", "+1 212 555 0100": "12125550100"}  # fmt: skip
START = datetime(2026, 3, 6, tzinfo=UTC)  # spans New York's spring change (2026-03-08)


@st.composite
def proposals(draw: st.DrawFn) -> list[dict[str, Any]]:
    debtors = {f"D{i}": draw(st.sampled_from(ZONES)) for i in range(3)}
    minutes = sorted(draw(st.lists(st.integers(0, 4 * 24 * 60), min_size=1, max_size=120)))
    out = []
    for n, minute in enumerate(minutes):
        debtor = draw(st.sampled_from(sorted(debtors)))
        answered = draw(st.booleans())
        out.append(
            {
                "action_id": f"A{n}",
                "debtor_id": debtor,
                "phone": draw(st.sampled_from(sorted(PHONES))),
                "kind": draw(st.sampled_from(["auto_call", "human_call", "agency_call", "sms"])),
                "at": (START + timedelta(minutes=minute))
                .astimezone(ZoneInfo(draw(st.sampled_from(ZONES))))  # the collector's clock
                .isoformat(),
                "debtor_tz": debtors[debtor],
                "party": draw(st.sampled_from(["debtor", "debtor", "contact"])),
                "debtor_unreachable": draw(st.booleans()),
                "answered": answered,
                "effective": answered and draw(st.booleans()),
                **({"consent_hours": "00:00-23:59"} if draw(st.booleans()) else {}),
            }
        )
    return out


rules_strategy = st.builds(
    GuardRules,
    quiet_hours=st.sampled_from([None, "22:00-08:00"]),
    max_effective_calls=st.integers(1, 4),
    max_unanswered_attempts=st.integers(1, 7),
)


@settings(max_examples=150, deadline=None)
@given(actions=proposals(), rules=rules_strategy)
def test_no_sequence_gets_more_calls_through_than_the_limits(
    actions: list[dict[str, Any]], rules: GuardRules
) -> None:
    check_sequence(ComplianceGuard(rules), actions, rules)


@pytest.mark.redis
def test_no_sequence_gets_more_calls_through_shared_redis_counts(redis_url: str) -> None:
    @settings(max_examples=30, deadline=None)
    @given(actions=proposals(), rules=rules_strategy)
    def check(actions: list[dict[str, Any]], rules: GuardRules) -> None:
        check_sequence(ComplianceGuard(rules, RedisDayCounts.isolated(redis_url)), actions, rules)

    check()


def check_sequence(
    guard: ComplianceGuard, actions: list[dict[str, Any]], rules: GuardRules
) -> None:
    effective: Counter[tuple[str, object]] = Counter()
    unanswered: Counter[tuple[str, object]] = Counter()
    for proposal in actions:
        decision = guard.propose(proposal)
        if proposal["kind"] == "sms":
            continue
        day = datetime.fromisoformat(proposal["at"]).astimezone(ZoneInfo(proposal["debtor_tz"]))
        by_debtor = (proposal["debtor_id"], day.date())
        by_phone = (PHONES[proposal["phone"]], day.date())
        if decision.rule is RuleId.EFFECTIVE_CALLS:
            assert effective[by_debtor] == rules.max_effective_calls
        elif decision.rule is RuleId.UNANSWERED_ATTEMPTS:
            assert unanswered[by_phone] == rules.max_unanswered_attempts
        elif decision.allowed:
            assert effective[by_debtor] < rules.max_effective_calls  # type: ignore[operator]
            assert unanswered[by_phone] < rules.max_unanswered_attempts  # type: ignore[operator]
            effective[by_debtor] += proposal["effective"]
            unanswered[by_phone] += not proposal["answered"]
    assert max(effective.values(), default=0) <= rules.max_effective_calls  # type: ignore[operator]
    assert max(unanswered.values(), default=0) <= rules.max_unanswered_attempts  # type: ignore[operator]
