"""Input schemas at the store's edge: what a partner or the CLI hands in, validated.

Plaintext personal data exists only in these objects, in memory; services encrypt and tokenise
it before anything is written.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from zhudai.privacy import validate_bank_card, validate_id_number, validate_phone

IdNumber = Annotated[str, AfterValidator(validate_id_number)]
Phone = Annotated[str, AfterValidator(validate_phone)]
BankCard = Annotated[str, AfterValidator(validate_bank_card)]


class CustomerCreate(BaseModel):
    """A person applying for credit."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    id_number: IdNumber
    phone: Phone
    bank_card: BankCard | None = None
    name: str | None = Field(default=None, min_length=1, max_length=40)
    gender: str | None = Field(default=None, pattern="^[MF]$")
    province: str | None = None
    city: str | None = None
    occupation: str | None = None
    income_declared: float | None = Field(default=None, ge=0)
    employer_id: int | None = None
    address_id: int | None = None

    def __repr__(self) -> str:  # never print plaintext personal data
        return f"CustomerCreate(id_number=<masked>, phone=<masked>, city={self.city!r})"

    __str__ = __repr__


class ApplicationCreate(BaseModel):
    """One credit application with its device context and bureau facts."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    customer: CustomerCreate
    applied_at: datetime
    product_code: str = Field(min_length=1)
    channel_id: int | None = None
    amount_requested: float = Field(gt=0)
    term_months: int = Field(gt=0, le=60)
    device_id: str | None = None
    device_model: str | None = None
    is_emulator: bool = False
    is_rooted: bool = False
    ip: str | None = None
    gps_lat: float | None = Field(default=None, ge=-90, le=90)
    gps_lon: float | None = Field(default=None, ge=-180, le=180)
    declared_city: str | None = None
    sim_age_days: int | None = Field(default=None, ge=0)
    multi_lending_30d: int = Field(default=0, ge=0)
    multi_lending_90d: int = Field(default=0, ge=0)
    multi_lending_180d: int = Field(default=0, ge=0)
    past_overdue_count: int = Field(default=0, ge=0)
    max_past_dpd: int = Field(default=0, ge=0)
    open_loans: int = Field(default=0, ge=0)
    total_open_balance: float = Field(default=0, ge=0)
    inquiries_30d: int = Field(default=0, ge=0)
