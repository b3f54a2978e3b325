"""How well the world's fraud hides: a share and a difficulty for each hidden fraud type.

The visible fraud of the base world (emulators, new SIMs, shared spots) is easy to see; real
portfolios also hold fraud that looks clean. :class:`HiddenFraud` declares, once, the share of
customers of each hidden type (:mod:`zhudai.world.hidden` draws them) and how hard each one
hides (``difficulty``, 0 = its tells always show, 1 = they rarely do). ``--difficulty``
names one of three presets: ``easy`` (no hidden fraud: the base world, byte for byte),
``realistic`` and ``hard``.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, model_validator

from zhudai.exceptions import InvalidInputError

MAX_HIDDEN_SHARE = 0.3


class Difficulty(StrEnum):
    """The presets of ``zhudai world generate --difficulty`` and ``zhudai fraud evaluate``."""

    EASY = "easy"
    REALISTIC = "realistic"
    HARD = "hard"


def parse_difficulty(value: str) -> Difficulty:
    """``value`` as a :class:`Difficulty`, or a clear error naming ``--difficulty``."""
    try:
        return Difficulty(value)
    except ValueError:
        choices = ", ".join(d.value for d in Difficulty)
        raise InvalidInputError(
            "--difficulty", f"must be one of {choices}; got {value!r}"
        ) from None


class HiddenType(BaseModel):
    """One hidden fraud type: the share of all customers it takes, and how well it hides."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    share: float = Field(0.0, ge=0, le=0.1, description="Share of all customers of this type.")
    difficulty: float = Field(
        0.5, ge=0, le=1, description="0: the type's tells always show; 1: they rarely do."
    )


class HiddenFraud(BaseModel):
    """Every hidden fraud type of the world (all absent by default: the ``easy`` world).

    Examples
    --------
    >>> HiddenFraud().total_share()
    0.0
    >>> HiddenFraud.preset("realistic").hidden_ring.share > 0
    True
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    hidden_ring: HiddenType = Field(
        default_factory=HiddenType, description="Rings on clean, aged devices and aged SIMs."
    )
    slow_ring: HiddenType = Field(
        default_factory=HiddenType, description="Rings whose members apply over weeks."
    )
    mimicry: HiddenType = Field(
        default_factory=HiddenType,
        description="Fraudsters with genuine-looking orders and card use built before applying.",
    )
    bought_identity: HiddenType = Field(
        default_factory=HiddenType,
        description="Real people's identities, each with its own clean history, used by a buyer.",
    )
    identity_theft: HiddenType = Field(
        default_factory=HiddenType, description="Identity theft that passes device checks."
    )
    device_resale: HiddenType = Field(
        default_factory=HiddenType,
        description="Honest second owners of a former farm device (good applicants).",
    )
    coached: HiddenType = Field(
        default_factory=HiddenType,
        description="Applicants coached by an offline agent: tuned declarations, the agent's shop.",
    )
    probing: HiddenType = Field(
        default_factory=HiddenType,
        description="Probing from clean devices, slower, with tweaked re-declarations.",
    )

    @model_validator(mode="after")
    def _total_share(self) -> HiddenFraud:
        if self.total_share() > MAX_HIDDEN_SHARE:
            raise ValueError(
                f"hidden fraud shares must add up to at most {MAX_HIDDEN_SHARE};"
                f" got {self.total_share():g}"
            )
        return self

    def total_share(self) -> float:
        """Sum of the shares of every hidden type."""
        return float(sum(getattr(self, name).share for name in HIDDEN_TYPE_FIELDS))

    @classmethod
    def preset(cls, level: Difficulty | str) -> HiddenFraud:
        """The hidden fraud of a named difficulty (``easy``, ``realistic``, ``hard``)."""
        shares, difficulty = _PRESETS[Difficulty(level)]
        return cls(
            **{name: HiddenType(share=s, difficulty=difficulty) for name, s in shares.items()}
        )


HIDDEN_TYPE_FIELDS: tuple[str, ...] = tuple(HiddenFraud.model_fields)

# (share of customers per type, difficulty of every type)
_PRESETS: dict[Difficulty, tuple[dict[str, float], float]] = {
    Difficulty.EASY: ({}, 0.5),
    Difficulty.REALISTIC: (
        {
            "hidden_ring": 0.012,
            "slow_ring": 0.008,
            "mimicry": 0.004,
            "bought_identity": 0.005,
            "identity_theft": 0.003,
            "device_resale": 0.004,
            "coached": 0.006,
            "probing": 0.004,
        },
        0.6,
    ),
    Difficulty.HARD: (
        {
            "hidden_ring": 0.018,
            "slow_ring": 0.012,
            "mimicry": 0.006,
            "bought_identity": 0.008,
            "identity_theft": 0.005,
            "device_resale": 0.006,
            "coached": 0.009,
            "probing": 0.006,
        },
        0.85,
    ),
}
