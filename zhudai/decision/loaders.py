"""Where policies and models come from: loader protocols and their file, memory and store forms.

The engine asks a :class:`PolicyLoader` for a policy by name (sub-policies are resolved the same
way), and a :class:`ModelLoader` for each model a policy references. :class:`PinnedModel` is a
model whose outputs a policy test case fixes, so a policy's logic can be tested without a
trained artefact.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pandas as pd

from zhudai.decision.document import ModelRef, PolicyDocument
from zhudai.decision.model_contract import ScoringModel
from zhudai.decision.source import PolicySource, parse_document, read_policy_file, read_source
from zhudai.exceptions import NotFoundError

SHIPPED_DIR = Path(__file__).with_name("policies")


class PolicyLoader(Protocol):
    """Finds a policy document by name."""

    def load(self, name: str) -> tuple[PolicySource, PolicyDocument]: ...


class FilePolicyLoader:
    """Policies as ``<directory>/<name>.yaml`` (the shipped ones by default)."""

    def __init__(self, directory: str | Path = SHIPPED_DIR) -> None:
        self.directory = Path(directory)

    def load(self, name: str) -> tuple[PolicySource, PolicyDocument]:
        path = self.directory / f"{name}.yaml"
        if not path.is_file():
            raise NotFoundError("policy", name)
        return read_policy_file(path)


class MemoryPolicyLoader:
    """Policies held as texts in a dict (tests, notebooks)."""

    def __init__(self, texts: Mapping[str, str]) -> None:
        self.texts = dict(texts)

    def load(self, name: str) -> tuple[PolicySource, PolicyDocument]:
        if name not in self.texts:
            raise NotFoundError("policy", name)
        source = read_source(self.texts[name], origin=f"memory:{name}")
        return source, parse_document(source)


def shipped_policy_files() -> list[Path]:
    """The policy files shipped with zhudai."""
    return sorted(SHIPPED_DIR.glob("*.yaml"))


class ModelLoader(Protocol):
    """Loads the model a policy's ``models:`` entry references."""

    def load(self, ref: ModelRef) -> ScoringModel: ...


class RegistryModelLoader:
    """Models from the scorecard registry: ``paths[ref.name]`` first, else ``ref.path``.

    ``paths`` lets a deployment (or the demo) say where this environment keeps each model
    without editing the policy; a relative ``ref.path`` is read under ``root``.
    """

    def __init__(
        self, paths: Mapping[str, str | Path] | None = None, root: str | Path | None = None
    ) -> None:
        self.paths = {k: Path(v) for k, v in (paths or {}).items()}
        self.root = Path(root) if root is not None else None

    def resolve(self, ref: ModelRef) -> Path:
        """Where the artefact of ``ref`` is in this environment."""
        path = self.paths.get(ref.name)
        if path is None and ref.path:
            path = Path(ref.path)
            if not path.is_absolute() and self.root is not None:
                path = self.root / path
        if path is None or not path.exists():
            raise NotFoundError(f"model {ref.name}", str(path) if path else "no path given")
        return path.resolve()

    def load(self, ref: ModelRef) -> ScoringModel:
        from zhudai.scorecard.registry import load_model

        return load_model(self.resolve(ref))


@dataclass
class PinnedModel:
    """A model with fixed outputs, for policy test cases (``models: {acard: {score: 640}}``)."""

    name: str
    features: Sequence[str] = ()
    score: float | None = None
    probability: float = 0.0
    reasons: list[tuple[str, float]] = field(default_factory=list)
    version: str = "pinned"
    kind: str = "A"

    @classmethod
    def from_case(cls, name: str, outputs: Mapping[str, Any]) -> PinnedModel:
        reasons = [(str(f), float(p)) for f, p in outputs.get("reasons", [])]
        score = outputs.get("score")
        return cls(
            name,
            (),
            None if score is None else float(score),
            float(outputs.get("pd", 0.0)),
            reasons,
        )

    def predict_pd_one(self, row: Mapping[str, Any]) -> float:
        return self.probability

    def score_one(self, row: Mapping[str, Any]) -> float | None:
        return self.score

    def reasons_one(self, row: Mapping[str, Any], k: int = 3) -> list[tuple[str, float]]:
        return self.reasons[:k]

    def predict_pd(self, frame: pd.DataFrame) -> np.ndarray:
        return np.full(len(frame), self.probability)
