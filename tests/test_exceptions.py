"""Errors as style.md says: a wrong type is a TypeError subclass, a wrong value a ValueError
subclass, a missing record a LookupError subclass; all are zhudai's own, from one module."""

from __future__ import annotations

import pytest

from zhudai.decision import EvaluationError
from zhudai.decision.steps import frame_of
from zhudai.exceptions import InvalidTypeError, NotFoundError, ZhudaiError
from zhudai.features.definitions import load_feature_set


def test_a_wrong_type_is_a_type_error_naming_the_field() -> None:
    with pytest.raises(InvalidTypeError, match="^data: must be a pandas or polars DataFrame"):
        frame_of([{"a": 1}])
    assert issubclass(InvalidTypeError, TypeError) and issubclass(InvalidTypeError, ZhudaiError)


def test_an_unknown_feature_is_a_lookup_error() -> None:
    with pytest.raises(NotFoundError, match="^feature: unknown value 'nothing'"):
        load_feature_set().get("nothing")


def test_an_evaluation_error_is_arithmetic_and_zhudais() -> None:
    assert issubclass(EvaluationError, ArithmeticError) and issubclass(EvaluationError, ZhudaiError)
