"""Settings of each external data provider: price, deadline, retries, cache, and for the
simulated providers their latency and failure rate.

Each provider has its own defaults (a bureau pull is slow and dear, an IP lookup fast and
free); a YAML file or dict overrides only what it names, so ``{"bureau": {"retries": 2}}``
keeps the bureau's price and deadline. The defaults are placeholders to replace with the
terms of the signed vendor contracts; simulation defaults to instant, reliable providers.

Examples
--------
>>> cfg = load_providers_config({"bureau": {"retries": 2}})
>>> cfg.bureau.retries, cfg.bureau.timeout_ms, cfg.ip_geo.cost_per_call
(2, 3000.0, 0.0)
>>> load_providers_config({"bureau": {"timeout_ms": 0}})
Traceback (most recent call last):
...
zhudai.exceptions.InvalidInputError: bureau.timeout_ms: Input should be greater than 0
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

from zhudai.exceptions import InvalidInputError
from zhudai.parsing import parse_input

DAY_S = 86_400.0


class ProviderSettings(BaseModel):
    """How one provider is called (and, when simulated, how it behaves).

    Attributes
    ----------
    cost_per_call : float
        CNY billed per attempt that reaches the provider.
    timeout_ms : float
        Deadline of a whole call, retries included.
    retries : int
        Further attempts after an exception, within the deadline.
    cache_ttl_s : float
        Seconds of ``as_of`` time a DATA / NO_RECORD answer is reused; 0 = no cache.
    latency_ms : float
        Simulated providers only: mean latency (0 = instant, called inline).
    failure_rate : float
        Simulated providers only: share of attempts that raise, in [0, 1].
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    cost_per_call: float = Field(default=0.0, ge=0, allow_inf_nan=False)
    timeout_ms: float = Field(default=1000.0, gt=0, allow_inf_nan=False)
    retries: int = Field(default=0, ge=0, le=10)
    cache_ttl_s: float = Field(default=0.0, ge=0, allow_inf_nan=False)
    latency_ms: float = Field(default=0.0, ge=0, allow_inf_nan=False)
    failure_rate: float = Field(default=0.0, ge=0, le=1)


#: Per-provider defaults; a config overrides them field by field.
PROVIDER_DEFAULTS: dict[str, dict[str, Any]] = {
    # a credit report pull: seconds in reality, priced per query, reused for a week
    "bureau": {"cost_per_call": 2.0, "timeout_ms": 3000.0, "retries": 1, "cache_ttl_s": 7 * DAY_S},
    # multi-lending counts move daily: reuse within a day only
    "multi_lending": {
        "cost_per_call": 0.8,
        "timeout_ms": 1500.0,
        "retries": 1,
        "cache_ttl_s": DAY_S,
    },
    "ecommerce": {"cost_per_call": 0.5, "timeout_ms": 1500.0, "retries": 0, "cache_ttl_s": DAY_S},
    "card": {"cost_per_call": 0.5, "timeout_ms": 1500.0, "retries": 0, "cache_ttl_s": DAY_S},
    # 运营商 checks: cheap, quick, SIM age changes daily
    "telecom": {"cost_per_call": 0.3, "timeout_ms": 800.0, "retries": 1, "cache_ttl_s": DAY_S},
    # an IP geolocation database: free, local, stable
    "ip_geo": {"cost_per_call": 0.0, "timeout_ms": 200.0, "retries": 0, "cache_ttl_s": 30 * DAY_S},
}


class ProvidersConfig(BaseModel):
    """The settings of every provider of the decision, by provider name (order = call order)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    bureau: ProviderSettings = ProviderSettings(**PROVIDER_DEFAULTS["bureau"])
    multi_lending: ProviderSettings = ProviderSettings(**PROVIDER_DEFAULTS["multi_lending"])
    ecommerce: ProviderSettings = ProviderSettings(**PROVIDER_DEFAULTS["ecommerce"])
    card: ProviderSettings = ProviderSettings(**PROVIDER_DEFAULTS["card"])
    telecom: ProviderSettings = ProviderSettings(**PROVIDER_DEFAULTS["telecom"])
    ip_geo: ProviderSettings = ProviderSettings(**PROVIDER_DEFAULTS["ip_geo"])

    @model_validator(mode="before")
    @classmethod
    def _over_defaults(cls, data: Any) -> Any:
        """Fill each named provider's unnamed fields from that provider's own defaults."""
        if not isinstance(data, Mapping):
            return data
        merged: dict[str, Any] = dict(data)
        for name, given in data.items():
            if name in PROVIDER_DEFAULTS and isinstance(given, Mapping):
                merged[name] = {**PROVIDER_DEFAULTS[name], **given}
        return merged

    def providers(self) -> dict[str, ProviderSettings]:
        """The settings by provider name, in declaration order."""
        return {name: getattr(self, name) for name in type(self).model_fields}

    def with_all(self, **changes: Any) -> ProvidersConfig:
        """A copy with ``changes`` (e.g. ``latency_ms=5``) applied to every provider.

        Examples
        --------
        >>> ProvidersConfig().with_all(failure_rate=0.1).telecom.failure_rate
        0.1
        """
        data = {name: {**s.model_dump(), **changes} for name, s in self.providers().items()}
        return load_providers_config(data)


def load_providers_config(
    source: str | Path | Mapping[str, Any] | ProvidersConfig | None = None,
) -> ProvidersConfig:
    """The providers' settings from a YAML file, a dict, or the defaults (``None``).

    A wrong value raises :class:`~zhudai.exceptions.InvalidInputError` naming the field,
    e.g. ``bureau.timeout_ms``; an unknown provider or setting is refused by name.
    """
    if source is None:
        return ProvidersConfig()
    if isinstance(source, ProvidersConfig):
        return source
    if isinstance(source, str | Path):
        path = Path(source)
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise InvalidInputError("path", f"cannot read {path}: {exc.strerror or exc}") from None
        except yaml.YAMLError as exc:
            raise InvalidInputError("path", f"{path} is not valid YAML: {exc}") from None
        source = {} if data is None else data
    if not isinstance(source, Mapping):
        raise InvalidInputError(
            "providers",
            f"must be a mapping of provider name to settings; got {type(source).__name__}",
        )
    return parse_input(ProvidersConfig, source)
