"""``/v1/decisions/{decision_id}/replay``: re-run a stored decision under the version then in
force and report every difference."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Path
from pydantic import BaseModel

from zhudai.api.deps import Caller, Svc, require
from zhudai.api.errors import ERROR_RESPONSES
from zhudai.decision.replay import replay
from zhudai.exceptions import NotFoundError
from zhudai.store.models import ApiRole

router = APIRouter(prefix="/v1/decisions", tags=["decisions"], responses=ERROR_RESPONSES)


class ReplayDifference(BaseModel):
    field: str
    stored: Any = None
    replayed: Any = None


class ReplayPublic(BaseModel):
    decision_id: str
    reproduced: bool
    differences: list[ReplayDifference]
    model_changes: list[str]


@router.post("/{decision_id}/replay", response_model=ReplayPublic)
def replay_one(
    caller: Caller, svc: Svc, decision_id: str = Path(min_length=1, max_length=36)
) -> ReplayPublic:
    """Whether the stored decision reproduces field for field under its own policy version."""
    require(caller, ApiRole.ANALYST)
    report = replay(svc.origination.decisions.store, decision_ids=[decision_id])
    if report.replayed == 0:
        raise NotFoundError("decision_id", decision_id)
    return ReplayPublic(
        decision_id=decision_id,
        reproduced=report.exact,
        differences=[
            ReplayDifference(field=d.field, stored=d.stored, replayed=d.replayed)
            for d in report.diffs
        ],
        model_changes=report.model_mismatches,
    )
