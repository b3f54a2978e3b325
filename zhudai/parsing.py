"""Turning edge input into typed models, with zhudai's one-line errors."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from zhudai.exceptions import InvalidInputError, MissingFileError

M = TypeVar("M", bound=BaseModel)


def parse_input(model: type[M], data: Mapping[str, Any] | M) -> M:
    """Validate ``data`` as ``model``; the first problem becomes an :class:`InvalidInputError`.

    Examples
    --------
    >>> from pydantic import BaseModel
    >>> class Loan(BaseModel):
    ...     amount: float
    >>> parse_input(Loan, {"amount": "x"})
    Traceback (most recent call last):
    ...
    zhudai.exceptions.InvalidInputError: amount: Input should be a valid number, unable to parse string as a number
    """
    if isinstance(data, model):
        return data
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise as_input_error(exc, model.__name__) from None


def as_input_error(exc: ValidationError, default_field: str) -> InvalidInputError:
    """The first problem of a pydantic error as one field-naming error; a validator's own
    :class:`InvalidInputError` (e.g. an ID check digit) keeps its field and wording."""
    first = exc.errors()[0]
    cause = first.get("ctx", {}).get("error")
    if isinstance(cause, InvalidInputError):
        return InvalidInputError(cause.field, cause.problem)
    field = ".".join(str(p) for p in first["loc"]) or default_field
    return InvalidInputError(field, first["msg"])


def read_yaml_mapping(path: Path, field: str) -> dict[str, Any]:
    """The mapping a settings file holds (an empty file: ``{}``); a missing file or another
    kind of document is an error naming ``field``."""
    import yaml

    if not path.is_file():
        raise MissingFileError(field, str(path))
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(data, dict):
        raise InvalidInputError(field, f"{path} must hold a mapping")
    return data
