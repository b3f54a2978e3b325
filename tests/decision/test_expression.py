"""The expression language: what it computes, how it explains, and every construct it refuses."""

from __future__ import annotations

import re

import numpy as np
import pytest

from zhudai.decision.expression import EvaluationError, VectorContext, compile_expression
from zhudai.exceptions import DefinitionError

TYPES = {
    "dti": "number",
    "age": "integer",
    "province": "string",
    "rooted": "boolean",
    "fraud.fraud_score": "number",
    "income": "number",
    "debt": "number",
}


@pytest.mark.parametrize(
    ("text", "env", "expected"),
    [
        ("dti <= 0.5 and age >= 18", {"dti": 0.62, "age": 30}, False),
        ("0.3 <= dti < 0.7", {"dti": 0.62}, True),
        (
            "province in {'Xinjiang', 'Tibet'} or rooted",
            {"province": "Tibet", "rooted": False},
            True,
        ),
        ("province not in ['A', 'B']", {"province": "A"}, False),
        ("max(dti, 0.4) * 2 if age > 20 else -1", {"dti": 0.1, "age": 30}, 0.8),
        ("clip(fraud.fraud_score, 0.2, 0.5)", {"fraud.fraud_score": 0.9}, 0.5),
        ("not rooted", {"rooted": True}, False),
        ("floor(dti * 10) + ceil(0.2)", {"dti": 0.55}, 6),
        ("log(exp(2.0)) + sqrt(16)", {}, 6.0),
    ],
)
def test_valid_expressions_evaluate(text: str, env: dict, expected: object) -> None:
    assert compile_expression(text, TYPES)(env) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("__import__('os').system('ls')", 'system" is not allowed'),
        ("__import__('os')", "call to '__import__' is not allowed"),
        ("dti.__class__", "attribute '__class__' is not allowed"),
        ("dti._secret", "attribute '_secret' is not allowed"),
        ("_hidden > 1", "name '_hidden' is not allowed"),
        ("open('/etc/passwd')", "call to 'open' is not allowed"),
        ("eval('1')", "call to 'eval' is not allowed"),
        ("province.upper() == 'A'", "call to 'province.upper' is not allowed"),
        ("max(dti, key=abs)", "keyword arguments are not allowed"),
        ("[x for x in range(3)]", "ListComp is not allowed"),
        ("{k: 1 for k in 'ab'}", "DictComp is not allowed"),
        ("lambda: 1", "Lambda is not allowed"),
        ("dti[0]", "Subscript is not allowed"),
        ("(x := 1)", "NamedExpr is not allowed"),
        ("f'{dti}'", "JoinedStr is not allowed"),
        ("2 ** 1000", "operator Pow is not allowed"),
        ("dti // 2", "operator FloorDiv is not allowed"),
        ("b'x' == b'x'", "constant b'x'"),
        ("None", "constant None"),
        ("income > 'high'", "cannot compare number with string"),
        ("province < 'B'", "string values only support == and !="),
        ("dti and age", "'and'/'or' needs boolean"),
        ("salary > 1", "unknown variable 'salary'"),
        ("dti >", "syntax error"),
        ("x" * 2001, "longer than 2000"),
    ],
)
def test_rejected_constructs(text: str, problem: str) -> None:
    with pytest.raises(DefinitionError, match=re.escape(problem)):
        compile_expression(text, TYPES)


def test_deep_nesting_is_refused() -> None:
    text = "-" * 50 + "dti > 0"
    with pytest.raises(DefinitionError, match="nested deeper"):
        compile_expression(text, TYPES)


def test_expected_type_is_checked_at_load_time() -> None:
    with pytest.raises(DefinitionError, match="must be boolean; got number"):
        compile_expression("dti * 2", TYPES, expect="boolean")


def test_explanations_name_values_and_the_failing_fact() -> None:
    expr = compile_expression("dti <= 0.5 and age >= 18", TYPES)
    assert expr.explain({"dti": 0.62, "age": 30}) == "dti 0.62 > 0.5"
    assert expr.explain({"dti": 0.2, "age": 30}) == "dti 0.2 <= 0.5 and age 30 >= 18"
    either = compile_expression("fraud.fraud_score >= 0.8 or province in {'X'}", TYPES)
    assert (
        either.explain({"fraud.fraud_score": 0.1, "province": "Y"})
        == "fraud.fraud_score 0.1 < 0.8 and province 'Y' not in {'X'}"
    )
    named = compile_expression(
        "province in regions", TYPES, constants={"regions": frozenset({"A", "B"})}
    )
    assert named.explain({"province": "C"}) == "province 'C' not in regions {'A', 'B'}"


def test_division_by_zero_is_an_error_row_and_frame() -> None:
    expr = compile_expression("debt / income > 0.5", TYPES)
    with pytest.raises(EvaluationError, match="division by zero"):
        expr({"debt": 1.0, "income": 0.0})
    ctx = VectorContext(3)
    expr.vector({"debt": np.array([1.0, 1.0, 3.0]), "income": np.array([0.0, 1.0, 2.0])}, ctx)
    assert ctx.errors.tolist() == [True, False, False]


def test_short_circuit_guards_hold_in_both_modes() -> None:
    expr = compile_expression("income > 0 and debt / income > 0.5", TYPES)
    assert expr({"income": 0.0, "debt": 1.0}) is False
    ctx = VectorContext(3)
    out = expr.vector({"income": np.array([0.0, 1.0, 2.0]), "debt": np.array([1.0, 1.0, 0.0])}, ctx)
    assert out.tolist() == [False, True, False]
    assert not ctx.errors.any()


def test_vector_equals_row_on_random_values() -> None:
    rng = np.random.default_rng(3)
    expr = compile_expression(
        "(dti * 2 + max(age, 30) / 10 if province == 'A' else -dti) >= 3.1 or rooted", TYPES
    )
    env = {
        "dti": rng.random(200) * 3,
        "age": rng.integers(18, 70, 200),
        "province": rng.choice(["A", "B"], 200).astype(object),
        "rooted": rng.random(200) < 0.1,
    }
    vec = expr.vector(env, VectorContext(200))
    rows = [
        expr({k: v[i].item() if hasattr(v[i], "item") else v[i] for k, v in env.items()})
        for i in range(200)
    ]
    assert vec.tolist() == rows


def test_bounds_through_arithmetic() -> None:
    expr = compile_expression(
        "min(base + 0.04, 0.2) if age > 30 else base * 2", {"base": "number", "age": "integer"}
    )
    assert expr.bounds({"base": (0.05, 0.15)}) == pytest.approx((0.09, 0.3))


@pytest.mark.parametrize("module", ["expression", "service", "source"])
def test_docstring_examples_run(module: str) -> None:
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module(f"zhudai.decision.{module}"))
    assert result.failed == 0
