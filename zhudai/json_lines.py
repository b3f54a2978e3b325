"""Commands that take JSON Lines (one request per line) answer one line per line, in order: a
bad line becomes an error line naming the field and the other lines still run."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from typing import Any, TextIO

from zhudai.exceptions import InvalidInputError, ZhudaiError

#: Handles one request object: (the answer as JSON, the summary count it adds to).
Handler = Callable[[dict[str, Any]], tuple[dict[str, Any], str]]

#: Characters ``json.dumps(ensure_ascii=False)`` keeps raw that line splitters (``str.splitlines``,
#: JavaScript) read as line ends; escaped, one answer stays one line.
_LINE_BREAKS = str.maketrans({"\x85": "\\u0085", "\u2028": "\\u2028", "\u2029": "\\u2029"})


def one_line(answer: dict[str, Any]) -> str:
    """``answer`` as one JSON line (Chinese text kept readable)."""
    return json.dumps(answer, ensure_ascii=False).translate(_LINE_BREAKS)


def read_object(line: str, field: str = "json") -> dict[str, Any]:
    """The JSON object on ``line``; an :class:`InvalidInputError` naming ``field`` if the line
    is not JSON or not an object."""
    try:
        raw = json.loads(line)
    except json.JSONDecodeError as exc:
        raise InvalidInputError(
            field, f"not valid JSON ({exc.msg} at column {exc.colno})"
        ) from None
    if not isinstance(raw, dict):
        raise InvalidInputError(field, "must be a JSON object")
    return raw


def error_line(raw: Any, exc: ZhudaiError, id_field: str, default_field: str) -> dict[str, Any]:
    """``{id_field: ..., "error": {"field": ..., "message": ...}}`` for a failed line."""
    field = getattr(exc, "field", None) or default_field
    problem = getattr(exc, "problem", None)
    if problem is None:
        problem = str(exc).removeprefix(f"{field}: ")
    ident = raw.get(id_field) if isinstance(raw, dict) else None
    return {id_field: ident, "error": {"field": field, "message": problem}}


def run_json_lines(
    lines: TextIO, out: TextIO, handle: Handler, id_field: str, default_field: str
) -> Counter[str]:
    """Run ``handle`` on each JSON object line of ``lines``; one line of ``out`` each."""
    counts: Counter[str] = Counter()
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        raw: Any = None
        try:
            try:
                raw = read_object(line)
            except InvalidInputError as exc:
                raise InvalidInputError("line", f"line {number}: {exc.problem}") from None
            result, count = handle(raw)
            counts[count] += 1
        except ZhudaiError as exc:
            result = error_line(raw, exc, id_field, default_field)
            counts["error"] += 1
        out.write(one_line(result) + "\n")
        out.flush()
    return counts
