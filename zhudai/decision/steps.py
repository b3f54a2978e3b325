"""Compiled flow steps. Each runs for one applicant (``run``) and for a frame (``run_frame``).

A step either completes for a row -- its reasons and variables then count -- or raises an
:class:`~zhudai.decision.expression.EvaluationError`, which makes the row's outcome ``error``:
the flow never falls through to an approval it did not reach.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from zhudai.decision.document import HitPolicy, Outcome
from zhudai.decision.expression import EvaluationError, Expression, VarType, VectorContext
from zhudai.decision.state import FrameState, RowState
from zhudai.decision.tables import DecisionTable
from zhudai.decision.trace import (
    SHOWN_MISSING,
    BranchTaken,
    MissingFeatures,
    PriceCell,
    RulesFired,
    TableMatch,
)
from zhudai.exceptions import ConfigurationError, InvalidTypeError


def run_steps(steps: Sequence[Step], st: RowState) -> None:
    """Walk ``steps`` until the flow stops."""
    for step in steps:
        if st.outcome is not None:
            return
        try:
            step.run(st)
        except EvaluationError as exc:
            st.fail(step.name, str(exc))


def run_steps_frame(steps: Sequence[Step], fs: FrameState) -> None:
    for step in steps:
        if not fs.active.any():
            return
        step.run_frame(fs)


class Step:
    """Base of compiled steps: a name, and the coverage ids it can hit."""

    name: str = ""

    def run(self, st: RowState) -> None:
        raise NotImplementedError

    def run_frame(self, fs: FrameState) -> None:
        raise NotImplementedError

    def coverage_ids(self) -> list[str]:
        return []


@dataclass
class CompiledRule:
    name: str
    expr: Expression
    outcome: Outcome
    reason: str


class RulesStep(Step):
    def __init__(self, name: str, rules: Sequence[CompiledRule]) -> None:
        self.name = name
        self.rules = list(rules)

    def run(self, st: RowState) -> None:
        env = st.env
        fired = [r for r in self.rules if r.expr.fn(env)]
        st.trace.append(RulesFired(self, frozenset(r.name for r in fired)))
        for r in fired:
            st.reasons.append(r.reason)
            if r.outcome == Outcome.REJECT:
                st.outcome = Outcome.REJECT
            else:
                st.review = True

    def run_frame(self, fs: FrameState) -> None:
        ctx = VectorContext(fs.size)
        fired = [np.asarray(r.expr.vector(fs.env, ctx, fs.active), dtype=bool) for r in self.rules]
        fs.fail(ctx.errors, self.name, ctx.problems)
        rejected = np.zeros(fs.size, dtype=bool)
        for r, m in zip(self.rules, fired, strict=True):
            m = m & fs.active
            fs.add_reason(m, r.reason)
            if r.outcome == Outcome.REJECT:
                rejected |= m
            else:
                fs.review |= m
        fs.outcome[rejected] = Outcome.REJECT
        fs.active &= ~rejected

    def coverage_ids(self) -> list[str]:
        return [f"{self.name}.{r.name}" for r in self.rules]


class AssignStep(Step):
    def __init__(self, name: str, assignments: Sequence[tuple[str, Expression]]) -> None:
        self.name = name
        self.assignments = list(assignments)

    def run(self, st: RowState) -> None:
        for var, expr in self.assignments:
            st.env[var] = expr.fn(st.env)

    def run_frame(self, fs: FrameState) -> None:
        for var, expr in self.assignments:
            ctx = VectorContext(fs.size)
            values = expr.vector(fs.env, ctx, fs.active)
            fs.fail(ctx.errors, self.name, ctx.problems)
            fs.assign(var, expr.type, values, fs.active)


class ModelStep(Step):
    """Score with a registered model; the model object comes from the state (pinnable in tests).

    A feature the application does not carry at all (no such key / column) was never computed:
    the flow stops with ``on_missing`` and ``MISSING_FEATURES_<MODEL REF>``, and the trace
    names the absent features. A feature present with the value None/NaN is a computed missing
    value (a ratio undefined on a thin file) and goes to the model's missing bin.
    """

    def __init__(
        self,
        name: str,
        ref: str,
        score: str | None,
        pd_var: str | None,
        reasons: int,
        on_missing: Outcome = Outcome.REVIEW,
    ) -> None:
        self.name = name
        self.ref = ref
        self.score = score
        self.pd_var = pd_var
        self.reasons = reasons
        self.on_missing = on_missing
        self.missing_reason = f"MISSING_FEATURES_{ref.upper()}"

    def _model(self, models: Any) -> Any:
        model = models.get(self.ref)
        if model is None:
            raise ConfigurationError(f"model {self.ref!r} of step {self.name!r} is not loaded")
        return model

    def run(self, st: RowState) -> None:
        model = self._model(st.models)
        raw = st.raw
        absent = [f for f in model.features if f not in raw]
        if absent:
            st.trace.append(MissingFeatures(self, tuple(absent)))
            st.model_outputs[self.name] = {
                "missing_features": absent[:SHOWN_MISSING],
                "missing_count": len(absent),
            }
            st.stop(self.on_missing, self.missing_reason)
            return
        row = {f: raw[f] for f in model.features}
        outputs: dict[str, Any] = {}
        if self.pd_var:
            outputs["pd"] = st.env[self.pd_var] = float(model.predict_pd_one(row))
        if self.score:
            points = model.score_one(row)
            if points is None:
                raise EvaluationError(f"model {model.name!r} gives no points score")
            outputs["score"] = st.env[self.score] = float(points)
        if self.reasons:
            adverse = [(str(f), float(p)) for f, p in model.reasons_one(row, self.reasons)]
            outputs["reasons"] = adverse
            st.adverse.extend(adverse)
        st.features.update(row)
        st.model_versions[self.ref] = {"name": str(model.name), "version": str(model.version)}
        st.model_outputs[self.name] = outputs

    def run_frame(self, fs: FrameState) -> None:
        model = self._model(fs.models)
        idx = np.flatnonzero(fs.active)
        cols = list(model.features)
        if any(c not in fs.raw.columns for c in cols):  # never computed: no row is scored
            fs.stop(fs.active, self.on_missing, self.missing_reason)
            return
        sub = fs.raw.iloc[idx][cols]
        if self.pd_var:
            values = np.full(fs.size, np.nan)
            values[idx] = np.asarray(model.predict_pd(sub), dtype=float)
            fs.assign(self.pd_var, VarType.NUMBER, values, fs.active)
        if self.score or self.reasons:
            records = sub.astype(object).where(sub.notna(), None).to_dict("records")  # type: ignore[call-overload]
            scores = np.full(fs.size, np.nan)
            missing = np.zeros(fs.size, dtype=bool)
            for i, row in zip(idx, records, strict=True):
                if self.score:
                    points = model.score_one(row)
                    if points is None:
                        missing[i] = True
                    else:
                        scores[i] = float(points)
                if self.reasons:
                    fs.adverse[i].extend(
                        (str(f), float(p)) for f, p in model.reasons_one(row, self.reasons)
                    )
            fs.fail(missing, self.name, {})
            if self.score:
                fs.assign(self.score, VarType.NUMBER, scores, fs.active)


class TableStep(Step):
    def __init__(self, table: DecisionTable, types: Sequence[VarType], no_match: Outcome) -> None:
        self.name = table.name
        self.table = table
        self.types = list(types)
        self.no_match = no_match
        self.no_match_reason = f"NO_MATCH_{table.name.upper()}"

    def run(self, st: RowState) -> None:
        t = self.table
        candidates, failures = t.match(st.env)
        matched = t.choose(candidates)
        st.trace.append(TableMatch(self, tuple(matched), tuple(failures), tuple(candidates)))
        if t.hit == HitPolicy.UNIQUE and len(matched) > 1:
            raise EvaluationError(f"rows {[m + 1 for m in matched]} all match a unique table")
        if not matched:
            if t.default is None:
                st.stop(self.no_match, self.no_match_reason)
                return
            values: Sequence[Any] = t.default
        elif t.hit == HitPolicy.COLLECT:
            values = [[t.results[r][k] for r in matched] for k in range(len(t.outputs))]
        else:
            values = t.results[matched[0]]
        for out, v in zip(t.outputs, values, strict=True):
            st.env[out] = v

    def run_frame(self, fs: FrameState) -> None:
        t = self.table
        masks = t.match_frame(fs.env, fs.active)
        count = np.sum(masks, axis=0) if masks else np.zeros(fs.size, dtype=int)
        if t.hit == HitPolicy.UNIQUE:
            fs.fail(count > 1, self.name, {})
        none = fs.active & (count == 0)
        if t.default is None:
            fs.stop(none, self.no_match, self.no_match_reason)
        for k, (out, typ) in enumerate(zip(t.outputs, self.types, strict=True)):
            if t.hit == HitPolicy.COLLECT:
                values = np.empty(fs.size, dtype=object)
                for i in range(fs.size):
                    values[i] = []
                for r, m in enumerate(masks):
                    for row in np.flatnonzero(m & fs.active):
                        values[row].append(t.results[r][k])
                if t.default is not None:
                    for row in np.flatnonzero(none & fs.active):
                        values[row] = t.default[k]
                fs.assign(out, typ, values, fs.active)
                continue
            for r, m in enumerate(masks):
                fs.assign(out, typ, t.results[r][k], m & fs.active)
            if t.default is not None:
                fs.assign(out, typ, t.default[k], none & fs.active)

    def coverage_ids(self) -> list[str]:
        return [f"{self.name}#{i + 1}" for i in range(len(self.table.cells))]


class PricingStep(Step):
    """Grade x income-band grid: limit, APR and term for the applicant's cell."""

    def __init__(
        self,
        name: str,
        grade: str,
        income: str,
        grades: Sequence[str],
        bands: Sequence[float],
        limit: np.ndarray,
        apr: np.ndarray,
        term: np.ndarray,
        outputs: dict[str, str],
    ) -> None:
        self.name = name
        self.grade, self.income = grade, income
        self.grade_index = {g: i for i, g in enumerate(grades)}
        self.bands = list(bands)
        self.grids = {"limit": limit, "apr": apr, "term": term}
        self.outputs = outputs

    def run(self, st: RowState) -> None:
        g = self.grade_index.get(st.env[self.grade])
        if g is None:
            raise EvaluationError(f"grade {st.env[self.grade]!r} is not in the pricing grid")
        band = bisect.bisect_right(self.bands, st.env[self.income]) - 1
        if band < 0:
            raise EvaluationError(f"income {st.env[self.income]!r} is below the first band")
        st.trace.append(PriceCell(self, g, band))
        for key, var in self.outputs.items():
            value = self.grids[key][g, band]
            st.env[var] = int(value) if key == "term" else float(value)

    def run_frame(self, fs: FrameState) -> None:
        grades = np.array([self.grade_index.get(v, -1) for v in fs.env[self.grade]], dtype=int)
        band = (
            np.searchsorted(self.bands, np.asarray(fs.env[self.income], dtype=float), side="right")
            - 1
        )
        bad = fs.active & ((grades < 0) | (band < 0))
        fs.fail(bad, self.name, {})
        ok = fs.active
        g, b = np.where(ok, grades, 0), np.where(ok, band, 0)
        for key, var in self.outputs.items():
            fs.assign(
                var, VarType.INTEGER if key == "term" else VarType.NUMBER, self.grids[key][g, b], ok
            )

    def coverage_ids(self) -> list[str]:
        return [f"{self.name}[{g}]" for g in self.grade_index]


@dataclass
class BranchCase:
    expr: Expression
    steps: list[Step]


class BranchStep(Step):
    """Segments: first matching case; a row in no case runs ``otherwise``."""

    def __init__(self, name: str, cases: Sequence[BranchCase], otherwise: Sequence[Step]) -> None:
        self.name = name
        self.cases = list(cases)
        self.otherwise = list(otherwise)

    def run(self, st: RowState) -> None:
        for i, case in enumerate(self.cases):
            if case.expr.fn(st.env):
                st.trace.append(BranchTaken(self, i))
                run_steps(case.steps, st)
                return
        st.trace.append(BranchTaken(self, None))
        run_steps(self.otherwise, st)

    def run_frame(self, fs: FrameState) -> None:
        ctx = VectorContext(fs.size)
        remaining = fs.active.copy()
        chosen = []
        for case in self.cases:  # every condition before any case runs: cases may reassign
            hit = remaining & np.asarray(case.expr.vector(fs.env, ctx, remaining), dtype=bool)
            remaining &= ~hit
            chosen.append(hit)
        fs.fail(ctx.errors, self.name, ctx.problems)
        after = np.zeros(fs.size, dtype=bool)
        for steps, rows in [
            *((c.steps, m) for c, m in zip(self.cases, chosen, strict=True)),
            (self.otherwise, remaining),
        ]:
            fs.active = rows & ~ctx.errors
            run_steps_frame(steps, fs)
            after |= fs.active
        fs.active = after

    def coverage_ids(self) -> list[str]:
        ids = [f"{self.name}/{i + 1}" for i in range(len(self.cases))] + [f"{self.name}/otherwise"]
        for s in [*(s for c in self.cases for s in c.steps), *self.otherwise]:
            ids.extend(s.coverage_ids())
        return ids


class GroupStep(Step):
    """A sub-policy's steps, run in place under the sub-policy's name."""

    def __init__(self, name: str, steps: Sequence[Step]) -> None:
        self.name = name
        self.steps = list(steps)

    def run(self, st: RowState) -> None:
        run_steps(self.steps, st)

    def run_frame(self, fs: FrameState) -> None:
        run_steps_frame(self.steps, fs)

    def coverage_ids(self) -> list[str]:
        return [i for s in self.steps for i in s.coverage_ids()]


def frame_of(data: pd.DataFrame | Any) -> pd.DataFrame:
    """A pandas frame from pandas or polars input (polars is converted once)."""
    if isinstance(data, pd.DataFrame):
        return data.reset_index(drop=True)
    to_pandas = getattr(data, "to_pandas", None)
    if to_pandas is None:
        raise InvalidTypeError(
            "data", f"must be a pandas or polars DataFrame; got {type(data).__name__}"
        )
    return to_pandas()
