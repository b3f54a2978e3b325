"""The errors zhudai raises on purpose.

Each subclasses the matching built-in, so a caller's ``except ValueError`` still works, and
each names the field at fault so the CLI and the API can print one clear line.
"""

from __future__ import annotations


class ZhudaiError(Exception):
    """Root of every error zhudai raises on purpose."""


class InvalidInputError(ZhudaiError, ValueError):
    """A value given to zhudai is wrong: the message names the field and the problem.

    Examples
    --------
    >>> err = InvalidInputError("phone", "must be 11 digits starting with 1; got 10 digits")
    >>> str(err)
    'phone: must be 11 digits starting with 1; got 10 digits'
    """

    def __init__(self, field: str, problem: str) -> None:
        self.field = field
        self.problem = problem
        super().__init__(f"{field}: {problem}")


class InvalidTypeError(ZhudaiError, TypeError):
    """A value given to zhudai has the wrong type: the message names the field and the type.

    Examples
    --------
    >>> str(InvalidTypeError("data", "must be a pandas or polars DataFrame; got list"))
    'data: must be a pandas or polars DataFrame; got list'
    """

    def __init__(self, field: str, problem: str) -> None:
        self.field = field
        self.problem = problem
        super().__init__(f"{field}: {problem}")


class NotFoundError(ZhudaiError, LookupError):
    """A referenced record (product, channel, model, policy ...) does not exist."""

    def __init__(self, field: str, value: object) -> None:
        self.field = field
        self.value = value
        super().__init__(f"{field}: unknown value {value!r}")


class MissingFileError(InvalidInputError, NotFoundError):
    """A file named by ``field`` does not exist: a wrong value (``ValueError``) and a missing
    record (``LookupError``) at once, so callers of either kind still catch it.

    Examples
    --------
    >>> err = MissingFileError("data", "loans.csv")
    >>> str(err), isinstance(err, ValueError), isinstance(err, LookupError)
    ('data: loans.csv does not exist or is not a file', True, True)
    """

    def __init__(self, field: str, path: object) -> None:
        self.field = field
        self.value = path
        self.problem = f"{path} does not exist or is not a file"
        Exception.__init__(self, f"{field}: {self.problem}")


class ConfigurationError(ZhudaiError, ValueError):
    """Settings or a definition file are wrong (e.g. a missing encryption key)."""


class DefinitionError(ZhudaiError, ValueError):
    """A declarative definition (feature, policy, binning rule) is invalid at load time.

    The message starts with the definition's name so an author can find it.
    """

    def __init__(self, name: str, problem: str, *, source: str | None = None) -> None:
        self.name = name
        self.problem = problem
        self.source = source
        where = f"{source}: " if source else ""
        super().__init__(f"{where}{name}: {problem}")


class NotFittedError(ZhudaiError, ValueError, AttributeError):
    """An estimator was used before ``fit``."""


class EvaluationError(ZhudaiError, ArithmeticError):
    """A policy expression could not be evaluated for one applicant (e.g. division by zero);
    the engine turns it into the ``error`` outcome of that applicant."""


class MigrationError(ZhudaiError, RuntimeError):
    """A schema upgrade would leave the store inconsistent (it is rolled back)."""


class ComplianceBlockedError(ZhudaiError, PermissionError):
    """A collection rule forbids what was asked (e.g. purging records younger than the
    retention period); ``rule`` is the rule's id."""

    def __init__(self, rule: str, reason: str) -> None:
        self.rule = rule
        self.field = rule
        self.problem = reason
        super().__init__(f"{rule}: {reason}")
