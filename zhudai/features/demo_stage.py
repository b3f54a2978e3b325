"""Demo stage ``features``: batch features for every application of the demo world.

Reads ``ctx.artifacts["world_dir"]`` and the loan book's labels (``book_labels``); writes ``ctx.out_dir / "features" /
"application_features.parquet"`` (``application_id, customer_id, applied_at`` then one column
per feature) and the feature report next to it. Leaves in ``ctx.artifacts``:

- ``features_path`` (Path): the Parquet file;
- ``feature_set`` (:class:`~zhudai.features.FeatureSet`): the loaded definitions, so a later
  stage computes online features with :class:`~zhudai.features.OnlineFeatureEngine` from the
  very same definitions;
- ``feature_comparison`` (:class:`~zhudai.features.report.Comparison`): weak data vs
  demographics AUCs.
"""

from __future__ import annotations

import time
from typing import Any

import polars as pl

from zhudai.exceptions import ConfigurationError
from zhudai.features.batch import BatchFeatureEngine
from zhudai.features.definitions import load_feature_set
from zhudai.features.report import feature_report, weak_vs_demographics, write_report


def run_stage(ctx: Any) -> list[str]:
    """Compute, save and summarise the default feature set on the world of an earlier stage."""
    world_dir = ctx.artifacts.get("world_dir")
    if world_dir is None:
        raise ConfigurationError(
            "features stage: ctx.artifacts['world_dir'] is missing (run the world stage first)"
        )
    feature_set = load_feature_set()
    started = time.perf_counter()
    frame = BatchFeatureEngine(feature_set).compute_world(world_dir)
    seconds = time.perf_counter() - started
    out_dir = ctx.out_dir / "features"
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "application_features.parquet"
    frame.write_parquet(path)
    ctx.artifacts["features_path"] = path
    ctx.artifacts["feature_set"] = feature_set
    lines = [
        f"{len(feature_set.names)} features x {frame.height:,} applications in {seconds:.1f}s -> {path}",
        "groups: " + ", ".join(f"{g} {len(n)}" for g, n in feature_set.groups().items()),
    ]
    # the credit labels come from the platform's loan book (the ``book`` stage)
    book_labels = ctx.artifacts.get("book_labels")
    if book_labels is None:
        raise ConfigurationError("features stage: run the book stage first (it gives the labels)")
    labels = pl.from_pandas(book_labels)
    comparison = weak_vs_demographics(frame, labels, feature_set)
    ctx.artifacts["feature_comparison"] = comparison
    report = feature_report(frame, labels, feature_set)
    csv_path, _ = write_report(report, comparison, out_dir)
    top = ", ".join(f"{r['feature']} ({r['iv']:.2f})" for r in report.head(3).iter_rows(named=True))
    lines += [comparison.line(), f"top IV: {top}; report: {csv_path}"]
    return lines
