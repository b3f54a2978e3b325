"""The origination contract: the application a partner sends and the answer it gets.

One module, shared by the CLI (``zhudai application decide``), the partner HTTP API and the
demo's client. Personal data (ID number, name, phone, bank card, contacts' phones) exists in
plaintext only inside :class:`ApplicationRequest`; the pipeline validates it here and tokenises
it right after, so no later stage sees it. Unknown extra fields are kept (a partner's own
fields) and stored encrypted with the application.
"""

from __future__ import annotations

import ipaddress
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

from zhudai.privacy import validate_bank_card, validate_id_number, validate_phone
from zhudai.times import require_aware

IdNumber = Annotated[str, AfterValidator(validate_id_number)]
Phone = Annotated[str, AfterValidator(validate_phone)]
BankCard = Annotated[str, AfterValidator(validate_bank_card)]
Code = Annotated[str, Field(min_length=1, max_length=40, pattern=r"^[a-z0-9_]+$")]

#: At most this many reasons in an answer, the principal adverse reasons first.
MAX_REASONS = 4


class _Part(BaseModel):
    """A part of the application: unknown fields are kept, text is stripped."""

    model_config = ConfigDict(extra="allow", str_strip_whitespace=True)

    def extras(self) -> dict[str, Any]:
        """The fields the contract does not know, as sent."""
        return dict(self.__pydantic_extra__ or {})


class Applicant(_Part):
    """The person applying; every personal field is validated before it is tokenised."""

    id_number: IdNumber
    name: str = Field(min_length=1, max_length=40)
    phone: Phone
    bank_card: BankCard | None = None
    city: str | None = Field(default=None, max_length=40)
    occupation: str | None = Field(default=None, max_length=40)
    employer: str | None = Field(default=None, max_length=120)
    monthly_income: float | None = Field(default=None, ge=0)

    def __repr__(self) -> str:  # never print plaintext personal data
        return f"Applicant(id_number=<masked>, phone=<masked>, city={self.city!r})"

    __str__ = __repr__


class Device(_Part):
    device_id: str = Field(min_length=1, max_length=64)
    model: str | None = Field(default=None, max_length=64)
    os: str | None = Field(default=None, max_length=40)
    is_emulator: bool = False
    is_rooted: bool = False


class Gps(_Part):
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)


class ContactPerson(_Part):
    name: str | None = Field(default=None, max_length=40)
    phone: Phone
    relation: str = Field(min_length=1, max_length=20)

    def __repr__(self) -> str:
        return f"ContactPerson(phone=<masked>, relation={self.relation!r})"

    __str__ = __repr__


class ApplicationRequest(_Part):
    """One application as a partner sends it (JSON: see ``docs/origination.md``)."""

    application_id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:\-]+$")
    applied_at: datetime
    channel: Code
    product: Code
    amount: float = Field(gt=0, allow_inf_nan=False)
    term_months: int = Field(gt=0, le=120)
    applicant: Applicant
    device: Device
    ip: str | None = None
    gps: Gps | None = None
    contacts: list[ContactPerson] = Field(default_factory=list, max_length=50)

    @field_validator("applied_at")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        return require_aware(value, "applied_at")

    @field_validator("ip")
    @classmethod
    def _ip(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            return str(ipaddress.ip_address(value))
        except ValueError:
            raise ValueError(f"not an IPv4 or IPv6 address: {value!r}") from None

    def all_extras(self) -> dict[str, Any]:
        """Every unknown field, by part (``""`` for the top level)."""
        parts: dict[str, Any] = {"": self.extras(), "applicant": self.applicant.extras()}
        parts["device"] = self.device.extras()
        if self.gps is not None:
            parts["gps"] = self.gps.extras()
        parts["contacts"] = [c.extras() for c in self.contacts]
        return {k: v for k, v in parts.items() if v and (k != "contacts" or any(v))}

    def __repr__(self) -> str:
        return (
            f"ApplicationRequest(application_id={self.application_id!r}, product={self.product!r})"
        )

    __str__ = __repr__


class Reason(BaseModel):
    code: str
    text: str


class FraudHitAnswer(BaseModel):
    rule: str
    severity: Literal["block", "review", "info"]
    reason: str


class FraudAnswer(BaseModel):
    score: float | None = Field(default=None, ge=0, le=1)
    hits: list[FraudHitAnswer] = Field(default_factory=list)


class DecisionAnswer(BaseModel):
    """What the partner gets back; ``funder`` is the recommended funder, which decides last."""

    application_id: str
    decision_id: str
    decision: Literal["approve", "reject", "review"]
    credit_limit: float | None = None
    apr: float | None = None
    term_months: int | None = None
    funder: str | None = None
    reasons: list[Reason] = Field(default_factory=list, max_length=MAX_REASONS)
    fraud: FraudAnswer = Field(default_factory=FraudAnswer)
    policy_version: str | None = None
    latency_ms: float = 0.0


class ErrorDetail(BaseModel):
    field: str
    message: str


class ErrorAnswer(BaseModel):
    """The answer to a line that is not a valid application: nothing was stored for it."""

    application_id: str | None = None
    error: ErrorDetail
