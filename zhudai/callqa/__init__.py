"""Call quality inspection (质检): every collection call checked for abuse, threats, false legal
threats, impersonation, disclosure to third parties, contact-book threats and off-hours calls."""

from __future__ import annotations

from zhudai.callqa.call import Call
from zhudai.callqa.flags import Flag, FlagType, Severity
from zhudai.callqa.inspector import Inspection, Inspector
from zhudai.callqa.lexicon import Category, Hit, Lexicon
from zhudai.callqa.model import ParaphraseModel

__all__ = [
    "Call",
    "Category",
    "Flag",
    "FlagType",
    "Hit",
    "Inspection",
    "Inspector",
    "Lexicon",
    "ParaphraseModel",
    "Severity",
]
