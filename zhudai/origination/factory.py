"""Building the origination service from what is installed under ``ZHUDAI_HOME``.

After ``make demo`` the home folder holds everything a decision needs, where every command
finds it: the store (active policies), ``models/acard`` and ``models/gbm`` (the cards the
policy names), ``models/fraud`` (the fraud model and its tuned cut-offs) and
``providers.yaml`` (which data providers to call, and for the simulated ones, which world
serves them). A bank replaces the simulated providers with its vendors' adapters.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from zhudai.decision.service import installed_decisions
from zhudai.exceptions import ConfigurationError
from zhudai.features.definitions import load_feature_set
from zhudai.features.online import OnlineFeatureEngine
from zhudai.fraud.engine import FraudEngine, thresholds_for
from zhudai.fraud.model import FraudModel
from zhudai.fraud.rings import default_ring_scorer_factory
from zhudai.imports import import_target
from zhudai.origination.pipeline import OriginationService
from zhudai.origination.routing import FunderRanking
from zhudai.providers import ProviderHub, build_simulated_hub
from zhudai.settings import Settings, get_settings
from zhudai.store.migrate import upgrade

PROVIDERS_FILE = "providers.yaml"
FRAUD_MODEL_DIR = Path("models") / "fraud"


def write_providers_file(
    home: Path, world_dir: Path, providers: dict[str, Any] | None = None
) -> Path:
    """Record which providers the service calls: the simulated ones over ``world_dir``."""
    path = home / PROVIDERS_FILE
    home.mkdir(parents=True, exist_ok=True)
    doc = {"simulated_world": str(Path(world_dir).resolve()), "providers": providers or {}}
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def providers_from_home(home: Path) -> ProviderHub:
    """The provider hub configured in ``home/providers.yaml``."""
    path = home / PROVIDERS_FILE
    if not path.is_file():
        raise ConfigurationError(
            f"no data providers configured: {path} is missing (run `make demo`, or write it)"
        )
    doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    world = doc.get("simulated_world")
    if not world or not Path(world).is_dir():
        raise ConfigurationError(f"{path}: simulated_world {world!r} is not a generated world")
    return build_simulated_hub(world, doc.get("providers") or {})


def fraud_engine_from_home(home: Path, world_dir: Path | None = None) -> FraudEngine:
    """The fraud engine with the installed fraud model and its tuned cut-offs (none: rules
    only), the default velocity store (Redis by ``ZHUDAI_REDIS_URL``) and the live graph."""
    folder = home / FRAUD_MODEL_DIR
    model = FraudModel.load(folder) if (folder / "model.json").is_file() else None
    factory = default_ring_scorer_factory()
    return FraudEngine(
        model=model,
        thresholds=thresholds_for(model),
        ring_scorer=factory(world_dir),
    )


def build_service(
    settings: Settings | None = None,
    *,
    fraud: FraudEngine | None = None,
    providers: ProviderHub | None = None,
) -> OriginationService:
    """The live pipeline on the store and the installed models, policies and providers."""
    s = settings or get_settings()
    url = s.database_url
    upgrade(url)
    return OriginationService(
        url,
        installed_decisions(s),
        fraud if fraud is not None else fraud_engine_from_home(s.home),
        providers if providers is not None else providers_from_home(s.home),
        OnlineFeatureEngine(load_feature_set()),
        ranking=_ranking(s),
    )


#: The funder rankings ``ZHUDAI_FUNDER_ROUTING`` names, looked up by name (acquisition sits
#: below origination: the live path plugs it in, it does not import it).
RANKINGS = {"value": "zhudai.acquisition.ranking:value_ranking"}


def _ranking(s: Settings) -> FunderRanking | None:
    """The configured funder ranking (``None``: the pipeline's cheapest-first default)."""
    target = RANKINGS.get(s.funder_routing)
    return None if target is None else import_target(target)(s.database_url)
