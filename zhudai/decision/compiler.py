"""From a policy document to compiled steps, with every load-time check in one pass.

The compiler walks the flow once, keeping a *scope*: the type of every variable, the range of
every numeric one and the possible values of string ones, and which variables are surely set
at this point of the flow. That is what lets it refuse, before a policy can go live:

* expressions that use an unknown or not-yet-set variable or mix types;
* decision tables with overlapping (unique), unreachable or gap rows;
* a pricing grid whose grades do not cover what the grading table can output;
* any path on which the all-in APR can exceed the cap (interval bounds through assignments).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from zhudai.decision import document as d
from zhudai.decision import steps as s
from zhudai.decision.expression import NUMERIC, Expression, VarType, compile_expression
from zhudai.decision.source import Path_, PolicySource
from zhudai.decision.tables import Cell, DecisionTable, Domain, parse_cell
from zhudai.exceptions import DefinitionError

PolicyResolver = Callable[[str], tuple[PolicySource, d.PolicyDocument]]
Bounds = tuple[float, float]
_FULL: Bounds = (-math.inf, math.inf)


@dataclass
class Scope:
    """What the compiler knows about variables at one point of the flow."""

    types: dict[str, VarType] = field(default_factory=dict)
    bounds: dict[str, Bounds] = field(default_factory=dict)
    domains: dict[str, frozenset | None] = field(default_factory=dict)
    origin: dict[str, str] = field(default_factory=dict)  # step that last set the variable
    assigned: set[str] = field(default_factory=set)

    def copy(self) -> Scope:
        return Scope(
            dict(self.types),
            dict(self.bounds),
            dict(self.domains),
            dict(self.origin),
            set(self.assigned),
        )

    def visible(self) -> dict[str, VarType]:
        """Variables an expression may read here (lists of reason codes are not readable)."""
        return {k: t for k, t in self.types.items() if k in self.assigned and t != VarType.LIST}

    def merge(self, branches: Sequence[Scope]) -> None:
        """After a branch: set on every path, with the hull of the ranges and values."""
        self.assigned = set.intersection(*(b.assigned for b in branches))
        for var in set().union(*(b.types for b in branches)):
            having = [b for b in branches if var in b.types]
            self.types[var] = having[0].types[var]
            if self.types[var] in NUMERIC:
                spans = [b.bounds.get(var, _FULL) for b in having]
                self.bounds[var] = (min(lo for lo, _ in spans), max(hi for _, hi in spans))
                self.origin[var] = max(
                    having, key=lambda b: b.bounds.get(var, _FULL)[1]
                ).origin.get(var, "")
            domains = [b.domains.get(var) for b in having]
            known = [x for x in domains if x is not None]
            self.domains[var] = None if len(known) < len(domains) else frozenset().union(*known)


@dataclass
class CompiledFlow:
    """What :func:`compile_flow` returns to the engine."""

    steps: list[s.Step]
    inputs: dict[str, d.InputSpec]
    lists: dict[str, frozenset]
    models: dict[str, d.ModelRef]
    scope: Scope
    sub_policies: list[str]


class _Compiler:
    def __init__(
        self, resolve: PolicyResolver | None, no_match: d.Outcome, on_missing: d.Outcome
    ) -> None:
        self.resolve = resolve
        self.no_match = no_match
        self.on_missing = on_missing
        self.inputs: dict[str, d.InputSpec] = {}
        self.lists: dict[str, frozenset] = {}
        self.models: dict[str, d.ModelRef] = {}
        self.stack: list[str] = []
        self.sub_policies: list[str] = []

    # -- declarations ------------------------------------------------------------------
    def declare(self, src: PolicySource, doc: d.PolicyDocument, scope: Scope) -> None:
        for name, spec in doc.inputs.items():
            if name in self.inputs and self.inputs[name] != spec:
                raise src.error(
                    ("inputs", name),
                    f"input {name!r} is declared differently in another policy of this flow",
                )
            if spec.allowed is not None and spec.type != VarType.STRING:
                raise src.error(("inputs", name), "'allowed' is only for string inputs")
            if spec.type == VarType.LIST:
                raise src.error(("inputs", name), "inputs cannot be lists")
            self.inputs[name] = spec
            var, typ = (f"{name}_valid", VarType.BOOLEAN) if spec.pii else (name, spec.type)
            scope.types[var] = typ
            scope.assigned.add(var)
            scope.origin[var] = f"input {name}"
            if typ in NUMERIC:
                scope.bounds[var] = (
                    spec.min if spec.min is not None else -math.inf,
                    spec.max if spec.max is not None else math.inf,
                )
            if typ == VarType.STRING:
                scope.domains[var] = frozenset(spec.allowed) if spec.allowed else None
        for name, values in doc.lists.items():
            if name in self.lists and self.lists[name] != frozenset(values):
                raise src.error(
                    ("lists", name),
                    f"list {name!r} is declared differently in another policy of this flow",
                )
            self.lists[name] = frozenset(values)
        for name, ref in doc.models.items():
            if name in self.models and self.models[name] != ref:
                raise src.error(
                    ("models", name),
                    f"model {name!r} is declared differently in another policy of this flow",
                )
            self.models[name] = ref

    def expr(
        self, src: PolicySource, path: Path_, text: str, scope: Scope, expect: VarType | None = None
    ) -> Expression:
        try:
            return compile_expression(text, scope.visible(), constants=self.lists, expect=expect)
        except DefinitionError as exc:
            unknown = [v for v in scope.types if v not in scope.assigned and v in text]
            hint = f"; {unknown[0]!r} is not set on every path before this step" if unknown else ""
            raise src.error(path, f"{exc.problem} in {text!r}{hint}") from None

    def define(
        self,
        src: PolicySource,
        path: Path_,
        scope: Scope,
        var: str,
        typ: VarType,
        bounds: Bounds = _FULL,
        domain: frozenset | None = None,
        where: str = "",
    ) -> None:
        if var in self.inputs:
            raise src.error(path, f"{var!r} is an input and cannot be reassigned")
        old = scope.types.get(var)
        if old is not None and old != typ and not (old in NUMERIC and typ in NUMERIC):
            raise src.error(path, f"{var!r} was {old.value} and cannot become {typ.value}")
        scope.types[var] = VarType.NUMBER if old in NUMERIC and old != typ else typ
        scope.assigned.add(var)
        if typ in NUMERIC:
            scope.bounds[var] = bounds
        scope.domains[var] = domain
        scope.origin[var] = where

    # -- the flow ----------------------------------------------------------------------
    def flow(self, src: PolicySource, doc: d.PolicyDocument, scope: Scope) -> list[s.Step]:
        if doc.name in self.stack:
            raise src.error(("name",), f"sub-policy cycle: {' -> '.join([*self.stack, doc.name])}")
        self.stack.append(doc.name)
        self.declare(src, doc, scope)
        out = self.steps(src, ("steps",), doc.steps, scope)
        self.stack.pop()
        return out

    def steps(
        self, src: PolicySource, path: Path_, specs: Sequence[Any], scope: Scope
    ) -> list[s.Step]:
        return [self.step(src, (*path, i), spec, scope) for i, spec in enumerate(specs)]

    def step(self, src: PolicySource, path: Path_, spec: Any, scope: Scope) -> s.Step:
        return getattr(self, f"_{spec.kind}")(src, path, spec, scope)

    def _rules(self, src: PolicySource, path: Path_, spec: d.RulesStep, scope: Scope) -> s.Step:
        seen: set[str] = set()
        rules = []
        for i, rule in enumerate(spec.rules):
            if rule.name in seen:
                raise src.error(
                    (*path, "rules", i),
                    f"rule name {rule.name!r} is used twice in step {spec.name!r}",
                )
            seen.add(rule.name)
            e = self.expr(src, (*path, "rules", i, "when"), rule.when, scope, VarType.BOOLEAN)
            rules.append(s.CompiledRule(rule.name, e, d.Outcome(rule.outcome), rule.reason))
        return s.RulesStep(spec.name, rules)

    def _assign(self, src: PolicySource, path: Path_, spec: d.AssignStep, scope: Scope) -> s.Step:
        out = []
        for var, text in spec.set.items():
            e = self.expr(src, (*path, "set", var), str(text), scope)
            bounds = e.bounds(scope.bounds) if e.type in NUMERIC else _FULL
            self.define(
                src, (*path, "set", var), scope, var, e.type, bounds, None, f"{spec.name}.{var}"
            )
            out.append((var, e))
        return s.AssignStep(spec.name, out)

    def _model(self, src: PolicySource, path: Path_, spec: d.ModelStep, scope: Scope) -> s.Step:
        if spec.model not in self.models:
            raise src.error(
                (*path, "model"), f"model {spec.model!r} is not declared under 'models'"
            )
        if spec.score:
            self.define(
                src, (*path, "score"), scope, spec.score, VarType.NUMBER, _FULL, None, spec.name
            )
        if spec.pd:
            self.define(
                src, (*path, "pd"), scope, spec.pd, VarType.NUMBER, (0.0, 1.0), None, spec.name
            )
        return s.ModelStep(
            spec.name, spec.model, spec.score, spec.pd, spec.reasons, self.on_missing
        )

    def _table(self, src: PolicySource, path: Path_, spec: d.TableStep, scope: Scope) -> s.Step:
        visible = scope.visible()
        for var in spec.inputs:
            if var not in visible:
                raise src.error(
                    (*path, "inputs"),
                    f"table input {var!r} is not a variable set before this table",
                )
        cells: list[list[Cell]] = []
        results: list[list[Any]] = []
        for i, row in enumerate(spec.rows):
            unknown = set(row.when) - set(spec.inputs)
            if unknown:
                raise src.error(
                    (*path, "rows", i, "when"),
                    f"row {i + 1} tests {sorted(unknown)} which are not table inputs",
                )
            row_cells = []
            for var in spec.inputs:
                try:
                    row_cells.append(parse_cell(row.when.get(var), visible[var]))
                except ValueError as exc:
                    raise src.error(
                        (*path, "rows", i, "when", var), f"row {i + 1}, {var}: {exc}"
                    ) from None
            cells.append(row_cells)
            results.append(self._outputs(src, (*path, "rows", i, "then"), spec, row.then))
        default = (
            self._outputs(src, (*path, "default"), spec, spec.default)
            if spec.default is not None
            else None
        )
        if spec.hit == d.HitPolicy.PRIORITY and not spec.priority:
            raise src.error(
                path, "a priority table needs 'priority': the first output's values, best first"
            )
        table = DecisionTable(
            spec.name, spec.hit, spec.inputs, spec.outputs, cells, results, default, spec.priority
        )
        domains = {
            v: Domain(visible[v], *scope.bounds.get(v, _FULL), scope.domains.get(v))
            for v in spec.inputs
        }
        issues = [
            i for i in table.static_issues(domains) if not (spec.allow_gaps and i.kind == "gap")
        ]
        if issues:
            first = issues[0]
            at = (*path, "rows", first.row - 1) if first.row else path
            raise src.error(at, "; ".join(i.message for i in issues), name=spec.name)
        types = []
        for k, out in enumerate(spec.outputs):
            values = [r[k] for r in results] + ([default[k]] if default else [])
            typ = _literal_type(values)
            if typ is None:
                raise src.error(
                    (*path, "outputs"),
                    f"output {out!r} mixes value types {sorted({type(v).__name__ for v in values})}",
                )
            if spec.hit == d.HitPolicy.COLLECT:
                self.define(src, path, scope, out, VarType.LIST, where=spec.name)
                types.append(VarType.LIST)
                continue
            bounds = (float(min(values)), float(max(values))) if typ in NUMERIC else _FULL
            domain = frozenset(values) if typ == VarType.STRING else None
            self.define(src, (*path, "outputs"), scope, out, typ, bounds, domain, spec.name)
            types.append(typ)
        return s.TableStep(table, types, self.no_match)

    def _outputs(
        self, src: PolicySource, path: Path_, spec: d.TableStep, then: Mapping[str, Any]
    ) -> list[Any]:
        missing = [o for o in spec.outputs if o not in then]
        extra = [k for k in then if k not in spec.outputs]
        if missing or extra:
            raise src.error(
                path, f"outputs must be exactly {spec.outputs}; missing {missing}, unknown {extra}"
            )
        for k, v in then.items():
            if not isinstance(v, int | float | str | bool):
                raise src.error(
                    (*path, k),
                    f"output {k!r} must be a literal number, string or boolean; got {v!r}",
                )
        return [then[o] for o in spec.outputs]

    def _pricing(self, src: PolicySource, path: Path_, spec: d.PricingStep, scope: Scope) -> s.Step:
        visible = scope.visible()
        if visible.get(spec.grade) != VarType.STRING:
            raise src.error(
                (*path, "grade"),
                f"grade {spec.grade!r} must be a string variable set before pricing",
            )
        if visible.get(spec.income) not in NUMERIC:
            raise src.error(
                (*path, "income"),
                f"income {spec.income!r} must be a numeric variable set before pricing",
            )
        shape = (len(spec.grades), len(spec.income_bands))
        grids = {}
        for key in ("limit", "apr", "term"):
            grid = np.asarray(getattr(spec, key), dtype=float)
            if grid.shape != shape:
                raise src.error(
                    (*path, key),
                    f"{key} grid must be {shape[0]} grades x {shape[1]} income bands; got {grid.shape}",
                )
            if (grid < 0).any():
                raise src.error((*path, key), f"{key} grid has negative values")
            grids[key] = grid.astype(int) if key == "term" else grid
        possible = scope.domains.get(spec.grade)
        if possible is None or not possible <= set(spec.grades):
            missing = "unknown values" if possible is None else sorted(possible - set(spec.grades))
            raise src.error(
                (*path, "grades"),
                f"grade {spec.grade!r} can take {missing} the grid does not price",
            )
        lo_income = scope.bounds.get(spec.income, _FULL)[0]
        if lo_income < spec.income_bands[0]:
            raise src.error(
                (*path, "income_bands"),
                f"{spec.income!r} can be {lo_income}, below the first band {spec.income_bands[0]}",
            )
        used = [spec.grades.index(g) for g in sorted(possible)]
        for key, var in spec.outputs.items():
            sub = grids[key][used]
            typ = VarType.INTEGER if key == "term" else VarType.NUMBER
            self.define(
                src,
                (*path, key),
                scope,
                var,
                typ,
                (float(sub.min()), float(sub.max())),
                None,
                f"{spec.name}.{key}",
            )
        return s.PricingStep(
            spec.name,
            spec.grade,
            spec.income,
            spec.grades,
            spec.income_bands,
            grids["limit"],
            grids["apr"],
            grids["term"],
            dict(spec.outputs),
        )

    def _branch(self, src: PolicySource, path: Path_, spec: d.BranchStep, scope: Scope) -> s.Step:
        cases, scopes = [], []
        for i, case in enumerate(spec.cases):
            e = self.expr(src, (*path, "cases", i, "when"), case.when, scope, VarType.BOOLEAN)
            inner = scope.copy()
            cases.append(
                s.BranchCase(e, self.steps(src, (*path, "cases", i, "steps"), case.steps, inner))
            )
            scopes.append(inner)
        inner = scope.copy()
        otherwise = self.steps(src, (*path, "otherwise"), spec.otherwise, inner)
        scopes.append(inner)
        scope.merge(scopes)
        return s.BranchStep(spec.name, cases, otherwise)

    def _policy(
        self, src: PolicySource, path: Path_, spec: d.SubPolicyStep, scope: Scope
    ) -> s.Step:
        if self.resolve is None:
            raise src.error(path, f"sub-policy {spec.policy!r} needs a policy loader")
        try:
            sub_src, sub_doc = self.resolve(spec.policy)
        except LookupError as exc:
            raise src.error(
                (*path, "policy"), f"sub-policy {spec.policy!r} not found: {exc}"
            ) from None
        self.sub_policies.append(f"{sub_doc.name}:{sub_src.content_hash}")
        return s.GroupStep(spec.name, self.flow(sub_src, sub_doc, scope))


def _literal_type(values: Sequence[Any]) -> VarType | None:
    if all(isinstance(v, bool) for v in values):
        return VarType.BOOLEAN
    if all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        return VarType.INTEGER
    if all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
        return VarType.NUMBER
    if all(isinstance(v, str) for v in values):
        return VarType.STRING
    return None


def compile_flow(
    src: PolicySource, doc: d.PolicyDocument, resolve: PolicyResolver | None, apr_cap: float
) -> CompiledFlow:
    """Compile ``doc`` (and its sub-policies) and run every load-time check."""
    compiler = _Compiler(resolve, d.Outcome(doc.on_no_match), d.Outcome(doc.on_missing))
    scope = Scope()
    steps = compiler.flow(src, doc, scope)
    if doc.decision is not None:
        _check_decision(src, doc.decision, scope, apr_cap)
    return CompiledFlow(
        steps, compiler.inputs, compiler.lists, compiler.models, scope, compiler.sub_policies
    )


def _check_decision(src: PolicySource, spec: d.DecisionSpec, scope: Scope, apr_cap: float) -> None:
    def need(key: str, var: str | None, numeric: bool) -> None:
        if var is None:
            return
        if var not in scope.assigned:
            raise src.error(("decision", key), f"{var!r} is not set on every path of the flow")
        if numeric and scope.types[var] not in NUMERIC:
            raise src.error(
                ("decision", key), f"{var!r} must be numeric; it is {scope.types[var].value}"
            )

    need("outcome", spec.outcome, False)
    if scope.types[spec.outcome] != VarType.STRING:
        raise src.error(("decision", "outcome"), f"{spec.outcome!r} must be a string variable")
    allowed = {"approve", "reject", "review"}
    domain = scope.domains.get(spec.outcome)
    if domain is None or not domain <= allowed:
        shown = "any string" if domain is None else sorted(domain - allowed)
        raise src.error(
            ("decision", "outcome"),
            f"{spec.outcome!r} can be {shown}; only approve/reject/review are decisions",
        )
    for key in ("credit_limit", "apr", "term_months", "pd"):
        need(key, getattr(spec, key), True)
    for key in ("reasons", "extras"):
        for i, var in enumerate(getattr(spec, key)):
            if var not in scope.types:
                raise src.error(("decision", key, i), f"variable {var!r} is never set")
    if spec.apr is not None:
        hi = scope.bounds.get(spec.apr, _FULL)[1] + spec.fee_apr
        if not hi <= apr_cap + 1e-12:
            where = scope.origin.get(spec.apr, "?")
            shown = "unbounded" if math.isinf(hi) else f"{hi:.4f}"
            raise src.error(
                ("decision", "apr"),
                f"all-in APR ({spec.apr} + fee {spec.fee_apr}) can reach {shown} (set by {where}), above the cap {apr_cap:.4f}",
            )
