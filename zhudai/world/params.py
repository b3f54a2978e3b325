"""The parameters of the synthetic world that a user may change.

Every knob is declared once here, with its bounds, so the CLI, the demo and the tests share
one validated definition (pydantic refuses a bad value with the field's name).
"""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from zhudai.world.difficulty import Difficulty, HiddenFraud
from zhudai.world.shock_params import ChannelShift, MacroShock


class WorldParams(BaseModel):
    """User-changeable parameters of :func:`zhudai.world.generate_world`.

    Shares are fractions of all customers unless stated otherwise.

    Examples
    --------
    >>> WorldParams(violation_share=0.2).violation_share
    0.2
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    start: date = Field(date(2024, 1, 1), description="First day of the application window.")
    application_months: int = Field(
        12, ge=1, le=60, description="Length of the window in which applications arrive."
    )
    outcome_months: int = Field(
        9, ge=1, le=60, description="Months observed after the window (the observation date)."
    )
    ring_share: float = Field(0.02, ge=0, le=0.3, description="Customers in organised rings.")
    ring_size_mean: float = Field(8.0, ge=3, le=50, description="Mean members per ring.")
    probing_share: float = Field(
        0.01, ge=0, le=0.3, description="Customers that are identities cycled by probing devices."
    )
    probing_ids_per_device: float = Field(
        12.0, ge=2, le=200, description="Mean identities one probing operation cycles."
    )
    identity_theft_share: float = Field(
        0.005, ge=0, le=0.2, description="Customers whose identity is used by a thief."
    )
    household_share: float = Field(
        0.12, ge=0, le=0.8, description="Legitimate customers living with another customer."
    )
    violation_share: float = Field(
        0.10, ge=0, le=1, description="Share of collection-call transcripts with a violation."
    )
    varied_transcripts: bool = Field(
        False,
        description="Call transcripts in many phrasings, with innocent look-alikes and ASR typos"
        " (zhudai.world.transcripts_varied); plain templates otherwise.",
    )
    orders_per_year: float = Field(
        24.0, gt=0, le=500, description="Mean e-commerce orders per customer per year."
    )
    card_txns_per_year: float = Field(
        36.0, gt=0, le=500, description="Mean card transactions per customer per year."
    )
    contacts_mean: float = Field(4.0, ge=1, le=30, description="Mean contacts per customer.")
    default_rate_scale: float = Field(
        1.0, gt=0, le=10, description="Multiplies the odds of every loan turning bad."
    )
    approval_rate: float = Field(
        0.65, gt=0.05, lt=1, description="Share of applications the historical policy approved."
    )
    retry_share: float = Field(
        0.25, ge=0, le=1, description="Rejected legitimate applicants who apply again."
    )
    hidden: HiddenFraud = Field(
        default_factory=HiddenFraud,
        description="Fraud that hides (zhudai.world.hidden); none by default (easy).",
    )
    macro_shock: MacroShock | None = Field(
        None, description="A month of economic stress (zhudai.world.shocks); off by default."
    )
    channel_shift: ChannelShift | None = Field(
        None, description="A channel-mix shift from a date (zhudai.world.shocks); off by default."
    )

    @classmethod
    def at_difficulty(cls, level: Difficulty | str, **changes: object) -> WorldParams:
        """The parameters with the hidden fraud of a named difficulty; above ``easy``, the
        call transcripts are varied too.

        Examples
        --------
        >>> WorldParams.at_difficulty("easy") == WorldParams()
        True
        """
        preset = {
            "hidden": HiddenFraud.preset(level),
            "varied_transcripts": Difficulty(level) is not Difficulty.EASY,
        }
        return cls(**(preset | changes))  # type: ignore[arg-type]
