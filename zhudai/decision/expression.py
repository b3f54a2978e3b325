"""The policy expression language: a small, typed subset of Python expressions.

An expression such as ``dti <= 0.5 and fraud.fraud_score < 0.8`` is parsed with :mod:`ast`, every node
is checked against a whitelist, every variable against the declared types, and the tree is then
*compiled to closures* -- once for one applicant (a ``dict`` of values) and once for a frame of
applicants (a ``dict`` of numpy arrays). No user text is ever passed to ``eval`` or ``exec``.

This module knows nothing about policies or the engine (GoRules zen keeps its expression crate
apart from its engine for the same reason): it takes a text and a type table and returns an
:class:`Expression`.

Semantics, identical in both modes:

* ``and`` / ``or`` / ``x if c else y`` short-circuit: in the frame mode the right-hand side is
  evaluated with a row mask, so a guard such as ``income > 0 and debt / income > 0.5`` never
  reports a division by zero for rows the guard excluded.
* Division by zero and ``log``/``sqrt`` outside their domain are evaluation errors: one applicant
  raises :class:`EvaluationError`; in a frame the offending rows are flagged in
  :class:`VectorContext`.
* Dotted names (``fraud.dev_ids_24h``) are single variables; attribute access to a
  name starting with ``_`` is refused.

Examples
--------
>>> expr = compile_expression("dti <= 0.5 and age >= 18", {"dti": "number", "age": "integer"})
>>> expr({"dti": 0.62, "age": 30})
False
>>> expr.explain({"dti": 0.62, "age": 30})
'dti 0.62 > 0.5'
"""

from __future__ import annotations

import ast
import functools
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import numpy as np

from zhudai.exceptions import DefinitionError, EvaluationError

MAX_LENGTH = 2000
MAX_DEPTH = 40


class VarType(StrEnum):
    """Types of policy variables."""

    NUMBER = "number"
    INTEGER = "integer"
    STRING = "string"
    BOOLEAN = "boolean"
    LIST = "list"  # a list of strings (reason codes, list hits); only ``in`` and ``len``


NUMERIC = frozenset({VarType.NUMBER, VarType.INTEGER})


@dataclass
class VectorContext:
    """Rows of a frame whose evaluation failed, with the first problem seen for each row."""

    size: int
    errors: np.ndarray = field(init=False)
    problems: dict[int, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.errors = np.zeros(self.size, dtype=bool)

    def flag(self, rows: np.ndarray, problem: str) -> None:
        """Mark ``rows`` (a boolean mask) as failed with ``problem`` unless already failed."""
        new = rows & ~self.errors
        if new.any():
            for i in np.flatnonzero(new):
                self.problems[int(i)] = problem
            self.errors |= new


RowFn = Callable[[Mapping[str, Any]], Any]
VecFn = Callable[[Mapping[str, np.ndarray], VectorContext, np.ndarray], Any]


@dataclass(frozen=True)
class Expression:
    """A compiled expression: call it on one applicant's values, or use :meth:`vector`."""

    source: str
    type: VarType
    variables: frozenset[str]
    tree: ast.expr = field(repr=False)
    fn: RowFn = field(repr=False)
    vfn: VecFn = field(repr=False)
    _nodes: Mapping[int, RowFn] = field(repr=False, default_factory=dict)

    def __call__(self, env: Mapping[str, Any]) -> Any:
        return self.fn(env)

    def vector(
        self, env: Mapping[str, np.ndarray], ctx: VectorContext, mask: np.ndarray | None = None
    ) -> Any:
        """Evaluate over arrays; ``mask`` selects the rows that matter (errors elsewhere ignored)."""
        return self.vfn(env, ctx, np.ones(ctx.size, dtype=bool) if mask is None else mask)

    def explain(self, env: Mapping[str, Any]) -> str:
        """The facts that made a boolean expression true or false, with the values used.

        A false ``dti <= 0.5`` explains itself as ``"dti 0.62 > 0.5"``.
        """
        return _explain(self.tree, env, self._nodes)

    def bounds(self, known: Mapping[str, tuple[float, float]]) -> tuple[float, float]:
        """Interval of values a numeric expression can take given bounds of its variables."""
        return _bounds(self.tree, known)


# --------------------------------------------------------------------------- compilation

_ARITH: dict[type, tuple[str, Callable[[Any, Any], Any]]] = {
    ast.Add: ("+", lambda a, b: a + b),
    ast.Sub: ("-", lambda a, b: a - b),
    ast.Mult: ("*", lambda a, b: a * b),
}
_CMP: dict[type, tuple[str, Callable[[Any, Any], Any]]] = {
    ast.Lt: ("<", lambda a, b: a < b),
    ast.LtE: ("<=", lambda a, b: a <= b),
    ast.Gt: (">", lambda a, b: a > b),
    ast.GtE: (">=", lambda a, b: a >= b),
    ast.Eq: ("==", lambda a, b: a == b),
    ast.NotEq: ("!=", lambda a, b: a != b),
}
_CMP_BY_SYMBOL = {symbol: fn for symbol, fn in _CMP.values()}
_NEGATED = {"<": ">=", "<=": ">", ">": "<=", ">=": "<", "==": "!=", "!=": "==", "in": "not in"}
_NEGATED.update({v: k for k, v in _NEGATED.items()})


def _math1(name: str, fn: Callable[[float], float], domain: Callable[[Any], Any] | None):
    def row(x: float) -> float:
        if domain is not None and not domain(x):
            raise EvaluationError(f"{name}({x!r}) is outside its domain")
        return fn(x)

    def vec(x: np.ndarray, ctx: VectorContext, mask: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=float)
        ok = np.ones(x.shape, dtype=bool) if domain is None else domain(x)
        if np.ndim(ok) and not ok.all():
            ctx.flag(mask & ~ok, f"{name}() argument outside its domain")
        # math.* per element keeps the frame result bit-identical to the row result
        safe = np.where(ok, x, 1.0)
        return np.fromiter((fn(v) for v in safe.ravel()), float, safe.size).reshape(safe.shape)

    return row, vec


_FUNCTIONS: dict[str, tuple[int, int | None, Callable[..., Any], Callable[..., Any]]] = {}


def _register_functions() -> None:
    log_row, log_vec = _math1("log", math.log, lambda x: x > 0)
    exp_row, exp_vec = _math1("exp", math.exp, lambda x: x < 700)
    sqrt_row, sqrt_vec = _math1("sqrt", math.sqrt, lambda x: x >= 0)
    _FUNCTIONS.update(
        {
            # name: (min args, max args, row fn, vector fn(args, ctx, mask))
            "min": (2, None, min, lambda a, c, m: np.minimum.reduce(np.broadcast_arrays(*a))),
            "max": (2, None, max, lambda a, c, m: np.maximum.reduce(np.broadcast_arrays(*a))),
            "abs": (1, 1, abs, lambda a, c, m: np.abs(a[0])),
            "clip": (
                3,
                3,
                lambda x, lo, hi: min(max(x, lo), hi),
                lambda a, c, m: np.minimum(np.maximum(a[0], a[1]), a[2]),
            ),
            "floor": (1, 1, math.floor, lambda a, c, m: np.floor(a[0])),
            "ceil": (1, 1, math.ceil, lambda a, c, m: np.ceil(a[0])),
            "log": (1, 1, log_row, lambda a, c, m: log_vec(a[0], c, m)),
            "exp": (1, 1, exp_row, lambda a, c, m: exp_vec(a[0], c, m)),
            "sqrt": (1, 1, sqrt_row, lambda a, c, m: sqrt_vec(a[0], c, m)),
        }
    )


_register_functions()


class _Compiler:
    def __init__(
        self, source: str, types: Mapping[str, VarType | str], constants: Mapping[str, frozenset]
    ) -> None:
        self.source = source
        self.types = {k: VarType(v) for k, v in types.items()}
        self.constants = constants
        self.variables: set[str] = set()
        self.nodes: dict[int, RowFn] = {}

    def fail(self, node: ast.AST | None, problem: str) -> DefinitionError:
        where = (
            f" (column {node.col_offset + 1})"
            if node is not None and hasattr(node, "col_offset")
            else ""
        )
        return DefinitionError(f"expression {self.source!r}", f"{problem}{where}")

    def compile(self, node: ast.expr, depth: int = 0) -> tuple[VarType, RowFn, VecFn]:
        if depth > MAX_DEPTH:
            raise self.fail(node, f"nested deeper than {MAX_DEPTH} levels")
        method = getattr(self, f"_c_{type(node).__name__}", None)
        if method is None:
            raise self.fail(node, f"{type(node).__name__} is not allowed in a policy expression")
        typ, fn, vfn = method(node, depth + 1)
        self.nodes[id(node)] = fn
        return typ, fn, vfn

    # leaves ---------------------------------------------------------------
    def _c_Constant(self, node: ast.Constant, depth: int):
        value = node.value
        if isinstance(value, bool):
            typ = VarType.BOOLEAN
        elif isinstance(value, int):
            typ = VarType.INTEGER
        elif isinstance(value, float):
            typ = VarType.NUMBER
        elif isinstance(value, str):
            typ = VarType.STRING
        else:
            raise self.fail(
                node, f"constant {value!r} of type {type(value).__name__} is not allowed"
            )
        return typ, lambda env: value, lambda env, ctx, mask: value

    def _dotted(self, node: ast.expr) -> str:
        if isinstance(node, ast.Name):
            name = node.id
        elif isinstance(node, ast.Attribute):
            name = f"{self._dotted(node.value)}.{node.attr}"
            if node.attr.startswith("_"):
                raise self.fail(
                    node, f"attribute {node.attr!r} is not allowed (names starting with '_')"
                )
        else:
            raise self.fail(node, "attribute access is only allowed on variable names")
        if name.split(".")[0].startswith("_"):
            raise self.fail(node, f"name {name!r} is not allowed (names starting with '_')")
        return name

    def _variable(self, node: ast.expr, depth: int = 0):
        name = self._dotted(node)
        if name in self.constants:
            values = self.constants[name]
            return VarType.LIST, lambda env: values, lambda env, ctx, mask: values
        if name not in self.types:
            raise self.fail(node, f"unknown variable {name!r}")
        self.variables.add(name)
        return self.types[name], lambda env: env[name], lambda env, ctx, mask: env[name]

    _c_Name = _variable
    _c_Attribute = _variable

    def _c_Set(self, node: ast.Set | ast.List | ast.Tuple, depth: int):
        items = []
        for elt in node.elts:
            if not isinstance(elt, ast.Constant) or not isinstance(elt.value, (str, int, float)):
                raise self.fail(elt, "a set literal may hold only number or string constants")
            items.append(elt.value)
        values = frozenset(items)
        return VarType.LIST, lambda env: values, lambda env, ctx, mask: values

    _c_List = _c_Set
    _c_Tuple = _c_Set

    # operators ------------------------------------------------------------
    def _c_UnaryOp(self, node: ast.UnaryOp, depth: int):
        typ, f, vf = self.compile(node.operand, depth)
        if isinstance(node.op, ast.Not):
            self.expect(node.operand, typ, {VarType.BOOLEAN}, "'not'")
            return (
                VarType.BOOLEAN,
                lambda env: not f(env),
                lambda env, ctx, mask: ~np.asarray(vf(env, ctx, mask), dtype=bool),
            )
        if isinstance(node.op, (ast.USub, ast.UAdd)):
            self.expect(node.operand, typ, NUMERIC, "unary minus")
            if isinstance(node.op, ast.UAdd):
                return typ, f, vf
            return typ, lambda env: -f(env), lambda env, ctx, mask: -vf(env, ctx, mask)
        raise self.fail(node, f"operator {type(node.op).__name__} is not allowed")

    def expect(
        self, node: ast.AST, typ: VarType, allowed: set[VarType] | frozenset[VarType], what: str
    ) -> None:
        if typ not in allowed:
            names = "/".join(sorted(a.value for a in allowed))
            raise self.fail(node, f"{what} needs {names}; got {typ.value} in {ast.unparse(node)!r}")

    def _c_BinOp(self, node: ast.BinOp, depth: int):
        lt, lf, lv = self.compile(node.left, depth)
        rt, rf, rv = self.compile(node.right, depth)
        self.expect(node.left, lt, NUMERIC, "arithmetic")
        self.expect(node.right, rt, NUMERIC, "arithmetic")
        if isinstance(node.op, ast.Div):

            def div(env: Mapping[str, Any]) -> float:
                b = rf(env)
                if b == 0:
                    raise EvaluationError(f"division by zero in {ast.unparse(node)!r}")
                return lf(env) / b

            def vdiv(env, ctx: VectorContext, mask: np.ndarray):
                a, b = lv(env, ctx, mask), rv(env, ctx, mask)
                zero = np.asarray(b) == 0
                if zero.any():
                    ctx.flag(mask & zero, f"division by zero in {ast.unparse(node)!r}")
                    b = np.where(zero, 1.0, b)
                return np.asarray(a, dtype=float) / b

            return VarType.NUMBER, div, vdiv
        if type(node.op) not in _ARITH:
            raise self.fail(node, f"operator {type(node.op).__name__} is not allowed (use + - * /)")
        _, op = _ARITH[type(node.op)]
        typ = VarType.INTEGER if lt == rt == VarType.INTEGER else VarType.NUMBER
        return (
            typ,
            lambda env: op(lf(env), rf(env)),
            lambda env, ctx, mask: op(lv(env, ctx, mask), rv(env, ctx, mask)),
        )

    def _c_BoolOp(self, node: ast.BoolOp, depth: int):
        parts = [self.compile(v, depth) for v in node.values]
        for v, (t, _, _) in zip(node.values, parts, strict=True):
            self.expect(v, t, {VarType.BOOLEAN}, "'and'/'or'")
        fns = [p[1] for p in parts]
        vfns = [p[2] for p in parts]
        if isinstance(node.op, ast.And):

            def row_and(env):
                return all(f(env) for f in fns)

            def vec_and(env, ctx, mask):
                out = np.ones(ctx.size, dtype=bool)
                for vf in vfns:
                    out = out & np.asarray(vf(env, ctx, mask & out), dtype=bool)
                return out

            return VarType.BOOLEAN, row_and, vec_and

        def row_or(env):
            return any(f(env) for f in fns)

        def vec_or(env, ctx, mask):
            out = np.zeros(ctx.size, dtype=bool)
            for vf in vfns:
                out = out | np.asarray(vf(env, ctx, mask & ~out), dtype=bool)
            return out

        return VarType.BOOLEAN, row_or, vec_or

    def _c_Compare(self, node: ast.Compare, depth: int):
        operands = [node.left, *node.comparators]
        compiled = [self.compile(o, depth) for o in operands]
        links: list[tuple[RowFn, RowFn, Callable, Callable]] = []
        for i, op in enumerate(node.ops):
            (lt, lf, _), (rt, rf, _) = compiled[i], compiled[i + 1]
            left, right = operands[i], operands[i + 1]
            if isinstance(op, (ast.In, ast.NotIn)):
                if rt != VarType.LIST:
                    raise self.fail(right, "'in' needs a set literal or a named list on the right")
                if lt == VarType.LIST or lt == VarType.BOOLEAN:
                    raise self.fail(
                        left, f"'in' needs a number or string on the left; got {lt.value}"
                    )
                negate = isinstance(op, ast.NotIn)

                def row_in(a, b, negate=negate):
                    return (a in b) != negate

                def vec_in(a, b, negate=negate):
                    res = np.isin(np.asarray(a, dtype=object), list(b))
                    return ~res if negate else res

                links.append((lf, rf, row_in, vec_in))
                continue
            if type(op) not in _CMP:
                raise self.fail(node, f"comparison {type(op).__name__} is not allowed")
            if (lt in NUMERIC) != (rt in NUMERIC) or (lt not in NUMERIC and lt != rt):
                raise self.fail(node, f"cannot compare {lt.value} with {rt.value}")
            if lt == VarType.LIST:
                raise self.fail(node, "lists can only be used with 'in'")
            symbol, cmp = _CMP[type(op)]
            if lt in (VarType.STRING, VarType.BOOLEAN) and symbol not in ("==", "!="):
                raise self.fail(node, f"{lt.value} values only support == and !=")
            links.append((lf, rf, cmp, cmp))
        row_fns = [c[1] for c in compiled]
        vec_fns = [c[2] for c in compiled]
        ops_row = [link[2] for link in links]
        ops_vec = [link[3] for link in links]

        def row_cmp(env):
            a = row_fns[0](env)
            for op, f in zip(ops_row, row_fns[1:], strict=True):
                b = f(env)
                if not op(a, b):
                    return False
                a = b
            return True

        def vec_cmp(env, ctx, mask):
            out = np.ones(ctx.size, dtype=bool)
            a = vec_fns[0](env, ctx, mask)
            for op, f in zip(ops_vec, vec_fns[1:], strict=True):
                b = f(env, ctx, mask & out)
                out = out & np.asarray(op(a, b), dtype=bool)
                a = b
            return out

        return VarType.BOOLEAN, row_cmp, vec_cmp

    def _c_IfExp(self, node: ast.IfExp, depth: int):
        ct, cf, cv = self.compile(node.test, depth)
        at, af, av = self.compile(node.body, depth)
        bt, bf, bv = self.compile(node.orelse, depth)
        self.expect(node.test, ct, {VarType.BOOLEAN}, "the condition of 'if'")
        if at != bt and not (at in NUMERIC and bt in NUMERIC):
            raise self.fail(
                node, f"both branches of 'if' must have one type; got {at.value} and {bt.value}"
            )
        typ = at if at == bt else VarType.NUMBER

        def vec_if(env, ctx, mask):
            c = np.asarray(cv(env, ctx, mask), dtype=bool)
            a = av(env, ctx, mask & c)
            b = bv(env, ctx, mask & ~c)
            if typ == VarType.STRING:
                return np.where(c, np.asarray(a, dtype=object), np.asarray(b, dtype=object))
            return np.where(c, a, b)

        return typ, lambda env: af(env) if cf(env) else bf(env), vec_if

    def _c_Call(self, node: ast.Call, depth: int):
        if not isinstance(node.func, ast.Name) or node.func.id not in _FUNCTIONS:
            name = ast.unparse(node.func)
            raise self.fail(
                node, f"call to {name!r} is not allowed; functions: {', '.join(sorted(_FUNCTIONS))}"
            )
        if node.keywords:
            raise self.fail(node, "keyword arguments are not allowed")
        name = node.func.id
        lo, hi, row, vec = _FUNCTIONS[name]
        if len(node.args) < lo or (hi is not None and len(node.args) > hi):
            raise self.fail(
                node,
                f"{name}() takes {lo}{'+' if hi is None else ''} arguments; got {len(node.args)}",
            )
        args = [self.compile(a, depth) for a in node.args]
        for a, (t, _, _) in zip(node.args, args, strict=True):
            if isinstance(a, ast.Starred):
                raise self.fail(a, "starred arguments are not allowed")
            self.expect(a, t, NUMERIC, f"{name}()")
        fns = [a[1] for a in args]
        vfns = [a[2] for a in args]
        integer_args = all(a[0] == VarType.INTEGER for a in args)
        if name in ("floor", "ceil") or (name in ("min", "max", "abs", "clip") and integer_args):
            typ = VarType.INTEGER
        else:
            typ = VarType.NUMBER
        return (
            typ,
            lambda env: row(*(f(env) for f in fns)),
            lambda env, ctx, mask: vec([vf(env, ctx, mask) for vf in vfns], ctx, mask),
        )


def parse_tree(source: str) -> ast.expr:
    """Parse ``source`` as one expression, refusing over-long text before parsing."""
    if not isinstance(source, str) or not source.strip():
        raise DefinitionError("expression", f"must be a non-empty string; got {source!r}")
    if len(source) > MAX_LENGTH:
        raise DefinitionError("expression", f"is longer than {MAX_LENGTH} characters")
    try:
        return ast.parse(source.strip(), mode="eval").body
    except SyntaxError as exc:
        raise DefinitionError(f"expression {source!r}", f"syntax error: {exc.msg}") from None


def compile_expression(
    source: str,
    types: Mapping[str, VarType | str],
    *,
    constants: Mapping[str, frozenset] | None = None,
    expect: VarType | str | None = None,
) -> Expression:
    """Parse, check and compile ``source`` against variable ``types`` (and named ``constants``).

    Parameters
    ----------
    source : str
        The expression text.
    types : mapping of str to VarType
        Every variable the expression may read, with its type; any other name is an error.
    constants : mapping of str to frozenset, optional
        Named lists (e.g. high-risk regions) usable on the right of ``in``.
    expect : VarType, optional
        The type the result must have (``boolean`` for a rule condition).

    Raises
    ------
    DefinitionError
        The text is not a valid, whitelisted, well-typed expression.
    """
    tree = parse_tree(source)
    compiler = _Compiler(source, types, constants or {})
    typ, fn, vfn = compiler.compile(tree)
    if typ == VarType.LIST:
        raise compiler.fail(None, "a list cannot be the value of an expression")
    if expect is not None:
        want = VarType(expect)
        if not (typ == want or (want == VarType.NUMBER and typ == VarType.INTEGER)):
            raise compiler.fail(None, f"must be {want.value}; got {typ.value}")
    return Expression(source, typ, frozenset(compiler.variables), tree, fn, vfn, compiler.nodes)


# --------------------------------------------------------------------------- explanations


def format_value(value: Any) -> str:
    """Values as an analyst reads them: ``0.62``, ``'Xinjiang'``, ``true``."""
    if isinstance(value, bool | np.bool_):
        return "true" if value else "false"
    if isinstance(value, float | np.floating):
        return f"{float(value):.6g}"
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, frozenset | set | list | tuple):
        return "{" + ", ".join(format_value(v) for v in sorted(value, key=str)) + "}"
    return str(value)


@functools.lru_cache(maxsize=65536)
def _source(node: ast.expr) -> str:
    """A compiled node's source text (a policy's nodes live as long as it serves; unparsing
    them at every explanation was a third of a rendered trace)."""
    return ast.unparse(node)


def _operand(node: ast.expr, env: Mapping[str, Any], nodes: Mapping[int, RowFn]) -> str:
    value = nodes[id(node)](env)
    if isinstance(node, ast.Constant | ast.Set | ast.List | ast.Tuple):
        return format_value(value)
    if isinstance(node, ast.Name | ast.Attribute):
        return f"{_source(node)} {format_value(value)}"
    return f"({_source(node)}) {format_value(value)}"


def _explain(node: ast.expr, env: Mapping[str, Any], nodes: Mapping[int, RowFn]) -> str:
    value = nodes[id(node)](env)
    if isinstance(node, ast.BoolOp):
        parts = node.values
        if isinstance(node.op, ast.And):
            if value:
                return " and ".join(_explain(p, env, nodes) for p in parts)
            first_false = next(p for p in parts if not nodes[id(p)](env))
            return _explain(first_false, env, nodes)
        if value:
            first_true = next(p for p in parts if nodes[id(p)](env))
            return _explain(first_true, env, nodes)
        return " and ".join(_explain(p, env, nodes) for p in parts)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        return _explain(node.operand, env, nodes)
    if isinstance(node, ast.Compare):
        operands = [node.left, *node.comparators]
        facts = []
        for i, op in enumerate(node.ops):
            symbol = (
                "in"
                if isinstance(op, ast.In)
                else "not in"
                if isinstance(op, ast.NotIn)
                else _CMP[type(op)][0]
            )
            left, right = operands[i], operands[i + 1]
            holds = _single_compare(symbol, nodes[id(left)](env), nodes[id(right)](env))
            text = f"{_operand(left, env, nodes)} {symbol if holds else _NEGATED[symbol]} {_operand(right, env, nodes)}"
            if not holds:
                return text
            facts.append(text)
        return " and ".join(facts)
    return f"{_source(node)} is {format_value(value)}"


def _single_compare(symbol: str, a: Any, b: Any) -> bool:
    if symbol == "in":
        return a in b
    if symbol == "not in":
        return a not in b
    return bool(_CMP_BY_SYMBOL[symbol](a, b))


# --------------------------------------------------------------------------- interval bounds

_INF = math.inf


def _bounds(node: ast.expr, known: Mapping[str, tuple[float, float]]) -> tuple[float, float]:
    if (
        isinstance(node, ast.Constant)
        and isinstance(node.value, int | float)
        and not isinstance(node.value, bool)
    ):
        return float(node.value), float(node.value)
    if isinstance(node, ast.Name | ast.Attribute):
        return known.get(ast.unparse(node), (-_INF, _INF))
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        lo, hi = _bounds(node.operand, known)
        return -hi, -lo
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.UAdd):
        return _bounds(node.operand, known)
    if isinstance(node, ast.IfExp):
        (a, b), (c, d) = _bounds(node.body, known), _bounds(node.orelse, known)
        return min(a, c), max(b, d)
    if isinstance(node, ast.BinOp):
        (a, b), (c, d) = _bounds(node.left, known), _bounds(node.right, known)
        if isinstance(node.op, ast.Add):
            return a + c, b + d
        if isinstance(node.op, ast.Sub):
            return a - d, b - c
        if isinstance(node.op, ast.Mult):
            products = [_mul(x, y) for x in (a, b) for y in (c, d)]
            return min(products), max(products)
        if isinstance(node.op, ast.Div) and (c > 0 or d < 0):
            quotients = [_div(x, y) for x in (a, b) for y in (c, d)]
            return min(quotients), max(quotients)
        return -_INF, _INF
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        args = [_bounds(a, known) for a in node.args]
        if node.func.id == "min":
            return min(a[0] for a in args), min(a[1] for a in args)
        if node.func.id == "max":
            return max(a[0] for a in args), max(a[1] for a in args)
        if node.func.id == "clip" and len(args) == 3:
            (x0, x1), (lo0, lo1), (hi0, hi1) = args
            return min(max(x0, lo0), hi0), min(max(x1, lo1), hi1)
    return -_INF, _INF


def _mul(x: float, y: float) -> float:
    return 0.0 if x == 0 or y == 0 else x * y


def _div(x: float, y: float) -> float:
    return x / y if math.isfinite(y) else 0.0
