"""Scorecards and credit models: binning, WOE/IV, selection, LR cards in points, boosters,
MLP, calibration, evaluation, reports, SQL export, a versioned model registry and reject
inference (parcelling, fuzzy augmentation, reweighting).

WOE sign convention: ``WOE = ln(good share / bad share)`` (higher is safer).
"""

from zhudai.scorecard.binning import Binner, VariableBins
from zhudai.scorecard.calibration import Calibrator
from zhudai.scorecard.points import RiskGrades, Scaling
from zhudai.scorecard.registry import load_model, publish, save_model
from zhudai.scorecard.reject_inference import FuzzyAugmentation, Parcelling, Reweighting
from zhudai.scorecard.runtime import BoosterModel, MLPModel, ScorecardModel
from zhudai.scorecard.scorecard import Scorecard
from zhudai.scorecard.selection import FeatureSelector

__all__ = [
    "Binner",
    "BoosterModel",
    "Calibrator",
    "FeatureSelector",
    "FuzzyAugmentation",
    "MLPModel",
    "Parcelling",
    "Reweighting",
    "RiskGrades",
    "Scaling",
    "Scorecard",
    "ScorecardModel",
    "VariableBins",
    "load_model",
    "publish",
    "save_model",
]
