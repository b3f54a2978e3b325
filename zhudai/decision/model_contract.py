"""What the decision engine needs from a registered model, and nothing more.

``zhudai.scorecard.registry.load_model(path)`` returns objects that satisfy
:class:`ScoringModel`; the decision engine depends only on this protocol, so a policy can use an
LR scorecard, a gradient-boosted model or an MLP the same way.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol, runtime_checkable

import numpy as np
import pandas as pd


@runtime_checkable
class ScoringModel(Protocol):
    """A versioned, loaded model artefact."""

    name: str
    version: str
    kind: str  # "A" (application), "B" (behaviour) or "C" (collection)
    features: Sequence[str]

    def predict_pd_one(self, row: Mapping[str, Any]) -> float:
        """Probability of bad for one applicant's feature values (missing keys are missing)."""
        ...

    def score_one(self, row: Mapping[str, Any]) -> float | None:
        """Points for a scorecard (higher = safer); ``None`` for models without points."""
        ...

    def reasons_one(self, row: Mapping[str, Any], k: int = 3) -> list[tuple[str, float]]:
        """Top ``k`` adverse reasons: (feature, points or contribution lost), worst first."""
        ...

    def predict_pd(self, frame: pd.DataFrame) -> np.ndarray:
        """Vectorised probability of bad for every row of ``frame``."""
        ...
