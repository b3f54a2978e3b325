"""Feature engine: declarative time-window features over weak financial data.

Definitions (YAML or the Python builder) compile into one plan that three engines execute
with identical results: :class:`BatchFeatureEngine` (polars, every application of a world),
:class:`OnlineFeatureEngine` (one applicant in memory, for the decision engine) and
:class:`SparkFeatureEngine` (PySpark).
"""

from zhudai.features.batch import BatchFeatureEngine
from zhudai.features.definitions import (
    Agg,
    AggregateFeature,
    FeatureSet,
    FieldFeature,
    RatioFeature,
    feature_set_from_dict,
    load_feature_set,
)
from zhudai.features.online import OnlineFeatureEngine
from zhudai.features.plan import Plan

__all__ = [
    "Agg",
    "AggregateFeature",
    "BatchFeatureEngine",
    "FeatureSet",
    "FieldFeature",
    "OnlineFeatureEngine",
    "Plan",
    "RatioFeature",
    "feature_set_from_dict",
    "load_feature_set",
]
