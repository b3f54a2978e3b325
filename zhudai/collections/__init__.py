"""Collections (贷后): the compliance guard that judges every action before it happens, its
records, the collection cases with their states and history, the C-card and 分案.

The store-backed classes (``CaseBook``, ``StoreActionLog``) and ``RedisDayCounts`` are loaded
on first use: the store's models import this package's case states.
"""

from __future__ import annotations

import importlib
from typing import Any

from zhudai.collections.actions import VOICE_KINDS, ActionKind, Party, ProposedAction
from zhudai.collections.cases import TRANSITIONS, CaseState, CollectionCase
from zhudai.collections.counts import CountKey, DayCounts, InMemoryDayCounts, Tally
from zhudai.collections.guard import ComplianceGuard, GuardDecision
from zhudai.collections.records import ActionLog, ActionRecord, InMemoryActionLog
from zhudai.collections.rules import GuardRules, HoursWindow, RuleId, load_rules

_LAZY = {
    "AllocationConfig": "zhudai.collections.allocation",
    "Assignment": "zhudai.collections.allocation",
    "CaseToAllocate": "zhudai.collections.allocation",
    "allocate": "zhudai.collections.allocation",
    "load_allocation": "zhudai.collections.allocation",
    "process_allocation": "zhudai.collections.allocation_job",
    "train_ccard": "zhudai.collections.ccard",
    "score_overdue": "zhudai.collections.ccard",
    "CaseBook": "zhudai.collections.case_book",
    "StoreActionLog": "zhudai.collections.record_store",
    "RedisDayCounts": "zhudai.collections.counts_redis",
}


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'zhudai.collections' has no attribute {name!r}")
    return getattr(importlib.import_module(_LAZY[name]), name)


__all__ = [
    "TRANSITIONS",
    "AllocationConfig",
    "Assignment",
    "CaseToAllocate",
    "VOICE_KINDS",
    "ActionKind",
    "ActionLog",
    "ActionRecord",
    "CaseBook",
    "CaseState",
    "CollectionCase",
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
    "RedisDayCounts",
    "RuleId",
    "StoreActionLog",
    "Tally",
    "allocate",
    "load_allocation",
    "load_rules",
    "process_allocation",
    "score_overdue",
    "train_ccard",
]
