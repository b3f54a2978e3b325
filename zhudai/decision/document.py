"""The policy document: pure, serialisable data validated with pydantic.

A policy is what a risk-strategy team writes in YAML: typed inputs, named lists, model
references, a flow of steps and a decision section, plus its own test cases. Nothing here
evaluates anything; :mod:`zhudai.decision.compiler` turns a document into callables.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from zhudai.decision.expression import VarType

_NAME = r"^[A-Za-z][A-Za-z0-9_.]*$"


class Outcome(StrEnum):
    """What a decision can say; ``PASS`` only for a fragment (sub-policy) run on its own."""

    APPROVE = "approve"
    REJECT = "reject"
    REVIEW = "review"
    ERROR = "error"
    PASS = "pass"


class HitPolicy(StrEnum):
    """How a decision table turns matching rows into outputs (DMN names)."""

    FIRST = "first"
    UNIQUE = "unique"
    COLLECT = "collect"
    PRIORITY = "priority"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class InputSpec(_Strict):
    """A typed input variable; missing or out-of-range values give the policy's ``on_missing``.

    A missing input's reason code is ``MISSING_<NAME>``, or ``missing_reason`` when one is set:
    inputs from one provider share a code (``MISSING_BUREAU``), given once however many of
    them are absent. Invalid values keep ``INVALID_<NAME>``. An input with a ``default`` takes
    it when missing; every other input is required.
    """

    type: VarType
    default: Any = None
    min: float | None = None
    max: float | None = None
    allowed: list[str] | None = None
    pii: Literal["id", "phone", "card"] | None = Field(
        default=None, description="Tokenised before evaluation; exposes <name>_valid (boolean)."
    )
    missing_reason: str | None = Field(
        default=None,
        pattern=r"^[A-Z][A-Z0-9_]*$",
        description="Reason code when the input is missing (shared by a provider's inputs).",
    )
    description: str = ""


class ModelRef(_Strict):
    """A model from the registry, found by ``name`` in the loader's paths or by ``path``."""

    name: str
    path: str | None = None


class Rule(_Strict):
    name: str = Field(pattern=_NAME)
    when: str
    outcome: Literal["reject", "review"]
    reason: str
    message: str = ""


class RulesStep(_Strict):
    """Hard rules / fraud checks: every rule is evaluated; any reject stops the flow."""

    kind: Literal["rules"]
    name: str = Field(pattern=_NAME)
    rules: list[Rule] = Field(min_length=1)


class AssignStep(_Strict):
    """Derived variables, computed in order (``dti: debt_monthly / income_monthly``)."""

    kind: Literal["assign"]
    name: str = Field(pattern=_NAME)
    set: dict[str, str] = Field(min_length=1)


class ModelStep(_Strict):
    """Run a registered model: its points score, probability of bad and top adverse reasons."""

    kind: Literal["model"]
    name: str = Field(pattern=_NAME)
    model: str
    score: str | None = None
    pd: str | None = None
    reasons: int = Field(default=0, ge=0, le=10)


class TableRow(_Strict):
    when: dict[str, Any] = Field(default_factory=dict)
    then: dict[str, Any]
    note: str = ""


class TableStep(_Strict):
    """A decision table over input variables; cells are ranges, comparisons, sets or literals."""

    kind: Literal["table"]
    name: str = Field(pattern=_NAME)
    hit: HitPolicy = HitPolicy.FIRST
    inputs: list[str] = Field(min_length=1)
    outputs: list[str] = Field(min_length=1)
    rows: list[TableRow] = Field(min_length=1)
    default: dict[str, Any] | None = None
    priority: list[Any] | None = Field(
        default=None, description="Priority hit policy: values of the first output, best first."
    )
    allow_gaps: bool = False


class PricingStep(_Strict):
    """Risk-based pricing and limits: a grade x income-band grid for limit, APR and term."""

    kind: Literal["pricing"]
    name: str = Field(pattern=_NAME)
    grade: str
    income: str
    grades: list[str] = Field(min_length=1)
    income_bands: list[float] = Field(min_length=1, description="Lower bounds, ascending.")
    limit: list[list[float]]
    apr: list[list[float]]
    term: list[list[int]]
    outputs: dict[str, str] = Field(
        default_factory=lambda: {"limit": "credit_limit", "apr": "apr", "term": "term_months"}
    )

    @field_validator("income_bands")
    @classmethod
    def _ascending(cls, bands: list[float]) -> list[float]:
        if any(b <= a for a, b in zip(bands, bands[1:], strict=False)):
            raise ValueError("income_bands must be strictly ascending")
        return bands


class BranchCase(_Strict):
    when: str
    steps: list[Step]


class BranchStep(_Strict):
    """Segments: the first case whose condition holds runs its steps, else ``otherwise``."""

    kind: Literal["branch"]
    name: str = Field(pattern=_NAME)
    cases: list[BranchCase] = Field(min_length=1)
    otherwise: list[Step] = Field(default_factory=list)


class SubPolicyStep(_Strict):
    """Inline another policy's inputs, lists and steps (found through the policy loader)."""

    kind: Literal["policy"]
    name: str = Field(pattern=_NAME)
    policy: str


Step = Annotated[
    RulesStep | AssignStep | ModelStep | TableStep | PricingStep | BranchStep | SubPolicyStep,
    Field(discriminator="kind"),
]
BranchCase.model_rebuild()
BranchStep.model_rebuild()


class DecisionSpec(_Strict):
    """Which variables hold the outcome, limit, APR and term; ``fee_apr`` adds to the all-in cost."""

    outcome: str
    credit_limit: str | None = None
    apr: str | None = None
    term_months: str | None = None
    pd: str | None = Field(default=None, description="Expected probability of bad (back-tests).")
    reasons: list[str] = Field(default_factory=list, description="Variables holding reason codes.")
    extras: list[str] = Field(default_factory=list, description="Variables kept in the record.")
    fee_apr: float = Field(default=0.0, ge=0)


class CaseExpect(_Strict):
    outcome: Outcome
    credit_limit: float | None = None
    apr: float | None = None
    term_months: int | None = None
    reasons: list[str] = Field(default_factory=list, description="Codes that must be present.")


class PolicyCase(_Strict):
    """A policy unit test: inputs (and pinned model outputs) -> expected decision."""

    name: str
    input: dict[str, Any]
    models: dict[str, dict[str, Any]] = Field(default_factory=dict)
    expect: CaseExpect


class PolicyDocument(_Strict):
    """A whole policy; a document without ``decision`` is a fragment used as a sub-policy."""

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    description: str = ""
    on_missing: Literal["review", "error"] = "review"
    on_no_match: Literal["review", "error"] = "review"
    inputs: dict[str, InputSpec] = Field(default_factory=dict)
    lists: dict[str, list[str | int | float]] = Field(default_factory=dict)
    models: dict[str, ModelRef] = Field(default_factory=dict)
    steps: list[Step] = Field(min_length=1)
    decision: DecisionSpec | None = None
    reason_texts: dict[str, str] = Field(default_factory=dict)
    tests: list[PolicyCase] = Field(default_factory=list)
