"""Versioned model artefacts on disk, and ``load_model`` for the decision engine.

An artefact is a directory::

    model.json      metadata: format_version, name, version, kind, model_type, features, bins
                    (with points), coefficients, scaling, grades, calibration, training window,
                    data hash, metrics
    booster.json    XGBoost's own JSON model          (model_type "booster", engine "xgb")
    booster.txt     LightGBM's own text model         (model_type "booster", engine "lgbm")
    mlp.npz         MLP weight arrays, no pickle      (model_type "mlp")

Reports (``report.html``, ``scorecard.xlsx``, ``scorecard.sql``) may sit next to them. Nothing
is pickled: every file is readable without zhudai and stable across library versions.
``publish`` stores artefacts under ``ROOT/<name>/v<N>/`` with increasing ``N``.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from zhudai.decision.model_contract import ScoringModel
from zhudai.exceptions import DefinitionError, InvalidTypeError, NotFoundError
from zhudai.scorecard.runtime import BoosterModel, MLPModel, ScorecardModel

META_FILE = "model.json"
SUPPORTED_FORMATS = (1,)


def data_hash(frame: pd.DataFrame) -> str:
    """SHA-256 of a frame's column names and row values (identifies the training data)."""
    h = hashlib.sha256()
    h.update("\x1f".join(map(str, frame.columns)).encode())
    h.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    return h.hexdigest()


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, datetime | pd.Timestamp):
        return value.isoformat()
    raise InvalidTypeError("model.json", f"cannot store a {type(value).__name__}")


def save_model(
    path: str | Path,
    meta: Mapping[str, Any],
    *,
    booster: Any = None,
    mlp_weights: tuple[list[np.ndarray], list[np.ndarray]] | None = None,
) -> Path:
    """Write an artefact directory: ``model.json`` plus the booster or MLP weights if any."""
    out = Path(path)
    out.mkdir(parents=True, exist_ok=True)
    meta = {"created_at": datetime.now(UTC).isoformat(timespec="seconds"), **meta}
    if booster is not None:
        if meta.get("engine") == "xgb":
            booster.save_model(str(out / "booster.json"))
        else:
            booster.save_model(str(out / "booster.txt"))
    if mlp_weights is not None:
        weights, biases = mlp_weights
        arrays = {f"w{i}": w for i, w in enumerate(weights)} | {
            f"b{i}": b for i, b in enumerate(biases)
        }
        np.savez(out / "mlp.npz", **arrays)  # type: ignore[arg-type]
    (out / META_FILE).write_text(json.dumps(meta, indent=1, default=_json_default, allow_nan=False))
    return out


def _versions(base: Path) -> dict[int, Path]:
    if not base.is_dir():
        return {}
    found = (re.fullmatch(r"v(\d+)", p.name) for p in base.iterdir() if p.is_dir())
    return {int(m.group(1)): base / m.group(0) for m in found if m}


def load_model(path: str | Path) -> ScoringModel:
    """Load an artefact directory into a model satisfying :class:`ScoringModel`.

    ``path`` is an artefact directory, or a ``publish`` folder ``ROOT/<name>`` whose highest
    ``v<N>`` is loaded.
    """
    root = Path(path)
    if not (root / META_FILE).is_file() and (versions := _versions(root)):
        root = versions[max(versions)]
    meta_path = root / META_FILE
    if not meta_path.is_file():
        raise NotFoundError("model", str(root))
    meta = json.loads(meta_path.read_text())
    if meta.get("format_version") not in SUPPORTED_FORMATS:
        raise DefinitionError(
            str(root), f"unsupported format_version {meta.get('format_version')!r}"
        )
    kind = meta.get("model_type")
    if kind == "scorecard":
        return ScorecardModel(meta)
    if kind == "booster":
        if meta["engine"] == "xgb":
            import xgboost as xgb

            booster: Any = xgb.Booster(model_file=str(root / "booster.json"))
        else:
            import lightgbm as lgb

            booster = lgb.Booster(model_file=str(root / "booster.txt"))
        return BoosterModel(meta, booster)
    if kind == "mlp":
        with np.load(root / "mlp.npz", allow_pickle=False) as z:
            n = len([k for k in z.files if k.startswith("w")])
            weights = [z[f"w{i}"] for i in range(n)]
            biases = [z[f"b{i}"] for i in range(n)]
        return MLPModel(meta, weights, biases)
    raise DefinitionError(str(root), f"unknown model_type {kind!r}")


def publish(root: str | Path, name: str, meta: Mapping[str, Any], **files: Any) -> Path:
    """Save under ``root/name/v<N>`` with the next free ``N``; ``version`` is set to ``N``."""
    base = Path(root) / name
    base.mkdir(parents=True, exist_ok=True)
    n = max(_versions(base), default=0) + 1
    return save_model(base / f"v{n}", {**meta, "name": name, "version": str(n)}, **files)
