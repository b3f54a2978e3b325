"""External data bought at decision time: one provider protocol, one call policy, one hub.

``ProviderCall`` wraps any :class:`DataProvider` in the policy every paid source shares
(deadline, retries, as_of-time cache, cost per attempt); ``ProviderHub`` calls a decision's
providers concurrently; ``build_simulated_hub`` backs them with a generated world so the
live pipeline can run and be replayed without vendor contracts. See ``docs/providers.md``.
"""

from zhudai.providers.base import (
    DataProvider,
    ProviderAnswer,
    ProviderCall,
    ProviderQuery,
    ProviderStatus,
)
from zhudai.providers.config import (
    PROVIDER_DEFAULTS,
    ProvidersConfig,
    ProviderSettings,
    load_providers_config,
)
from zhudai.providers.hub import ProviderHub
from zhudai.providers.simulated import (
    SIMULATED_PROVIDERS,
    SimulatedProvider,
    WorldRecords,
    build_simulated_hub,
    simulated_calls,
)

__all__ = [
    "PROVIDER_DEFAULTS",
    "SIMULATED_PROVIDERS",
    "DataProvider",
    "ProviderAnswer",
    "ProviderCall",
    "ProviderHub",
    "ProviderQuery",
    "ProviderSettings",
    "ProviderStatus",
    "ProvidersConfig",
    "SimulatedProvider",
    "WorldRecords",
    "build_simulated_hub",
    "load_providers_config",
    "simulated_calls",
]
