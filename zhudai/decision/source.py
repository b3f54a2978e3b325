"""Reading policy YAML so that every error names the file, the line and the rule.

``yaml.compose`` keeps each node's ``start_mark``; :class:`PolicySource` records the line of
every path (``("steps", 2, "rules", 0, "when")``) so schema errors from pydantic and compile
errors from the compiler both point at the line an author must fix.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from zhudai.decision.document import PolicyDocument
from zhudai.exceptions import DefinitionError

Path_ = tuple[str | int, ...]


@dataclass(frozen=True)
class PolicySource:
    """A policy's text with its origin (file name or ``store:name@v``) and line numbers."""

    text: str
    origin: str
    data: Any = field(repr=False)
    lines: dict[Path_, int] = field(repr=False, default_factory=dict)

    @property
    def content_hash(self) -> str:
        """SHA-256 of the exact text: what a decision record stores as the policy hash."""
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()

    def resolve(self, path: Path_) -> tuple[Path_, str | None]:
        """The path as it exists in the data (pydantic adds union tags) and the nearest name."""
        node, real, name = self.data, [], None
        for part in path:
            in_dict = isinstance(node, dict) and part in node
            in_list = isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)
            if in_dict or in_list:
                node = node[part]  # type: ignore[index]
            else:
                continue  # a discriminator tag or a key the document lacks
            real.append(part)
            if isinstance(node, dict) and isinstance(node.get("name"), str):
                name = node["name"]
        return tuple(real), name

    def where(self, path: Path_) -> str:
        """``file:line`` of the deepest existing prefix of ``path``."""
        real, _ = self.resolve(path)
        for cut in range(len(real), -1, -1):
            if real[:cut] in self.lines:
                return f"{self.origin}:{self.lines[real[:cut]]}"
        return self.origin

    def error(self, path: Path_, problem: str, name: str | None = None) -> DefinitionError:
        """A :class:`DefinitionError` naming the file, line and rule (or step) at ``path``."""
        real, nearest = self.resolve(path)
        top = self.data.get("name") if isinstance(self.data, dict) else None
        label = name or nearest or (top if isinstance(top, str) else None) or "policy"
        return DefinitionError(label, problem, source=self.where(path))


def _record_lines(node: yaml.Node, path: Path_, lines: dict[Path_, int]) -> None:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            _record_lines(value, (*path, key.value), lines)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _record_lines(item, (*path, i), lines)


MAX_POLICY_CHARS = 1_000_000


def read_source(text: str, origin: str = "<memory>") -> PolicySource:
    r"""Parse YAML text (safe loader, at most a million characters), keeping every node's line.

    Examples
    --------
    >>> src = read_source("name: p\nsteps:\n  - {kind: rules, name: r, rules: []}\n", "p.yaml")
    >>> src.where(("steps", 0, "rules"))
    'p.yaml:3'
    """
    if len(text) > MAX_POLICY_CHARS:
        raise DefinitionError(
            "policy", f"is longer than {MAX_POLICY_CHARS:,} characters", source=origin
        )
    try:
        loader = yaml.SafeLoader(text)
        try:
            node = loader.get_single_node()
            data = loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{origin}:{mark.line + 1}" if mark is not None else origin
        raise DefinitionError("policy", f"not valid YAML: {exc}", source=where) from None
    if not isinstance(data, dict):
        raise DefinitionError("policy", "must be a YAML mapping", source=origin)
    lines: dict[Path_, int] = {}
    if node is not None:
        _record_lines(node, (), lines)
    return PolicySource(text, origin, data, lines)


def parse_document(source: PolicySource) -> PolicyDocument:
    """Validate the source against the schema; the first problem names file, line and rule."""
    try:
        return PolicyDocument.model_validate(source.data)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = tuple(first["loc"])
        dotted = ".".join(str(p) for p in source.resolve(loc)[0]) or "policy"
        raise source.error(loc, f"{dotted}: {first['msg']}") from None


def read_policy_file(path: str | Path) -> tuple[PolicySource, PolicyDocument]:
    """Read and schema-validate one policy file."""
    p = Path(path)
    if not p.is_file():
        raise DefinitionError(str(p), "policy file does not exist")
    source = read_source(p.read_text(encoding="utf-8"), origin=p.name)
    return source, parse_document(source)
