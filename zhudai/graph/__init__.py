"""Relationship graph: applications linked by shared devices, IPs, phones, contacts, cards,
IDs, addresses and employers; components, communities, exposure and fraud-ring scores, built
in batch and kept live one application at a time."""

from zhudai.graph.attributes import AttributeType, record_attachments
from zhudai.graph.batch import RelationGraph
from zhudai.graph.config import GraphConfig
from zhudai.graph.index import GraphIndex
from zhudai.graph.live import LiveRingScorer, RingAssessment, ring_scorer
from zhudai.graph.rings import RingScorer
from zhudai.graph.tables import APPLICANT_FEATURES, GraphTables

__all__ = [
    "APPLICANT_FEATURES",
    "AttributeType",
    "GraphConfig",
    "GraphIndex",
    "GraphTables",
    "LiveRingScorer",
    "RelationGraph",
    "RingAssessment",
    "RingScorer",
    "record_attachments",
    "ring_scorer",
]
