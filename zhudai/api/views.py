"""What each role sees of a stored application (personal data masked unless the role needs it).

- a channel: its answer and the application as it sent it, masked; not the rule trace (it
  would teach a fraud ring which inputs pass);
- a funder (the application was routed to it): the same, plus the funder state, with the
  applicant's identity in clear for the bank's own checks;
- an analyst or admin: everything, masked, with provider answers and the decision trace.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from zhudai.api.errors import ApiError
from zhudai.api.keys import Principal
from zhudai.origination.contract import DecisionAnswer
from zhudai.store.models import ApiRole

#: Roles that read every application.
READ_ALL = (ApiRole.ANALYST, ApiRole.ADMIN)


class ApplicationView(BaseModel):
    """``GET /v1/applications/{id}``: the parts of the stored record the caller may see."""

    application_id: str
    channel: str
    answer: DecisionAnswer
    application: dict[str, Any]
    funder: dict[str, Any] | None = None
    providers: list[dict[str, Any]] | None = None
    decision: dict[str, Any] | None = None


def check_can_read(caller: Principal, record: dict[str, Any]) -> None:
    """404 (not 403: the id's existence is not disclosed) unless the caller may read it."""
    if caller.role in READ_ALL:
        return
    if caller.role is ApiRole.CHANNEL and record["channel"] == caller.tenant:
        return
    if caller.role is ApiRole.FUNDER and record["funder"]["code"] == caller.tenant:
        return
    raise ApiError(404, "application_id", f"no such application_id: {record['application_id']!r}")


def reveals_personal(caller: Principal) -> bool:
    return caller.role is ApiRole.FUNDER


def application_view(caller: Principal, record: dict[str, Any]) -> ApplicationView:
    view = ApplicationView(
        application_id=record["application_id"],
        channel=record["channel"],
        answer=DecisionAnswer.model_validate(record["answer"]),
        application=record["application"],
    )
    if caller.role is not ApiRole.CHANNEL:
        view.funder = record["funder"]
    if caller.role in READ_ALL:
        view.providers = record["providers"]
        view.decision = record["decision"]
    return view
