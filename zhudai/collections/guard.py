"""The compliance guard: judges a proposed collection action before it happens, blocks it if a
rule forbids it and says which rule; an allowed action counts towards the day's limits, a
blocked one does not.

Rules, in the order they are checked (the first that blocks is the one reported):

1. ``quiet_hours``: no contact 22:00-08:00 of the debtor's local time; a debtor's agreed
   hours (``consent_hours``) replace the allowed hours of contacts with the debtor.
2. ``third_party_unreachable``: a contact or third party only while the debtor is unreachable
   (失联). The guard cannot hear what is said; that they only relay a message and are never told
   of the debt is for call inspection.
3. ``visit_two_collectors``: a home visit needs two collectors.
4. ``effective_call_limit``: once a debtor had 3 effective voice calls on a local day (automated
   calls included, whoever answered), no further call on that debtor's case that day.
5. ``unanswered_attempt_limit``: once a phone number had 6 unanswered attempts on a local day,
   no further call to it that day.

The guard acts before the call, when nobody knows whether it will be answered: so a call is
blocked once a limit is reached, whatever its own outcome; its outcome counts once allowed.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from zhudai.collections.actions import ActionKind, Party, ProposedAction
from zhudai.collections.counts import CountKey, DayCounts, InMemoryDayCounts, Tally
from zhudai.collections.records import ActionLog, ActionRecord
from zhudai.collections.rules import GuardRules, HoursWindow, RuleId
from zhudai.parsing import parse_input

_RULE_OF = {
    Tally.EFFECTIVE_CALLS: RuleId.EFFECTIVE_CALLS,
    Tally.UNANSWERED_ATTEMPTS: RuleId.UNANSWERED_ATTEMPTS,
}
_ALREADY = {  # the phone number itself is never named (personal data)
    Tally.EFFECTIVE_CALLS: "debtor {debtor} already had {count} effective voice calls",
    Tally.UNANSWERED_ATTEMPTS: "this phone number already had {count} unanswered attempts",
}


class GuardDecision(BaseModel):
    """The guard's answer for one action (the contract's output line)."""

    model_config = ConfigDict(frozen=True)

    action_id: str | None
    allowed: bool
    rule: RuleId | None
    reason: str


class ComplianceGuard:
    """Judges proposed actions against :class:`GuardRules`, counting in ``counts`` and keeping
    every decision in ``log``.

    Examples
    --------
    >>> guard = ComplianceGuard()
    >>> call = {"action_id": "A1", "debtor_id": "D1", "phone": "13912345678",
    ...         "kind": "auto_call", "at": "2026-06-01T21:59:00+08:00",
    ...         "debtor_tz": "Asia/Shanghai", "party": "debtor", "answered": True,
    ...         "effective": True}
    >>> guard.propose(call).allowed
    True
    >>> late = guard.propose({**call, "action_id": "A2", "at": "2026-06-01T22:00:00+08:00"})
    >>> late.rule.value, late.reason
    ('quiet_hours', 'contact at 22:00 on 2026-06-01 in Asia/Shanghai (debtor local time) is outside the allowed hours 08:00-22:00')
    """

    def __init__(
        self,
        rules: GuardRules | None = None,
        counts: DayCounts | None = None,
        log: ActionLog | None = None,
    ) -> None:
        self.rules = rules or GuardRules()
        self.counts = counts if counts is not None else InMemoryDayCounts()
        self.log = log

    def propose(self, action: ProposedAction | dict[str, object]) -> GuardDecision:
        """Judge ``action``; if allowed, count it. A bad action raises ``InvalidInputError``."""
        action = parse_input(ProposedAction, action)
        decision = self._judge(action)
        if self.log is not None:
            self.log.append(ActionRecord(action, decision.allowed, decision.rule, decision.reason))
        return decision

    def _judge(self, action: ProposedAction) -> GuardDecision:
        for rule, reason in (
            (RuleId.QUIET_HOURS, self._quiet_hours(action)),
            (RuleId.THIRD_PARTY, self._third_party(action)),
            (RuleId.VISIT_COLLECTORS, self._visit(action)),
        ):
            if reason is not None:
                return GuardDecision(
                    action_id=action.action_id, allowed=False, rule=rule, reason=reason
                )
        if not action.is_call:
            return GuardDecision(
                action_id=action.action_id, allowed=True, rule=None, reason="within every rule"
            )
        return self._call_limits(action)

    def _quiet_hours(self, action: ProposedAction) -> str | None:
        quiet = self.rules.quiet_hours
        if quiet is None:
            return None
        consent = action.consent_hours if action.party is Party.DEBTOR else None
        allowed = consent if consent is not None and self.rules.honour_consent_hours else None
        moment = action.local_time()
        if allowed is not None:
            if allowed.contains(moment):
                return None
            hours = f"the debtor's agreed hours {allowed}"
        else:
            if not quiet.contains(moment):
                return None
            hours = f"the allowed hours {HoursWindow(start=quiet.end, end=quiet.start)}"
        return (
            f"contact at {moment:%H:%M} on {action.local_day()} in {action.debtor_tz} "
            f"(debtor local time) is outside {hours}"
        )

    def _third_party(self, action: ProposedAction) -> str | None:
        if (
            not self.rules.third_party_only_when_unreachable
            or action.party is Party.DEBTOR
            or action.debtor_unreachable
        ):
            return None
        return (
            f"a {action.kind.value} to a {action.party.value.replace('_', ' ')} is allowed only "
            "while the debtor is unreachable (失联), to relay a message; debtor_unreachable is false"
        )

    def _visit(self, action: ProposedAction) -> str | None:
        need = self.rules.min_visit_collectors
        if action.kind is not ActionKind.VISIT or need is None or (action.collectors or 0) >= need:
            return None
        return f"a home visit needs at least {need} collectors; got {action.collectors}"

    def _call_limits(self, action: ProposedAction) -> GuardDecision:
        day = action.local_day()
        assert action.phone is not None  # a call has a phone (ProposedAction checks it)
        effective = CountKey(Tally.EFFECTIVE_CALLS, action.debtor_id, day)
        unanswered = CountKey(Tally.UNANSWERED_ATTEMPTS, action.phone, day)
        limits = [
            (key, limit)
            for key, limit in (
                (effective, self.rules.max_effective_calls),
                (unanswered, self.rules.max_unanswered_attempts),
            )
            if limit is not None
        ]
        bump = [
            key
            for key, counted in ((effective, action.effective), (unanswered, not action.answered))
            if counted
        ]
        admission = self.counts.admit(limits, bump)
        if admission.blocked is not None:
            key, limit = limits[admission.blocked]
            already = _ALREADY[key.tally].format(
                debtor=action.debtor_id, count=admission.counts[admission.blocked]
            )
            return GuardDecision(
                action_id=action.action_id,
                allowed=False,
                rule=_RULE_OF[key.tally],
                reason=f"{already} on {day} (debtor local day); at most {limit} a day",
            )
        used = ", ".join(
            f"{key.tally.value.replace('_', ' ')} {count + (key in bump)}/{limit}"
            for (key, limit), count in zip(limits, admission.counts, strict=True)
        )
        return GuardDecision(
            action_id=action.action_id,
            allowed=True,
            rule=None,
            reason=f"within every rule; {used or 'no call limit'} on {day}",
        )
