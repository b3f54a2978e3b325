"""Export a scorecard as one SQL ``SELECT`` that scores it inside a bank's own database.

Each feature becomes a ``CASE`` whose branches follow the Python scoring order exactly:
missing (``IS NULL``) first, then special codes, then the numeric cut points (``x < split``,
right-open bins as in :class:`~zhudai.scorecard.binning.VariableBins`) or the categorical
groups (compared as text). Unseen categories take the Other bin's points (``unseen="other"``),
the Missing bin's (``"missing"``) or make the score ``NULL`` (``"error"``). Points are written
with 17 significant digits, so the database reproduces Python's score to rounding error.
The SQL is ANSI apart from ``EXP`` in the optional PD column (SQLite >= 3.35 with math
functions, PostgreSQL, MySQL, Oracle, SQL Server).
"""

from __future__ import annotations

import re

from zhudai.exceptions import InvalidInputError
from zhudai.scorecard.runtime import ScorecardModel

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _ident(name: str) -> str:
    """A double-quoted identifier (embedded quotes doubled)."""
    return '"' + name.replace('"', '""') + '"'


def _num(v: float) -> str:
    return repr(float(v))


def _text(v: str) -> str:
    return "'" + v.replace("'", "''") + "'"


def _feature_case(model: ScorecardModel, feature: str) -> str:
    b, pts = model.bins[feature], model.points[feature]
    col = _ident(feature)
    lines = [f"    WHEN {col} IS NULL THEN {_num(pts[b.missing_index])}"]
    if b.dtype == "numeric":
        if b.special_codes:
            codes = ", ".join(_num(c) for c in b.special_codes)
            lines.append(f"    WHEN {col} IN ({codes}) THEN {_num(pts[b.special_index])}")
        for i, split in enumerate(b.splits):
            lines.append(f"    WHEN {col} < {_num(split)} THEN {_num(pts[i])}")
        otherwise = _num(pts[len(b.splits)])
    else:
        for i, group in enumerate(b.groups):
            if group and b.codes:  # integer codes compare as numbers
                codes = ", ".join(_num(float(c)) for c in group)
                lines.append(f"    WHEN {col} IN ({codes}) THEN {_num(pts[i])}")
            elif group:
                cats = ", ".join(_text(c) for c in group)
                lines.append(f"    WHEN CAST({col} AS TEXT) IN ({cats}) THEN {_num(pts[i])}")
        otherwise = {
            "other": _num(pts[b.special_index]),
            "missing": _num(pts[b.missing_index]),
            "error": "NULL",
        }[b.unseen]
    body = "\n".join(lines)
    return f"CASE -- {feature}\n{body}\n    ELSE {otherwise}\n  END"


def score_expression(model: ScorecardModel) -> str:
    """The SQL expression of the score: base points plus one CASE per feature."""
    parts = [_num(model.base_points), *(_feature_case(model, f) for f in model.features)]
    return "\n  + ".join(parts)


def scorecard_sql(
    model: ScorecardModel,
    table: str = "applicants",
    id_columns: tuple[str, ...] = (),
    with_pd: bool = True,
) -> str:
    """A ``SELECT`` returning the id columns, ``score`` and (optionally) ``pd`` for every row.

    Examples
    --------
    >>> from zhudai.datasets import load_german_credit
    >>> from zhudai.scorecard import Scorecard
    >>> df = load_german_credit()
    >>> card = Scorecard().fit(df.drop(columns="bad"), df["bad"]).model_
    >>> scorecard_sql(card, "german").splitlines()[1]
    'SELECT score,'
    """
    if not _IDENT.match(table.replace(".", "_")):
        raise InvalidInputError(
            "table", f"must be a plain (optionally schema-qualified) name; got {table!r}"
        )
    ids = "".join(f"{_ident(c)}, " for c in id_columns)
    score = score_expression(model)
    select = f"SELECT {ids}score"
    if with_pd:
        factor, offset = _num(model.scaling.factor), _num(model.scaling.offset)
        select += f",\n  1.0 / (1.0 + EXP((score - {offset}) / {factor})) AS pd"
    header = f"-- zhudai scorecard {model.name} v{model.version} (kind {model.kind})\n"
    inner = f"SELECT {ids.rstrip(', ') + ', ' if ids else ''}(\n  {score}\n) AS score\nFROM {table}"
    return f"{header}{select}\nFROM (\n{inner}\n) AS scored"
