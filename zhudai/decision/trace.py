"""What a decision's walk through the flow records, and how it reads.

Each step appends one small frozen entry to ``RowState.trace`` as it runs (the facts only:
which rules fired, which rows matched, which case was taken); :func:`render_trace` turns the
entries into explanation lines (one per rule, table row or branch case) only when a record or a
person asks, so a decision that is never explained pays nothing for its words.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from zhudai.decision.expression import format_value

if TYPE_CHECKING:
    from zhudai.decision.steps import BranchStep, ModelStep, PricingStep, RulesStep, TableStep

SHOWN_MISSING = 10  # absent model features named in a record (their count is always given)


@dataclass(frozen=True)
class InputProblems:
    """The inputs that were missing or invalid: ``(input, "missing" | problem)``."""

    problems: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class MissingFeatures:
    """A model step stopped the flow: these of its features were absent."""

    step: ModelStep
    absent: tuple[str, ...]


@dataclass(frozen=True)
class RulesFired:
    """A rules step ran: the names of the rules that fired."""

    step: RulesStep
    fired: frozenset[str]


@dataclass(frozen=True)
class TableMatch:
    """A decision table ran: rows chosen, ``(row, input)`` of rows that failed, rows that
    matched before the hit policy chose (all 0-based)."""

    step: TableStep
    matched: tuple[int, ...]
    failures: tuple[tuple[int, int], ...]
    candidates: tuple[int, ...]


@dataclass(frozen=True)
class BranchTaken:
    """A branch ran: the index of the case taken, ``None`` for ``otherwise``."""

    step: BranchStep
    chosen: int | None


@dataclass(frozen=True)
class PriceCell:
    """A pricing step ran: the grade's and the income band's index in its grid."""

    step: PricingStep
    grade: int
    band: int


TraceEntry = InputProblems | MissingFeatures | RulesFired | TableMatch | BranchTaken | PriceCell


def render_trace(entries: Iterable[TraceEntry], env: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Explanation entries of a run (one per rule / row / branch) from its trace, read against
    the variables ``env`` held at the end of the run."""
    out: list[dict[str, Any]] = []
    for entry in entries:
        match entry:
            case InputProblems():
                out += _inputs(entry)
            case MissingFeatures():
                out += _missing_features(entry)
            case RulesFired():
                out += _rules(entry, env)
            case TableMatch():
                out += _table(entry, env)
            case BranchTaken():
                out += _branch(entry, env)
            case PriceCell():
                out += _pricing(entry, env)
    return out


def _inputs(entry: InputProblems) -> list[dict[str, Any]]:
    return [
        {"step": "inputs", "input": name, "hit": True, "why": f"{name} {problem}"}
        for name, problem in entry.problems
    ]


def _missing_features(entry: MissingFeatures) -> list[dict[str, Any]]:
    step, absent = entry.step, list(entry.absent)
    shown = ", ".join(absent[:SHOWN_MISSING]) + (
        f", ... ({len(absent) - SHOWN_MISSING} more)" if len(absent) > SHOWN_MISSING else ""
    )
    return [
        {
            "step": step.name,
            "model": step.ref,
            "hit": True,
            "missing_features": absent[:SHOWN_MISSING],
            "missing_count": len(absent),
            "why": f"model {step.ref!r}: {len(absent)} of its features are absent from"
            f" the inputs ({shown}) -> {step.on_missing.value} {step.missing_reason}",
        }
    ]


def _rules(entry: RulesFired, env: Mapping[str, Any]) -> list[dict[str, Any]]:
    out = []
    for rule in entry.step.rules:
        hit = rule.name in entry.fired
        why = rule.expr.explain(env)
        out.append(
            {
                "step": entry.step.name,
                "id": f"{entry.step.name}.{rule.name}",
                "rule": rule.name,
                "hit": hit,
                "why": f"{rule.name} {'fired' if hit else 'not fired'}: {why}"
                + (f" -> {rule.outcome.value} {rule.reason}" if hit else ""),
            }
        )
    return out


def _table(entry: TableMatch, env: Mapping[str, Any]) -> list[dict[str, Any]]:
    table, matched = entry.step.table, entry.matched
    out: list[dict[str, Any]] = [
        {
            "step": table.name,
            "id": f"{table.name}#{r + 1}",
            "row": r + 1,
            "hit": False,
            "why": table.explain_failure(r, j, env),
        }
        for r, j in entry.failures
    ]
    for r in matched:
        values = ", ".join(
            f"{table.inputs[j]} {format_value(env[table.inputs[j]])}"
            for j, c in enumerate(table.cells[r])
            if c.kind != "any"
        )
        outs = ", ".join(
            f"{o}={format_value(v)}" for o, v in zip(table.outputs, table.results[r], strict=True)
        )
        out.append(
            {
                "step": table.name,
                "id": f"{table.name}#{r + 1}",
                "row": r + 1,
                "hit": True,
                "why": f"row {r + 1} matched ({values or 'any'}) -> {outs}",
            }
        )
    out += [
        {
            "step": table.name,
            "row": r + 1,
            "hit": False,
            "why": f"row {r + 1} matched but row {matched[0] + 1} has priority",
        }
        for r in entry.candidates
        if r not in matched
    ]
    if not matched:
        out.append(
            {
                "step": table.name,
                "hit": False,
                "why": "no row matched" + (" -> default" if table.default else ""),
            }
        )
    elif len(matched) == 1 and matched[0] + 1 < len(table.cells) and table.hit.value == "first":
        out.append(
            {
                "step": table.name,
                "hit": False,
                "why": f"rows {matched[0] + 2}-{len(table.cells)} not evaluated (first hit at row {matched[0] + 1})",
            }
        )
    return out


def _branch(entry: BranchTaken, env: Mapping[str, Any]) -> list[dict[str, Any]]:
    step, chosen = entry.step, entry.chosen
    out: list[dict[str, Any]] = [
        {
            "step": step.name,
            "hit": False,
            "why": f"case {i + 1} not taken: {case.expr.explain(env)}",
        }
        for i, case in enumerate(step.cases[: len(step.cases) if chosen is None else chosen])
    ]
    if chosen is None:
        out.append(
            {
                "step": step.name,
                "id": f"{step.name}/otherwise",
                "hit": True,
                "why": "no case held -> otherwise",
            }
        )
    else:
        out.append(
            {
                "step": step.name,
                "id": f"{step.name}/{chosen + 1}",
                "hit": True,
                "why": f"case {chosen + 1}: {step.cases[chosen].expr.explain(env)}",
            }
        )
    return out


def _pricing(entry: PriceCell, env: Mapping[str, Any]) -> list[dict[str, Any]]:
    step = entry.step
    grade = list(step.grade_index)[entry.grade]
    values = ", ".join(f"{var}={format_value(env[var])}" for var in step.outputs.values())
    return [
        {
            "step": step.name,
            "id": f"{step.name}[{grade}]",
            "hit": True,
            "why": f"grade {grade} x income band from {format_value(step.bands[entry.band])}: {values}",
        }
    ]
