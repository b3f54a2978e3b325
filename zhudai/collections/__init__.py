"""Collections (贷后): the compliance guard that judges every action before it happens."""

from zhudai.collections.actions import VOICE_KINDS, ActionKind, Party, ProposedAction
from zhudai.collections.counts import CountKey, DayCounts, InMemoryDayCounts, Tally
from zhudai.collections.guard import ComplianceGuard, GuardDecision
from zhudai.collections.records import ActionLog, ActionRecord, InMemoryActionLog
from zhudai.collections.rules import GuardRules, HoursWindow, RuleId, load_rules

__all__ = [
    "VOICE_KINDS",
    "ActionKind",
    "ActionLog",
    "ActionRecord",
    "ComplianceGuard",
    "CountKey",
    "DayCounts",
    "GuardDecision",
    "GuardRules",
    "HoursWindow",
    "InMemoryActionLog",
    "InMemoryDayCounts",
    "Party",
    "ProposedAction",
    "RuleId",
    "Tally",
    "load_rules",
]
