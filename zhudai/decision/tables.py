"""Decision tables: cells, hit policies, and static checks for overlaps, unreachable rows and gaps.

A cell tests one input and is written as an analyst writes it::

    "-"            any value               "< 0.5", ">= 650"   one-sided comparison
    "[0.3, 0.5)"   range (closed/open)     [A, B] (a YAML list) a set
    "not in [A]"   outside a set           650, "north", true   equality

Static checks cut each input's domain into *atoms* (the points and open intervals between every
boundary the table mentions, clipped to the input's declared range and to integers where the input
is an integer) and test every row on every combination of atoms. That is exact for these cell
forms: two rows overlap, a row is covered by earlier ones, or a region is left uncovered exactly
when some atom combination shows it.
"""

from __future__ import annotations

import ast
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from zhudai.decision.document import HitPolicy
from zhudai.decision.expression import NUMERIC, VarType, format_value

MAX_ATOM_COMBINATIONS = 200_000
_INTERVAL = re.compile(
    r"^([\[(])\s*(-?inf|-?[0-9.eE+-]+)?\s*(?:,|\.\.)\s*(-?inf|[0-9.eE+-]+)?\s*([\])])$"
)
_COMPARISON = re.compile(r"^(<=|>=|<|>|==|!=)\s*(.+)$")


class _Other:
    """A categorical value no cell mentions (stands for 'anything else' in static checks)."""

    def __repr__(self) -> str:
        return "<any other value>"


OTHER = _Other()


@dataclass(frozen=True)
class Cell:
    """One condition of a row on one input."""

    text: str
    kind: str  # any | interval | set | notset
    lo: float = -math.inf
    lo_closed: bool = False
    hi: float = math.inf
    hi_closed: bool = False
    values: frozenset = frozenset()

    def test(self, v: Any) -> bool:
        if self.kind == "interval":
            return (v > self.lo or (self.lo_closed and v == self.lo)) and (
                v < self.hi or (self.hi_closed and v == self.hi)
            )
        if self.kind == "set":
            return v in self.values
        if self.kind == "notset":
            return v not in self.values
        return True

    def vtest(self, arr: np.ndarray) -> np.ndarray:
        if self.kind == "interval":
            a = np.asarray(arr, dtype=float)
            lo = a >= self.lo if self.lo_closed else a > self.lo
            hi = a <= self.hi if self.hi_closed else a < self.hi
            return lo & hi
        if self.kind in ("set", "notset"):
            hit = np.isin(np.asarray(arr, dtype=object), list(self.values))
            return hit if self.kind == "set" else ~hit
        return np.ones(len(arr), dtype=bool)

    def failure(self, name: str, v: Any) -> str:
        """Why ``v`` fails this cell, e.g. ``"dti 0.62 > 0.5"``."""
        shown = f"{name} {format_value(v)}"
        if self.kind == "interval":
            if self.lo == self.hi:
                return f"{shown} != {format_value(self.lo)}"
            if math.isinf(self.lo):
                return f"{shown} {'>' if self.hi_closed else '>='} {format_value(self.hi)}"
            if math.isinf(self.hi):
                return f"{shown} {'<' if self.lo_closed else '<='} {format_value(self.lo)}"
            return f"{shown} not in {self.text}"
        if self.kind == "set":
            return f"{shown} not in {format_value(self.values)}"
        return f"{shown} in {format_value(self.values)}"

    def boundaries(self) -> list[Any]:
        if self.kind == "interval":
            return [b for b in (self.lo, self.hi) if not math.isinf(b)]
        return list(self.values)


def parse_cell(raw: Any, typ: VarType) -> Cell:
    """Parse one cell for an input of type ``typ``; ``ValueError`` says what is wrong."""
    text = str(raw)
    if raw is None or (isinstance(raw, str) and raw.strip() in ("-", "", "any")):
        return Cell("-", "any")
    if isinstance(raw, list):
        return Cell(text, "set", values=_values(raw, typ, text))
    if not isinstance(raw, str):
        values = _values([raw], typ, text)
        if typ in NUMERIC:
            return Cell(text, "interval", float(raw), True, float(raw), True)
        return Cell(text, "set", values=values)
    s = raw.strip()
    if s.startswith("not in"):
        return Cell(text, "notset", values=_values(_items(s[6:].strip(), text), typ, text))
    m = _INTERVAL.match(s)
    if m and typ in NUMERIC:
        lo = float(m.group(2)) if m.group(2) else -math.inf
        hi = float(m.group(3)) if m.group(3) else math.inf
        if lo > hi:
            raise ValueError(f"range {s!r} is empty (lower bound above upper)")
        return Cell(s, "interval", lo, m.group(1) == "[", hi, m.group(4) == "]")
    m = _COMPARISON.match(s)
    if m:
        op = m.group(1)
        values = _values([_literal(m.group(2), text)], typ, text)
        if op in ("==", "!="):
            return Cell(s, "set" if op == "==" else "notset", values=values)
        if typ not in NUMERIC:
            raise ValueError(f"{op} needs a numeric input; this input is {typ.value}")
        v = float(next(iter(values)))
        if op in ("<", "<="):
            return Cell(s, "interval", hi=v, hi_closed=op == "<=")
        return Cell(s, "interval", lo=v, lo_closed=op == ">=")
    if typ in NUMERIC:
        raise ValueError(f"cannot read {s!r} as a numeric cell (try '< 0.5', '[0.3, 0.5)' or 650)")
    return Cell(s, "set", values=_values([s], typ, text))


def _items(text: str, cell: str) -> list[Any]:
    """``[A, 'b', 3]`` or ``{A, B}``: literals or bare words, comma-separated."""
    if len(text) < 2 or text[0] not in "[{(" or text[-1] not in "]})":
        raise ValueError(f"expected a list such as [A, B] in cell {cell!r}")
    return [_literal(part.strip(), cell) for part in text[1:-1].split(",") if part.strip()]


def _literal(text: str, cell: str) -> Any:
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        if re.fullmatch(r"[A-Za-z_][\w.]*", text):
            return text  # a bare word is a string value
        raise ValueError(f"cannot read the value in cell {cell!r}") from None


def _values(items: list[Any], typ: VarType, text: str) -> frozenset:
    """The cell's values as a set, each checked against the input's type."""
    for v in items:
        ok = (
            (typ in NUMERIC and isinstance(v, int | float) and not isinstance(v, bool))
            or (typ == VarType.STRING and isinstance(v, str))
            or (typ == VarType.BOOLEAN and isinstance(v, bool))
        )
        if not ok:
            raise ValueError(f"value {v!r} in cell {text!r} does not fit a {typ.value} input")
    return frozenset(items)


@dataclass(frozen=True)
class Domain:
    """What static checks know about one input: its type, range and (for strings) values."""

    type: VarType
    lo: float = -math.inf
    hi: float = math.inf
    values: frozenset | None = None


@dataclass(frozen=True)
class TableIssue:
    kind: str  # overlap | unreachable | gap
    row: int | None  # 1-based
    message: str


class DecisionTable:
    """A compiled decision table: row-by-row and frame evaluation, and static checks."""

    def __init__(
        self,
        name: str,
        hit: HitPolicy,
        inputs: Sequence[str],
        outputs: Sequence[str],
        cells: Sequence[Sequence[Cell]],
        results: Sequence[Sequence[Any]],
        default: Sequence[Any] | None = None,
        priority: Sequence[Any] | None = None,
    ) -> None:
        self.name = name
        self.hit = hit
        self.inputs = list(inputs)
        self.outputs = list(outputs)
        self.cells = [list(r) for r in cells]
        self.results = [tuple(r) for r in results]
        self.default = tuple(default) if default is not None else None
        self._rank: dict[Any, int] = {v: i for i, v in enumerate(priority or [])}
        # the conditions that actually test something, as (input position, input name, test)
        self._tests: list[list[tuple[int, str, Callable[[Any], bool]]]] = [
            [(j, self.inputs[j], c.test) for j, c in enumerate(row) if c.kind != "any"]
            for row in self.cells
        ]

    # -- one applicant -------------------------------------------------------------------
    def match(self, env: Mapping[str, Any]) -> tuple[list[int], list[tuple[int, int]]]:
        """Matching rows (0-based; only the first for a first-hit table) and the failures seen
        as (row, input position). :meth:`choose` applies a priority table's order."""
        failures: list[tuple[int, int]] = []
        matched: list[int] = []
        for i, tests in enumerate(self._tests):
            for j, name, test in tests:
                if not test(env[name]):
                    failures.append((i, j))
                    break
            else:
                matched.append(i)
                if self.hit == HitPolicy.FIRST:
                    break
        return matched, failures

    def choose(self, matched: list[int]) -> list[int]:
        """The rows that decide: the best-ranked one for a priority table, else all matched."""
        if self.hit == HitPolicy.PRIORITY and len(matched) > 1:
            return [min(matched, key=self._priority)]
        return matched

    def _priority(self, row: int) -> tuple[int, int]:
        return self._rank.get(self.results[row][0], len(self._rank)), row

    def explain_failure(self, row: int, position: int, env: Mapping[str, Any]) -> str:
        name = self.inputs[position]
        return f"row {row + 1} failed: {self.cells[row][position].failure(name, env[name])}"

    # -- a frame -------------------------------------------------------------------------
    def match_frame(self, env: Mapping[str, np.ndarray], active: np.ndarray) -> list[np.ndarray]:
        """Per table row, the mask of frame rows it decides under the hit policy."""
        masks = []
        for row in self.cells:
            m = active.copy()
            for j, cell in enumerate(row):
                if cell.kind != "any":
                    m &= cell.vtest(env[self.inputs[j]])
            masks.append(m)
        if self.hit == HitPolicy.FIRST:
            taken = np.zeros_like(active)
            for m in masks:
                m &= ~taken
                taken |= m
        elif self.hit == HitPolicy.PRIORITY:
            order = sorted(range(len(masks)), key=self._priority)
            taken = np.zeros_like(active)
            for r in order:
                masks[r] &= ~taken
                taken |= masks[r]
        return masks

    # -- static checks -------------------------------------------------------------------
    def static_issues(self, domains: Mapping[str, Domain]) -> list[TableIssue]:
        """Overlapping (unique), unreachable and gap rows, found on the atom grid."""
        atoms = [
            _atoms(self.inputs[j], [r[j] for r in self.cells], domains[self.inputs[j]])
            for j in range(len(self.inputs))
        ]
        if math.prod(len(a) for a in atoms) > MAX_ATOM_COMBINATIONS:
            return []
        regions = []
        for row in self.cells:
            region = np.ones([len(a) for a in atoms], dtype=bool)
            for j, cell in enumerate(row):
                hits = np.array([cell.test(v) for v, _ in atoms[j]], dtype=bool)
                shape = [1] * len(atoms)
                shape[j] = len(atoms[j])
                region = region & hits.reshape(shape)
            regions.append(region)
        issues: list[TableIssue] = []
        covered = np.zeros_like(regions[0])
        for i, region in enumerate(regions):
            if not region.any():
                issues.append(TableIssue("unreachable", i + 1, f"row {i + 1} can never match"))
            elif self.hit == HitPolicy.FIRST and not (region & ~covered).any():
                earlier = [k + 1 for k in range(i) if (regions[k] & region).any()]
                issues.append(
                    TableIssue(
                        "unreachable",
                        i + 1,
                        f"row {i + 1} is unreachable: rows {earlier} already match all of it",
                    )
                )
            if self.hit == HitPolicy.UNIQUE:
                for k in range(i):
                    both = regions[k] & region
                    if both.any():
                        at = _describe(atoms, np.argwhere(both)[0], self.inputs)
                        issues.append(
                            TableIssue(
                                "overlap", i + 1, f"rows {k + 1} and {i + 1} overlap (e.g. {at})"
                            )
                        )
            covered |= region
        if self.default is None and not covered.all():
            at = _describe(atoms, np.argwhere(~covered)[0], self.inputs)
            issues.append(TableIssue("gap", None, f"gap: no row matches {at}"))
        return issues


def _atoms(name: str, cells: Sequence[Cell], domain: Domain) -> list[tuple[Any, str]]:
    """Representative values (with a description) of every region the cells can tell apart."""
    if domain.type == VarType.BOOLEAN:
        return [(True, "true"), (False, "false")]
    if domain.type == VarType.STRING:
        values = set(domain.values or ())
        for c in cells:
            values |= set(c.boundaries())
        atoms: list[tuple[Any, str]] = [(v, repr(v)) for v in sorted(values)]
        if domain.values is None:
            atoms.append((OTHER, "any other value"))
        return atoms
    points = sorted({float(b) for c in cells for b in c.boundaries()} | {domain.lo, domain.hi})
    points = [p for p in points if domain.lo <= p <= domain.hi and not math.isinf(p)]
    integer = domain.type == VarType.INTEGER
    edges = [
        *([-math.inf] if math.isinf(domain.lo) else []),
        *points,
        *([math.inf] if math.isinf(domain.hi) else []),
    ]
    out: list[tuple[Any, str]] = []
    for p in points:
        if not integer or p.is_integer():
            out.append((p, f"= {format_value(p)}"))
    for a, b in zip(edges, edges[1:], strict=False):
        rep = _between(a, b, integer)
        if rep is not None:
            out.append((rep, f"in ({format_value(a)}, {format_value(b)})"))
    return out


def _between(a: float, b: float, integer: bool) -> float | None:
    if integer:
        lo = (
            math.floor(a) + 1
            if not math.isinf(a)
            else (math.ceil(b) - 1 if not math.isinf(b) else 0)
        )
        return float(lo) if lo < b and lo > a else None
    if math.isinf(a) and math.isinf(b):
        return 0.0
    if math.isinf(a):
        return b - 1.0
    if math.isinf(b):
        return a + 1.0
    return (a + b) / 2.0


def _describe(
    atoms: list[list[tuple[Any, str]]], index: Sequence[int], inputs: Sequence[str]
) -> str:
    return ", ".join(f"{inputs[j]} {atoms[j][int(i)][1]}" for j, i in enumerate(index))
