"""Policy unit tests: run the cases a policy carries and measure rule/row coverage.

Each case gives inputs, optionally pins model outputs (so the strategy is tested apart from the
models), and the expected decision. Coverage counts the rules that fired, table rows that
matched, branches taken and pricing grades used, over all cases, against what the policy has.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from zhudai.decision.document import PolicyCase
from zhudai.decision.engine import CompiledPolicy, Decision
from zhudai.decision.loaders import PinnedModel
from zhudai.exceptions import ConfigurationError


@dataclass
class CaseResult:
    name: str
    passed: bool
    problems: list[str]
    decision: Decision | None


@dataclass
class PolicyTestReport:
    """Results of one policy's cases and its coverage."""

    policy: str
    results: list[CaseResult] = field(default_factory=list)
    covered: set[str] = field(default_factory=set)
    coverable: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return bool(self.results) and all(r.passed for r in self.results)

    @property
    def coverage(self) -> float:
        return (
            len(self.covered & set(self.coverable)) / len(self.coverable) if self.coverable else 1.0
        )

    def uncovered(self) -> list[str]:
        return [c for c in self.coverable if c not in self.covered]


def run_case(policy: CompiledPolicy, case: PolicyCase) -> CaseResult:
    """Decide one case (pinned models override the policy's) and compare with ``expect``."""
    models = dict(policy.models)
    models.update({k: PinnedModel.from_case(k, v) for k, v in case.models.items()})
    try:
        decision = policy.decide(case.input, models=models)
    except ConfigurationError as exc:
        return CaseResult(
            case.name, False, [f"{exc} (pin its outputs under the case's 'models')"], None
        )
    want = case.expect
    problems = []
    if decision.outcome != want.outcome:
        problems.append(f"outcome {decision.outcome.value}, expected {want.outcome.value}")
    for key in ("credit_limit", "apr", "term_months"):
        expected = getattr(want, key)
        got = getattr(decision, key)
        if expected is not None and (
            got is None or not math.isclose(got, expected, rel_tol=1e-9, abs_tol=1e-9)
        ):
            problems.append(f"{key} {got}, expected {expected}")
    missing = [r for r in want.reasons if r not in decision.reason_codes]
    if missing:
        problems.append(f"reasons {decision.reason_codes} lack {missing}")
    if decision.error:
        problems.append(f"error: {decision.error}")
    return CaseResult(case.name, not problems, problems, decision)


def run_policy_tests(policy: CompiledPolicy) -> PolicyTestReport:
    """Run every case of ``policy``; a policy without cases fails (it must carry its tests)."""
    report = PolicyTestReport(policy.name, coverable=policy.coverage_ids())
    for case in policy.document.tests:
        result = run_case(policy, case)
        report.results.append(result)
        if result.decision is not None:
            report.covered |= result.decision.covered()
    return report
