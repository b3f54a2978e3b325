"""The engine: a compiled policy that decides one applicant or a whole frame of them.

:func:`compile_policy` turns a document into a :class:`CompiledPolicy` (every load-time check
runs there); :meth:`CompiledPolicy.decide` walks the flow for one applicant and returns a
:class:`Decision` whose :meth:`~Decision.record` is the audit record (tokenised inputs, feature
values, model versions, rule trace with explanations); :meth:`CompiledPolicy.decide_frame` runs
the same compiled steps vectorised over a pandas or polars frame.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from zhudai.decision.compiler import CompiledFlow, PolicyResolver, compile_flow
from zhudai.decision.document import DecisionSpec, InputSpec, Outcome, PolicyDocument
from zhudai.decision.expression import NUMERIC, VarType, format_value
from zhudai.decision.model_contract import ScoringModel
from zhudai.decision.source import PolicySource
from zhudai.decision.state import FrameState, RowState
from zhudai.decision.steps import (
    BranchStep,
    GroupStep,
    Step,
    frame_of,
    run_steps,
    run_steps_frame,
)
from zhudai.decision.trace import InputProblems, render_trace
from zhudai.privacy import tokenizer, validate_bank_card, validate_id_number, validate_phone
from zhudai.settings import get_settings

ERR_APR_CAP = "ERR_APR_CAP"
ADVERSE_REASONS = 3
_PII = {"id": validate_id_number, "phone": validate_phone, "card": validate_bank_card}


@dataclass
class Decision:
    """One decision and everything needed to explain and replay it."""

    outcome: Outcome
    credit_limit: float | None
    apr: float | None
    term_months: int | None
    reason_codes: list[str]
    policy_name: str
    policy_version: int | None
    policy_hash: str
    inputs: dict[str, Any]
    features: dict[str, Any]
    model_versions: dict[str, dict[str, str]]
    model_outputs: dict[str, dict[str, Any]]
    adverse_reasons: list[tuple[str, float]]
    pd: float | None
    error: str | None
    extras: dict[str, Any] = field(default_factory=dict)
    decision_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    variant: str = "champion"
    customer_token: str | None = None
    _state: RowState | None = field(default=None, repr=False)
    _policy: CompiledPolicy | None = field(default=None, repr=False)

    @property
    def trace(self) -> list[dict[str, Any]]:
        """Which rules fired and why the others did not (rendered on first use)."""
        if self._state is None or self._policy is None:
            return []
        return render_trace(self._state.trace, self._state.env)

    @property
    def explanations(self) -> list[str]:
        return [f"{t['step']}: {t['why']}" for t in self.trace]

    def covered(self) -> set[str]:
        """Coverage ids this decision hit (fired rules, matched rows, chosen branches)."""
        return {t["id"] for t in self.trace if t.get("hit") and "id" in t}

    def record(self) -> dict[str, Any]:
        """The JSON audit record (no plaintext personal data: PII inputs are tokens)."""
        return {
            "decision_id": self.decision_id,
            "policy": {
                "name": self.policy_name,
                "version": self.policy_version,
                "hash": self.policy_hash,
                "sub_policies": self._policy.flow.sub_policies if self._policy else [],
            },
            "variant": self.variant,
            "outcome": self.outcome.value,
            "credit_limit": self.credit_limit,
            "apr": self.apr,
            "term_months": self.term_months,
            "reason_codes": list(self.reason_codes),
            "inputs": _jsonable(self.inputs),
            "features": _jsonable(self.features),
            "model_versions": self.model_versions,
            "model_sources": self._policy.model_sources if self._policy else {},
            "model_outputs": _jsonable(self.model_outputs),
            "adverse_reasons": [[f, p] for f, p in self.adverse_reasons],
            "pd": self.pd,
            "error": self.error,
            "extras": _jsonable(self.extras),
            "trace": self.trace,
        }

    def summary(self) -> dict[str, Any]:
        """What replay compares: the decision itself, not its bookkeeping."""
        return {
            "outcome": self.outcome.value,
            "credit_limit": self.credit_limit,
            "apr": self.apr,
            "term_months": self.term_months,
            "reason_codes": list(self.reason_codes),
        }


class CompiledPolicy:
    """A policy compiled to Python callables; immutable, so swapping it in is one assignment."""

    def __init__(
        self,
        source: PolicySource,
        document: PolicyDocument,
        flow: CompiledFlow,
        models: Mapping[str, ScoringModel],
        apr_cap: float,
        version: int | None = None,
    ) -> None:
        self.source = source
        self.document = document
        self.name = document.name
        self.version = version
        self.content_hash = source.content_hash
        self.flow = flow
        self.steps: list[Step] = flow.steps
        self.inputs: dict[str, InputSpec] = flow.inputs
        self.decision_spec: DecisionSpec | None = document.decision
        self.models: dict[str, ScoringModel] = dict(models)
        self.apr_cap = apr_cap
        self.is_fragment = document.decision is None
        self.model_sources: dict[str, str] = {}  # model name -> artefact path it was loaded from

    def coverage_ids(self) -> list[str]:
        return [i for step in self.steps for i in step.coverage_ids()]

    def customer_token(self, application: Mapping[str, Any]) -> str | None:
        """The customer key of champion/challenger splits: the ID token, else one supplied."""
        for name, spec in self.inputs.items():
            if spec.pii == "id":
                pii = _prepare_pii(name, spec.pii, application)
                if pii is not None:
                    return pii[f"{name}_token"]
        return application.get("customer_token")

    # -- inputs ---------------------------------------------------------------------------
    def prepare(
        self, application: Mapping[str, Any]
    ) -> tuple[dict[str, Any], list[tuple[str, str]]]:
        """Typed, tokenised inputs and the problems found: ``(input, "missing" | reason)``."""
        prepared: dict[str, Any] = {}
        problems: list[tuple[str, str]] = []
        for name, spec in self.inputs.items():
            if spec.pii:
                pii = _prepare_pii(name, spec.pii, application)
                if pii is None:
                    problems.append((name, "missing"))
                else:
                    prepared.update(pii)
                continue
            value = _clean(application.get(name))
            if value is None:
                if spec.default is not None:
                    prepared[name] = spec.default
                    continue
                problems.append((name, "missing"))
                continue
            checked, problem = _check_input(spec, value)
            if problem:
                problems.append((name, problem))
                # kept (as text if need be) so a replay meets the same problem
                prepared[name] = (
                    value if isinstance(value, int | float | str | bool) else str(value)
                )
            else:
                prepared[name] = checked
        return prepared, problems

    # -- one applicant ----------------------------------------------------------------------
    def decide(
        self, application: Mapping[str, Any], *, models: Mapping[str, ScoringModel] | None = None
    ) -> Decision:
        """Decide one applicant: input checks, then the flow, then the decision section."""
        prepared, problems = self.prepare(application)
        st = RowState(application, dict(prepared), models if models is not None else self.models)
        if problems:
            st.trace.append(InputProblems(tuple(problems)))
            outcome = Outcome(self.document.on_missing)
            st.outcome = outcome
            st.reasons.extend(_input_reasons(problems, self.inputs))
        else:
            run_steps(self.steps, st)
        return self._finish(st, prepared)

    def _finish(self, st: RowState, prepared: dict[str, Any]) -> Decision:
        spec = self.decision_spec
        env = st.env
        if st.outcome is not None:
            outcome = st.outcome
        elif spec is None:
            outcome = Outcome.REVIEW if st.review else Outcome.PASS
        else:
            outcome = Outcome(env[spec.outcome])
            if st.review and outcome == Outcome.APPROVE:
                outcome = Outcome.REVIEW
        limit = apr = term = pd_value = None
        reasons = list(st.reasons)
        if spec is not None:
            pd_value = _num(env.get(spec.pd)) if spec.pd else None
            if outcome in (Outcome.APPROVE, Outcome.REVIEW):
                limit = _num(env.get(spec.credit_limit)) if spec.credit_limit else None
                apr = _num(env.get(spec.apr)) if spec.apr else None
                term = env.get(spec.term_months) if spec.term_months else None
                term = int(term) if term is not None else None
                if apr is not None and apr + spec.fee_apr > self.apr_cap + 1e-12:
                    outcome, limit, apr, term = Outcome.ERROR, None, None, None
                    reasons.append(ERR_APR_CAP)
            if outcome != Outcome.ERROR:
                for var in spec.reasons:
                    value = env.get(var)
                    reasons.extend(v for v in (value if isinstance(value, list) else [value]) if v)
        if outcome in (Outcome.REJECT, Outcome.REVIEW):
            reasons.extend(f"SC_{f}" for f, _ in st.adverse[:ADVERSE_REASONS])
        token = next(
            (
                prepared[f"{n}_token"]
                for n, s in self.inputs.items()
                if s.pii == "id" and f"{n}_token" in prepared
            ),
            st.raw.get("customer_token"),
        )  # the same key as customer_token()
        return Decision(
            outcome=outcome,
            credit_limit=limit,
            apr=apr,
            term_months=term,
            reason_codes=list(dict.fromkeys(reasons)),
            policy_name=self.name,
            policy_version=self.version,
            policy_hash=self.content_hash,
            inputs=prepared,
            features=st.features,
            model_versions=st.model_versions,
            model_outputs=st.model_outputs,
            adverse_reasons=list(st.adverse),
            pd=pd_value,
            error=st.error,
            extras={v: env.get(v) for v in spec.extras} if spec is not None else {},
            customer_token=token,
            _state=st,
            _policy=self,
        )

    # -- a frame ----------------------------------------------------------------------------
    def decide_frame(
        self, data: Any, *, models: Mapping[str, ScoringModel] | None = None
    ) -> pd.DataFrame:
        """The same decisions for every row of a pandas/polars frame, evaluated vectorised.

        Returns a frame with ``outcome, credit_limit, apr, term_months, reason_codes, pd`` in
        the order of the input rows.
        """
        frame = frame_of(data)
        n = len(frame)
        records = frame.astype(object).where(frame.notna(), None).to_dict("records")  # type: ignore[call-overload]
        prepared_rows = [self.prepare(r) for r in records]
        fs = FrameState(n, frame, {}, models if models is not None else self.models)
        for name, spec in self.inputs.items():
            var, typ = (f"{name}_valid", VarType.BOOLEAN) if spec.pii else (name, spec.type)
            values = [None if problems else p.get(var) for p, problems in prepared_rows]
            if typ in NUMERIC:
                fs.env[var] = np.array([np.nan if v is None else v for v in values], dtype=float)
            elif typ == VarType.BOOLEAN:
                fs.env[var] = np.array([bool(v) for v in values], dtype=bool)
            else:
                fs.env[var] = np.array(values, dtype=object)
        on_missing = Outcome(self.document.on_missing)
        for i, (_, problems) in enumerate(prepared_rows):
            if problems:
                fs.outcome[i] = on_missing
                fs.reasons[i].extend(_input_reasons(problems, self.inputs))
                fs.active[i] = False
        run_steps_frame(self.steps, fs)
        return self._finish_frame(fs)

    def _finish_frame(self, fs: FrameState) -> pd.DataFrame:
        spec = self.decision_spec
        outcome = fs.outcome.copy()
        running = fs.active
        if spec is None:
            outcome[running] = np.where(fs.review[running], Outcome.REVIEW, Outcome.PASS)
        elif spec.outcome in fs.env:  # else no row reached the decision (all stopped before)
            decided = np.array(
                [Outcome(v) if v is not None else None for v in fs.env[spec.outcome]], dtype=object
            )
            outcome[running] = decided[running]
            outcome[running & fs.review & (outcome == Outcome.APPROVE)] = Outcome.REVIEW
        n = fs.size
        limit = np.full(n, np.nan)
        apr = np.full(n, np.nan)
        term = np.full(n, np.nan)
        pd_values = np.full(n, np.nan)
        reasons = [list(r) for r in fs.reasons]
        if spec is not None:
            if spec.pd:
                pd_values = np.asarray(fs.env.get(spec.pd, pd_values), dtype=float)
            granted = np.isin(outcome, [Outcome.APPROVE, Outcome.REVIEW])
            for var, target in (
                (spec.credit_limit, limit),
                (spec.apr, apr),
                (spec.term_months, term),
            ):
                if var and var in fs.env:
                    target[granted] = np.asarray(fs.env[var], dtype=float)[granted]
            if spec.apr:
                over = granted & (apr + spec.fee_apr > self.apr_cap + 1e-12)
                outcome[over] = Outcome.ERROR
                for arr in (limit, apr, term):
                    arr[over] = np.nan
                for i in np.flatnonzero(over):
                    reasons[i].append(ERR_APR_CAP)
            for var in spec.reasons:
                column = fs.env.get(var)
                if column is None:
                    continue
                for i in np.flatnonzero(outcome != Outcome.ERROR):
                    value = column[i]
                    if value is not None:
                        reasons[i].extend(
                            v for v in (value if isinstance(value, list) else [value]) if v
                        )
        for i in np.flatnonzero(np.isin(outcome, [Outcome.REJECT, Outcome.REVIEW])):
            reasons[i].extend(f"SC_{f}" for f, _ in fs.adverse[i][:ADVERSE_REASONS])
        return pd.DataFrame(
            {
                "outcome": [o.value for o in outcome],
                "credit_limit": limit,
                "apr": apr,
                "term_months": pd.array(
                    [None if math.isnan(t) else int(t) for t in term], dtype="Int64"
                ),
                "reason_codes": [list(dict.fromkeys(r)) for r in reasons],
                "pd": pd_values,
            }
        )


def _prepare_pii(name: str, kind: str, application: Mapping[str, Any]) -> dict[str, Any] | None:
    """``<name>_token`` and ``<name>_valid`` from the raw value (or an already prepared pair)."""
    if name not in application and f"{name}_valid" in application:
        return {
            f"{name}_token": application.get(f"{name}_token"),
            f"{name}_valid": bool(application[f"{name}_valid"]),
        }
    value = _clean(application.get(name))
    if value is None:
        return None
    try:
        normal, valid = _PII[kind](str(value), name), True
    except ValueError:
        normal, valid = str(value).strip(), False
    return {f"{name}_token": tokenizer().token(kind, normal), f"{name}_valid": valid}


def _input_reasons(problems: list[tuple[str, str]], specs: Mapping[str, InputSpec]) -> list[str]:
    """Reason codes of input problems, each once: a missing input's ``missing_reason`` (shared by
    a provider's inputs) or ``MISSING_<NAME>``; an invalid one ``INVALID_<NAME>``."""
    codes = []
    for name, problem in problems:
        if problem != "missing":
            codes.append(f"INVALID_{name.upper()}")
        else:
            codes.append(specs[name].missing_reason or f"MISSING_{name.upper()}")
    return list(dict.fromkeys(codes))


_PLAIN = (int, float, bool)


def _clean(value: Any) -> Any:
    """``None`` for every spelling of missing (None, NaN, NA, NaT, blank text), else the value."""
    if type(value) in _PLAIN:
        return None if value != value else value  # NaN is the only value unequal to itself
    if isinstance(value, np.generic):
        value = value.item()
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, str) and not value.strip():
        return None
    try:
        if pd.isna(value) is True:
            return None
    except (TypeError, ValueError):
        pass
    return value


def _check_input(spec: InputSpec, value: Any) -> tuple[Any, str | None]:
    typ = spec.type
    if typ in NUMERIC:
        if isinstance(value, bool) or not isinstance(value, int | float):
            return None, f"must be a number; got {type(value).__name__}"
        if typ == VarType.INTEGER:
            if isinstance(value, float) and not value.is_integer():
                return None, f"must be a whole number; got {value}"
            value = int(value)
        if not math.isfinite(value):
            return None, f"must be finite; got {value}"
        if spec.min is not None and value < spec.min:
            return None, f"{format_value(value)} < min {format_value(spec.min)}"
        if spec.max is not None and value > spec.max:
            return None, f"{format_value(value)} > max {format_value(spec.max)}"
        return value, None
    if typ == VarType.BOOLEAN:
        if not isinstance(value, bool):
            return None, f"must be true or false; got {value!r}"
        return value, None
    if not isinstance(value, str):
        return None, f"must be a string; got {type(value).__name__}"
    if spec.allowed is not None and value not in spec.allowed:
        return None, f"{value!r} is not one of {spec.allowed}"
    return value, None


def _num(value: Any) -> float | None:
    if value is None:
        return None
    value = float(value)
    return None if math.isnan(value) else value


def _jsonable(value: Any) -> Any:
    kind = type(value)
    if kind is float:  # most of a record: feature values (fast path, no isinstance chain)
        return None if value != value else value
    if kind is str or kind is int or kind is bool or value is None:
        return value
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    return value


# ------------------------------------------------------------------------------- compile


def compile_policy(
    source: PolicySource,
    document: PolicyDocument,
    *,
    resolve: PolicyResolver | None = None,
    models: Mapping[str, ScoringModel] | None = None,
    model_loader: Any = None,
    apr_cap: float | None = None,
    version: int | None = None,
) -> CompiledPolicy:
    """Compile and check a policy; load its models with ``model_loader`` if one is given.

    Raises
    ------
    DefinitionError
        Any load-time check failed; the message names the file, line and rule.
    """
    cap = apr_cap if apr_cap is not None else get_settings().apr_cap
    flow = compile_flow(source, document, resolve, cap)
    loaded: dict[str, ScoringModel] = dict(models or {})
    sources: dict[str, str] = {}
    if model_loader is not None:
        for key, ref in flow.models.items():
            if key not in loaded:
                loaded[key] = model_loader.load(ref)
                if hasattr(model_loader, "resolve"):
                    sources[ref.name] = str(model_loader.resolve(ref))
    policy = CompiledPolicy(source, document, flow, loaded, cap, version)
    policy.model_sources = sources
    return policy


def walk_steps(steps: Sequence[Step]) -> list[Step]:
    """Every step of a flow, nested ones included (for reports)."""
    out: list[Step] = []
    for step in steps:
        out.append(step)
        if isinstance(step, BranchStep):
            out.extend(walk_steps([x for c in step.cases for x in c.steps] + step.otherwise))
        elif isinstance(step, GroupStep):
            out.extend(walk_steps(step.steps))
    return out
