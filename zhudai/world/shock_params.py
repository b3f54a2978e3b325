"""The parameters of the drift planted in the world (:mod:`zhudai.world.shocks` applies them).

Kept apart from the effects so :mod:`zhudai.world.params` can hold them without importing the
population.
"""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field, field_validator

from zhudai.world.catalog import CHANNELS, OCCUPATIONS

CHANNEL_KINDS = tuple(c[1] for c in CHANNELS)
OCCUPATION_NAMES = tuple(o[0] for o in OCCUPATIONS)


class MacroShock(BaseModel):
    """A month of economic stress for exposed occupations.

    Examples
    --------
    >>> MacroShock(month=7).occupations[:2]
    ('factory_worker', 'sales')
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    month: int = Field(ge=1, le=60, description="Month of the window hit (1 = the first).")
    bad_odds: float = Field(2.5, ge=1, le=20, description="Multiplies the odds of turning bad.")
    income_drop: float = Field(0.35, ge=0, lt=1, description="Share of income lost.")
    spending_drop: float = Field(0.4, ge=0, lt=1, description="Share of spending lost.")
    pulled_forward: float = Field(
        0.2, ge=0, le=1, description="Share of exposed later applicants who apply in the month."
    )
    occupations: tuple[str, ...] = Field(
        ("factory_worker", "sales", "self_employed", "driver", "delivery_rider", "freelancer"),
        min_length=1,
        description="Exposed occupations.",
    )

    @field_validator("occupations")
    @classmethod
    def _known(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        unknown = sorted(set(value) - set(OCCUPATION_NAMES))
        if unknown:
            raise ValueError(f"unknown occupations {unknown}; known: {list(OCCUPATION_NAMES)}")
        return value


class ChannelShift(BaseModel):
    """From ``start`` on, ``share`` of legitimate first applications come through ``channel``.

    Examples
    --------
    >>> ChannelShift(start=date(2024, 6, 1)).channel
    'social_ads'
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    start: date = Field(description="First day of the new mix.")
    channel: str = Field("social_ads", description="Channel kind that grows.")
    share: float = Field(0.3, gt=0, le=1, description="Share of applicants moved to it.")

    @field_validator("channel")
    @classmethod
    def _known(cls, value: str) -> str:
        if value not in CHANNEL_KINDS:
            raise ValueError(f"unknown channel {value!r}; known: {list(CHANNEL_KINDS)}")
        return value
