"""What an inspection finds: a flag of one type and severity on a span of the transcript."""

from __future__ import annotations

from enum import IntEnum, StrEnum

from pydantic import BaseModel, ConfigDict


class FlagType(StrEnum):
    """The contract's violation types (``zhudai callqa inspect`` prints these names)."""

    ABUSE = "abuse"
    THREAT = "threat"
    FALSE_LEGAL_THREAT = "false_legal_threat"
    IMPERSONATION = "impersonation"
    THIRD_PARTY_DISCLOSURE = "third_party_disclosure"
    CONTACT_BOOK_THREAT = "contact_book_threat"
    OFF_HOURS = "off_hours"
    #: Only when the guard's decision on the call is given (the contract's lines carry no counts).
    OVER_LIMIT = "over_limit"


#: The types judged from the call's time or counts rather than from its words.
TIME_TYPES = frozenset({FlagType.OFF_HOURS, FlagType.OVER_LIMIT})


class Severity(IntEnum):
    """How urgently a reviewer must look; the queue serves the highest first."""

    LOW = 1
    MEDIUM = 2
    HIGH = 3
    CRITICAL = 4

    @property
    def label(self) -> str:
        return self.name.lower()


class Flag(BaseModel):
    """One finding: ``text[start:end]`` is the evidence; ``rule`` names the lexicon category,
    the time rule or the model that raised it, ``explanation`` says why."""

    model_config = ConfigDict(frozen=True)

    type: FlagType
    severity: Severity
    start: int
    end: int
    evidence: str
    rule: str
    confidence: float
    explanation: str

    def contract(self) -> dict[str, object]:
        """The flag as ``zhudai callqa inspect`` prints it."""
        return {
            "type": self.type.value,
            "severity": self.severity.label,
            "start": self.start,
            "end": self.end,
            "evidence": self.evidence,
        }
