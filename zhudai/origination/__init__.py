"""The live origination pipeline: one application in (the contract), one decision out, then
the funder's own decision. The CLI, the HTTP API and the demo all decide through
:class:`OriginationService`; ``docs/origination.md`` describes the stages and guarantees.
"""

from zhudai.origination.backfill import backfill
from zhudai.origination.contract import ApplicationRequest, DecisionAnswer, ErrorAnswer
from zhudai.origination.factory import build_service
from zhudai.origination.lookup import stored_application
from zhudai.origination.pipeline import OriginationService
from zhudai.origination.prescreen_report import PrescreenReport, prescreen_report

__all__ = [
    "ApplicationRequest",
    "DecisionAnswer",
    "ErrorAnswer",
    "OriginationService",
    "PrescreenReport",
    "backfill",
    "build_service",
    "prescreen_report",
    "stored_application",
]
