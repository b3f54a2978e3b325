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
from zhudai.features.dsl import FeatureSetBuilder
from zhudai.features.online import OnlineFeatureEngine
from zhudai.features.plan import Plan
from zhudai.features.report import Comparison, WoeLogit, feature_report, weak_vs_demographics
from zhudai.features.spark import SparkFeatureEngine

__all__ = [
    "Agg",
    "AggregateFeature",
    "BatchFeatureEngine",
    "Comparison",
    "FeatureSet",
    "FeatureSetBuilder",
    "FieldFeature",
    "OnlineFeatureEngine",
    "Plan",
    "RatioFeature",
    "SparkFeatureEngine",
    "WoeLogit",
    "feature_report",
    "feature_set_from_dict",
    "load_feature_set",
    "weak_vs_demographics",
]
