"""Every rule of the compliance guard, at its boundaries, in the debtor's own time zone."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from tests.collections.conftest import PHONE, action
from zhudai.collections import (
    ComplianceGuard,
    CountKey,
    GuardRules,
    InMemoryActionLog,
    InMemoryDayCounts,
    RuleId,
    Tally,
)
from zhudai.exceptions import ComplianceBlockedError, InvalidInputError


def rule_of(guard: ComplianceGuard, **changes: Any) -> RuleId | None:
    return guard.propose(action(**changes)).rule


def rules_of(guard: ComplianceGuard, actions: list[dict[str, Any]]) -> list[str | None]:
    return [None if (r := guard.propose(a).rule) is None else r.value for a in actions]


# --- quiet hours -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("local", "allowed"),
    [("07:59:59", False), ("08:00:00", True), ("21:59:59", True), ("22:00:00", False),
     ("00:00:00", False), ("03:00:00", False), ("12:00:00", True)],
)  # fmt: skip
def test_no_contact_22_to_08_debtor_local_time(local: str, allowed: bool) -> None:
    for kind in ("sms", "auto_call", "human_call", "agency_call"):
        decision = ComplianceGuard().propose(
            action(kind=kind, at=f"2026-06-01T{local}+08:00", debtor_tz="Asia/Shanghai")
        )
        assert decision.allowed is allowed, (kind, local)
        assert decision.rule is (None if allowed else RuleId.QUIET_HOURS)
    visit = action(kind="visit", collectors=2, at=f"2026-06-01T{local}+08:00")
    assert ComplianceGuard().propose(visit).allowed is allowed


@pytest.mark.parametrize(
    ("at", "tz", "allowed"),
    [
        # the collector's clock (+08:00) reads office hours; the debtor's reads night
        ("2026-06-01T10:00:00+08:00", "America/New_York", False),  # 22:00 EDT
        ("2026-06-01T09:59:00+08:00", "America/New_York", True),  # 21:59 EDT
        ("2026-06-01T20:00:00+08:00", "America/New_York", True),  # 08:00 EDT
        ("2026-06-01T19:59:00+08:00", "America/New_York", False),  # 07:59 EDT
        # the collector's clock reads night; the debtor's reads day
        ("2026-06-01T23:00:00+08:00", "Europe/London", True),  # 16:00 BST
        # a half-hour zone
        ("2026-06-01T10:29:00+08:00", "Asia/Kolkata", False),  # 07:59 IST
        ("2026-06-01T10:30:00+08:00", "Asia/Kolkata", True),  # 08:00 IST
    ],
)
def test_quiet_hours_are_read_in_the_debtors_zone_not_the_collectors(
    at: str, tz: str, allowed: bool
) -> None:
    assert ComplianceGuard().propose(action(at=at, debtor_tz=tz)).allowed is allowed


def test_quiet_hours_follow_daylight_saving_time() -> None:
    # America/New_York: EST (-05:00) until 2026-03-08 02:00, EDT (-04:00) until 2026-11-01 02:00
    guard = ComplianceGuard()
    ny = {"debtor_tz": "America/New_York"}
    assert rule_of(guard, at="2026-03-07T12:30:00+00:00", **ny) is RuleId.QUIET_HOURS  # 07:30
    assert rule_of(guard, at="2026-03-08T12:30:00+00:00", **ny) is None  # 08:30 EDT
    assert rule_of(guard, at="2026-10-31T12:30:00+00:00", **ny) is None  # 08:30 EDT
    assert rule_of(guard, at="2026-11-01T12:30:00+00:00", **ny) is RuleId.QUIET_HOURS  # 07:30
    assert rule_of(guard, at="2026-11-02T02:30:00+00:00", **ny) is None  # 21:30 EST on 11-01
    assert rule_of(guard, at="2026-11-02T03:00:00+00:00", **ny) is RuleId.QUIET_HOURS  # 22:00


@pytest.mark.parametrize(
    ("consent", "local", "allowed"),
    [
        ("07:00-23:00", "07:30", True),  # wider than the default hours
        ("07:00-23:00", "22:30", True),
        ("07:00-23:00", "23:00", False),
        ("12:00-13:00", "10:00", False),  # narrower: the debtor's hours are the only ones
        ("12:00-13:00", "12:59", True),
        ("20:00-01:00", "00:30", True),  # crossing midnight
        ("20:00-01:00", "01:00", False),
        ("20:00-01:00", "19:59", False),
        ("20:00-01:00", "23:59", True),
    ],
)
def test_the_debtors_agreed_hours_replace_the_default_hours(
    consent: str, local: str, allowed: bool
) -> None:
    decision = ComplianceGuard().propose(
        action(at=f"2026-06-01T{local}:00+08:00", consent_hours=consent)
    )
    assert decision.allowed is allowed
    if not allowed:
        assert decision.rule is RuleId.QUIET_HOURS and f"agreed hours {consent}" in decision.reason


def test_consent_hours_are_read_in_the_debtors_zone() -> None:
    # 22:30 in New York is 10:30 the next day at +08:00
    late = action(at="2026-06-02T10:30:00+08:00", debtor_tz="America/New_York")
    assert ComplianceGuard().propose(late).rule is RuleId.QUIET_HOURS
    assert ComplianceGuard().propose({**late, "consent_hours": "08:00-23:00"}).allowed


def test_the_debtors_consent_does_not_open_night_hours_for_a_third_party() -> None:
    night = action(
        at="2026-06-01T23:00:00+08:00",
        consent_hours="08:00-00:00",
        party="contact",
        debtor_unreachable=True,
    )
    assert ComplianceGuard().propose(night).rule is RuleId.QUIET_HOURS
    assert ComplianceGuard().propose({**night, "party": "debtor"}).allowed


def test_quiet_hours_and_consent_are_configurable() -> None:
    night = action(at="2026-06-01T03:00:00+08:00")
    assert ComplianceGuard(GuardRules(quiet_hours=None)).propose(night).allowed
    stricter = GuardRules.model_validate({"quiet_hours": "21:00-09:00"})
    assert rule_of(ComplianceGuard(stricter), at="2026-06-01T08:30:00+08:00") is RuleId.QUIET_HOURS
    ignored = GuardRules(honour_consent_hours=False)
    late = action(at="2026-06-01T22:30:00+08:00", consent_hours="08:00-23:00")
    assert ComplianceGuard(ignored).propose(late).rule is RuleId.QUIET_HOURS


# --- effective calls per debtor ----------------------------------------------------------------


def calls(n: int, start: str = "2026-06-01T10:00:00+08:00", **changes: Any) -> list[dict]:
    first = datetime.fromisoformat(start)
    return [action(i, at=(first + timedelta(minutes=i)).isoformat(), **changes) for i in range(n)]


def test_at_most_3_effective_voice_calls_per_debtor_per_day_automated_included() -> None:
    guard = ComplianceGuard()
    kinds = ["auto_call", "human_call", "agency_call", "auto_call", "human_call"]
    made = [action(i, kind=k, at=f"2026-06-01T1{i}:00:00+08:00") for i, k in enumerate(kinds)]
    assert rules_of(guard, made) == [
        None,
        None,
        None,
        "effective_call_limit",
        "effective_call_limit",
    ]
    key = CountKey(Tally.EFFECTIVE_CALLS, "D1", date(2026, 6, 1))
    assert isinstance(guard.counts, InMemoryDayCounts) and guard.counts.count(key) == 3


def test_once_the_limit_is_reached_every_call_is_blocked_whatever_its_outcome() -> None:
    guard = ComplianceGuard()
    assert rules_of(guard, calls(3)) == [None] * 3
    unanswered = action(9, at="2026-06-01T15:00:00+08:00", answered=False, effective=False)
    decision = guard.propose(unanswered)
    assert decision.rule is RuleId.EFFECTIVE_CALLS
    assert "already had 3 effective voice calls on 2026-06-01" in decision.reason
    assert guard.propose(action(10, kind="sms", at="2026-06-01T15:00:00+08:00")).allowed


def test_effective_calls_count_per_debtor_over_all_their_phones_and_contacts() -> None:
    guard = ComplianceGuard()
    assert guard.propose(action(1, phone="13900000001")).allowed
    assert guard.propose(action(2, phone="13900000002")).allowed
    third = action(3, phone="13900000003", party="contact", debtor_unreachable=True)
    assert guard.propose(third).allowed
    assert rule_of(guard, action_id="A4", phone="13900000004") is RuleId.EFFECTIVE_CALLS
    assert rule_of(guard, action_id="A5", debtor_id="D2") is None  # another debtor


def test_any_debtor_id_is_named_as_written() -> None:
    guard = ComplianceGuard(GuardRules(max_effective_calls=1))
    guard.propose(action(1, debtor_id="D{0}{x}"))
    decision = guard.propose(action(2, debtor_id="D{0}{x}"))
    assert decision.reason.startswith("debtor D{0}{x} already had 1 effective voice calls")


def test_only_effective_calls_count_towards_the_effective_limit() -> None:
    guard = ComplianceGuard()
    short = calls(5, answered=True, effective=False)  # answered, hung up at once
    assert rules_of(guard, short) == [None] * 5
    assert rules_of(guard, calls(4, start="2026-06-01T12:00:00+08:00")) == [
        None, None, None, "effective_call_limit"
    ]  # fmt: skip


def test_blocked_calls_do_not_count() -> None:
    guard = ComplianceGuard()
    night = calls(5, start="2026-06-01T23:00:00+08:00")  # all blocked by quiet hours
    assert set(rules_of(guard, night)) == {"quiet_hours"}
    assert rules_of(guard, calls(3)) == [None] * 3


# --- unanswered attempts per phone ------------------------------------------------------------


def test_at_most_6_unanswered_attempts_per_phone_number_per_day() -> None:
    guard = ComplianceGuard()
    tries = calls(8, answered=False, effective=False, kind="auto_call")
    assert rules_of(guard, tries) == [None] * 6 + ["unanswered_attempt_limit"] * 2
    answered = action(20, at="2026-06-01T16:00:00+08:00")  # would be answered: still blocked
    decision = guard.propose(answered)
    assert decision.rule is RuleId.UNANSWERED_ATTEMPTS
    assert "already had 6 unanswered attempts on 2026-06-01" in decision.reason
    assert PHONE not in decision.reason and PHONE[-4:] not in decision.reason
    assert rule_of(guard, action_id="A21", phone="13900000009") is None  # another phone


def test_unanswered_attempts_count_per_number_across_debtors_and_spellings() -> None:
    guard = ComplianceGuard()
    debtors = [
        action(i, debtor_id=f"D{i % 3}", answered=False, effective=False,
               phone=PHONE if i % 2 else "+86 139-1234-5678",
               at=f"2026-06-01T1{i}:00:00+08:00")
        for i in range(7)
    ]  # fmt: skip
    assert rules_of(guard, debtors) == [None] * 6 + ["unanswered_attempt_limit"]


def test_unanswered_attempts_do_not_use_up_effective_calls() -> None:
    guard = ComplianceGuard()
    assert rules_of(guard, calls(5, answered=False, effective=False)) == [None] * 5
    assert (
        rules_of(guard, calls(3, start="2026-06-01T12:00:00+08:00", phone="13900000001"))
        == [None] * 3
    )


def test_call_limits_are_configurable() -> None:
    guard = ComplianceGuard(GuardRules(max_effective_calls=1, max_unanswered_attempts=2))
    assert rules_of(guard, calls(2)) == [None, "effective_call_limit"]
    other = calls(3, debtor_id="D2", phone="13900000002", answered=False, effective=False)
    assert rules_of(guard, other) == [None, None, "unanswered_attempt_limit"]
    off = ComplianceGuard(GuardRules(max_effective_calls=None, max_unanswered_attempts=None))
    assert rules_of(off, calls(10) + calls(10, answered=False, effective=False)) == [None] * 20
    assert "no call limit" in off.propose(action(99, at="2026-06-01T12:00:00+08:00")).reason


def test_an_allowed_call_says_what_it_used() -> None:
    guard = ComplianceGuard()
    guard.propose(action(1))
    second = guard.propose(action(2, answered=False, effective=False))
    assert second.reason == (
        "within every rule; effective calls 1/3, unanswered attempts 1/6 on 2026-06-01"
    )


# --- local days ------------------------------------------------------------------------------


def test_counts_reset_at_the_debtors_local_midnight_not_at_utc_midnight() -> None:
    guard = ComplianceGuard()
    late = {"consent_hours": "20:00-02:00"}
    # 23:00-23:02 Shanghai on 06-01 = 15:00-15:02 UTC; 00:10 Shanghai on 06-02 = 16:10 UTC 06-01
    assert rules_of(guard, calls(3, start="2026-06-01T23:00:00+08:00", **late)) == [None] * 3
    assert rule_of(guard, action_id="X", at="2026-06-01T23:59:59+08:00", **late) is (
        RuleId.EFFECTIVE_CALLS
    )
    assert rules_of(guard, calls(3, start="2026-06-01T16:10:00+00:00", **late)) == [None] * 3
    assert rule_of(guard, action_id="Y", at="2026-06-02T01:00:00+08:00", **late) is (
        RuleId.EFFECTIVE_CALLS
    )


def test_a_new_york_debtors_day_runs_past_utc_midnight() -> None:
    guard = ComplianceGuard()
    ny = {"debtor_tz": "America/New_York", "consent_hours": "08:00-00:00"}
    assert rules_of(guard, calls(3, start="2026-06-01T20:00:00-04:00", **ny)) == [None] * 3
    # 23:30 EDT on 06-01 is 03:30 UTC on 06-02 and 11:30 at +08:00: still the debtor's 06-01
    assert rule_of(guard, action_id="X", at="2026-06-02T11:30:00+08:00", **ny) is (
        RuleId.EFFECTIVE_CALLS
    )
    assert rule_of(guard, action_id="Y", at="2026-06-02T08:00:00-04:00", **ny) is None


def test_the_repeated_hour_of_the_autumn_change_is_one_local_day() -> None:
    guard = ComplianceGuard(GuardRules(quiet_hours=None))
    ny = {"debtor_tz": "America/New_York"}
    # 01:10 EDT and 01:10 EST on 2026-11-01 (05:10 and 06:10 UTC), then 23:50 EST
    times = ["2026-11-01T05:10:00+00:00", "2026-11-01T06:10:00+00:00", "2026-11-02T04:50:00+00:00"]
    made = [action(i, at=t, **ny) for i, t in enumerate(times)]
    assert rules_of(guard, made) == [None] * 3
    assert rule_of(guard, action_id="X", at="2026-11-02T04:59:00+00:00", **ny) is (
        RuleId.EFFECTIVE_CALLS
    )
    assert rule_of(guard, action_id="Y", at="2026-11-02T05:00:00+00:00", **ny) is None  # 00:00


def test_a_day_older_than_the_kept_counts_is_refused_not_counted_from_zero() -> None:
    guard = ComplianceGuard()
    guard.propose(action(1, at="2026-06-10T10:00:00+08:00"))
    assert guard.propose(action(2, at="2026-06-07T10:00:00+08:00")).allowed  # 3 days back: kept
    with pytest.raises(InvalidInputError, match="^at: local day 2026-06-06 is more than 3 days"):
        guard.propose(action(3, at="2026-06-06T10:00:00+08:00"))


def test_concurrent_proposals_never_pass_more_than_the_limit() -> None:
    guard = ComplianceGuard()
    allowed: list[bool] = []

    def worker(w: int) -> None:
        for i in range(10):
            allowed.append(guard.propose(action(f"{w}-{i}")).allowed)

    threads = [threading.Thread(target=worker, args=(w,)) for w in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(allowed) == 80 and sum(allowed) == 3


# --- third parties and visits ------------------------------------------------------------------


@pytest.mark.parametrize("party", ["contact", "third_party"])
@pytest.mark.parametrize("kind", ["sms", "human_call", "agency_call", "visit"])
def test_third_parties_only_while_the_debtor_is_unreachable(party: str, kind: str) -> None:
    proposal = action(kind=kind, party=party, collectors=2 if kind == "visit" else None)
    decision = ComplianceGuard().propose(proposal)
    assert decision.rule is RuleId.THIRD_PARTY and "unreachable (失联)" in decision.reason
    assert ComplianceGuard().propose({**proposal, "debtor_unreachable": True}).allowed
    off = ComplianceGuard(GuardRules(third_party_only_when_unreachable=False))
    assert off.propose(proposal).allowed


def test_an_unreachable_flag_does_not_change_contacting_the_debtor() -> None:
    assert ComplianceGuard().propose(action(debtor_unreachable=True)).allowed


@pytest.mark.parametrize(("collectors", "need", "allowed"), [(1, 2, False), (2, 2, True),
                                                             (3, 2, True), (2, 3, False)])  # fmt: skip
def test_home_visits_need_two_collectors(collectors: int, need: int, allowed: bool) -> None:
    guard = ComplianceGuard(GuardRules(min_visit_collectors=need))
    decision = guard.propose(action(kind="visit", phone=None, collectors=collectors))
    assert decision.allowed is allowed
    if not allowed:
        assert decision.rule is RuleId.VISIT_COLLECTORS
        assert decision.reason == f"a home visit needs at least {need} collectors; got {collectors}"
    off = ComplianceGuard(GuardRules(min_visit_collectors=None))
    assert off.propose(action(kind="visit", collectors=1)).allowed


def test_the_first_rule_in_order_is_reported() -> None:
    everything_wrong = action(
        kind="visit", collectors=1, party="third_party", at="2026-06-01T23:00:00+08:00"
    )
    assert ComplianceGuard().propose(everything_wrong).rule is RuleId.QUIET_HOURS
    assert rule_of(
        ComplianceGuard(), **{**everything_wrong, "at": "2026-06-01T10:00:00+08:00"}
    ) is (RuleId.THIRD_PARTY)


# --- records ---------------------------------------------------------------------------------


def test_every_decision_is_recorded_allowed_or_blocked() -> None:
    log = InMemoryActionLog()
    guard = ComplianceGuard(log=log)
    guard.propose(action(1))
    guard.propose(action(2, at="2026-06-01T23:00:00+08:00"))
    records = log.records()
    assert [(r.action.action_id, r.allowed, r.rule) for r in records] == [
        ("A1", True, None),
        ("A2", False, RuleId.QUIET_HOURS),
    ]


def test_records_younger_than_two_years_cannot_be_purged() -> None:
    log = InMemoryActionLog()
    guard = ComplianceGuard(log=log)
    for i, at in enumerate(["2024-05-31T10:00:00+08:00", "2024-06-01T10:00:00+08:00"]):
        guard.propose(action(i, at=at))
    now = datetime(2026, 6, 1, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
    with pytest.raises(ComplianceBlockedError) as err:
        log.purge(datetime(2024, 6, 1, 2, 0, 1, tzinfo=UTC), now=now)
    assert err.value.rule == "record_retention" and len(log.records()) == 2
    assert log.purge(datetime(2024, 6, 1, 2, 0, tzinfo=UTC), now=now) == 1
    assert [r.action.action_id for r in log.records()] == ["A1"]
    assert isinstance(err.value, PermissionError)


def test_retention_is_configurable_and_counts_calendar_years() -> None:
    leap = datetime(2028, 2, 29, 12, tzinfo=UTC)
    with pytest.raises(ComplianceBlockedError, match="before 2026-02-28T12:00:00"):
        InMemoryActionLog().purge(datetime(2026, 2, 28, 12, 0, 1, tzinfo=UTC), now=leap)
    assert InMemoryActionLog().purge(datetime(2026, 2, 28, 12, tzinfo=UTC), now=leap) == 0
    five = InMemoryActionLog(GuardRules(retention_years=5))
    with pytest.raises(ComplianceBlockedError):
        five.purge(datetime(2024, 1, 1, tzinfo=UTC), now=leap)
    assert InMemoryActionLog(GuardRules(retention_years=None)).purge(leap, now=leap) == 0
    with pytest.raises(InvalidInputError, match="^before: "):
        InMemoryActionLog().purge(datetime(2020, 1, 1), now=leap)
