"""Real-time anti-fraud: velocity, device/IP/geo checks, lists, probing, rings, model, trends."""

from zhudai.fraud.engine import RULE_NAMES, RULES, FraudEngine, FraudThresholds, thresholds_for
from zhudai.fraud.geo import Gazetteer, IpRangeTable, IpRegion, IpRegionDatabase, TravelTracker
from zhudai.fraud.lists import FraudLists, KeyType, ListHit, ListKind
from zhudai.fraud.model import FraudModel
from zhudai.fraud.probing import ProbingDetector, ProbingThresholds
from zhudai.fraud.rings import RingScoreModel
from zhudai.fraud.signals import FraudHit, FraudResult, FraudSignals
from zhudai.fraud.velocity import (
    AddStatus,
    Agg,
    InMemoryVelocityStore,
    SkewPolicy,
    VelocityConfig,
    VelocityStore,
)
from zhudai.fraud.velocity_redis import RedisVelocityStore

__all__ = [
    "RULES",
    "RULE_NAMES",
    "AddStatus",
    "Agg",
    "FraudEngine",
    "FraudHit",
    "FraudLists",
    "FraudModel",
    "FraudResult",
    "FraudSignals",
    "FraudThresholds",
    "Gazetteer",
    "InMemoryVelocityStore",
    "IpRangeTable",
    "IpRegion",
    "IpRegionDatabase",
    "KeyType",
    "ListHit",
    "ListKind",
    "ProbingDetector",
    "ProbingThresholds",
    "RedisVelocityStore",
    "RingScoreModel",
    "SkewPolicy",
    "TravelTracker",
    "VelocityConfig",
    "VelocityStore",
    "thresholds_for",
]
