"""Serving decisions: the active compiled policy, hot swaps, champion/challenger and shadow runs.

The service keeps one reference per policy name to an immutable :class:`CompiledPolicy`.
Activation compiles the new version first and only then replaces the reference (a single
assignment, atomic for every thread already deciding), so a version that fails to compile or to
pass its cases never serves, and no restart is needed.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy.engine import Connection

from zhudai.decision.engine import CompiledPolicy, Decision
from zhudai.decision.model_versions import ChangeHook as ModelHook
from zhudai.decision.model_versions import ModelInfo, ModelStore, StoredModelLoader
from zhudai.decision.versions import ChangeHook, PolicyInfo, PolicyStore
from zhudai.exceptions import ConfigurationError, InvalidInputError, NotFoundError
from zhudai.settings import Settings, get_settings
from zhudai.store.db import session_scope
from zhudai.store.models import DecisionOutcome, DecisionRecord


def bucket(customer_token: str, salt: str) -> float:
    """A customer's fixed position in [0, 1): the same token and salt always give the same value.

    Examples
    --------
    >>> bucket("abc", "exp1") == bucket("abc", "exp1")
    True
    """
    digest = hashlib.sha256(f"{salt}:{customer_token}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


@dataclass(frozen=True)
class Experiment:
    """A challenger for a policy: ``split`` sends ``share`` of customers to it, ``shadow`` runs
    it beside the champion for everyone and records what it would have decided."""

    challenger: CompiledPolicy
    share: float = 0.1
    mode: str = "split"
    salt: str = "challenger"

    def __post_init__(self) -> None:
        if not 0.0 <= self.share <= 1.0:
            raise InvalidInputError("share", f"must be in [0, 1]; got {self.share}")
        if self.mode not in ("split", "shadow"):
            raise InvalidInputError("mode", f"must be 'split' or 'shadow'; got {self.mode!r}")

    def takes(self, customer_token: str | None) -> bool:
        return (
            self.mode == "split"
            and customer_token is not None
            and bucket(customer_token, self.salt) < self.share
        )


class DecisionService:
    """Decide with the active version of each policy and write the audit record."""

    def __init__(self, store: PolicyStore) -> None:
        self.store = store
        self._active: dict[str, CompiledPolicy] = {}
        self._experiments: dict[str, Experiment] = {}
        self._lock = threading.Lock()  # serialises reloads, never decisions
        self._models = store.models_stamp()

    def policy(self, name: str) -> CompiledPolicy:
        """The compiled policy now serving ``name`` (loaded on first use)."""
        policy = self._active.get(name)
        if policy is None:
            policy = self.reload(name)
        return policy

    def reload(self, name: str) -> CompiledPolicy:
        """Compile the active stored version and swap it in (the old one serves until then)."""
        with self._lock:
            compiled = self.store.compiled(name)
            if compiled.is_fragment:
                raise ConfigurationError(f"policy {name!r} is a fragment (no decision section)")
            self._active[name] = compiled
            return compiled

    def refresh(self) -> list[str]:
        """Swap in every policy whose active version changed in the store (e.g. activated by
        ``zhudai policy activate`` in another process), and every policy at all when a model
        version was published or activated; returns ``name@version`` swapped."""
        models = self.store.models_stamp()
        models_changed, self._models = models != self._models, models
        swapped = []
        for name, current in list(self._active.items()):
            if models_changed or self.store.active_hash(name) != current.content_hash:
                swapped.append(f"{name}@{self.reload(name).version}")
        return swapped

    def activate(self, name: str, version: int, *, audit: ChangeHook | None = None) -> PolicyInfo:
        """Activate ``version`` and hot-swap it in; if it cannot compile, nothing changes."""
        compiled = self.store.compiled(name, version)  # fails before the store changes
        if compiled.is_fragment:
            raise ConfigurationError(f"policy {name!r} is a fragment (no decision section)")
        info = self.store.activate(name, version, audit=audit)
        self._active[name] = compiled
        return info

    def rollback(self, name: str, *, audit: ChangeHook | None = None) -> PolicyInfo:
        info = self.store.rollback(name, audit=audit)
        self.reload(name)
        return info

    # -- models --------------------------------------------------------------------------
    def activate_model(
        self, name: str, version: int, *, audit: ModelHook | None = None
    ) -> ModelInfo:
        """Activate a stored model version and swap in every policy compiled with it; if one
        of the serving policies cannot compile with it, nothing changes."""
        return self._model_change(
            lambda hook: self.models().activate(name, version, audit=hook), audit
        )

    def rollback_model(self, name: str, *, audit: ModelHook | None = None) -> ModelInfo:
        """Re-activate the model version that served before the current one (checked the same
        way as :meth:`activate_model`)."""
        return self._model_change(lambda hook: self.models().rollback(name, audit=hook), audit)

    def models(self) -> ModelStore:
        """The stored model versions this service's policies are compiled with."""
        loader = self.store.model_loader
        if not isinstance(loader, StoredModelLoader):
            raise ConfigurationError("this decision service does not read models from the store")
        return loader.models

    def _model_change(
        self, change: Callable[[ModelHook], ModelInfo], audit: ModelHook | None
    ) -> ModelInfo:
        loader = self.store.model_loader
        assert isinstance(loader, StoredModelLoader)

        def check(conn: Connection, info: ModelInfo) -> None:
            trial = PolicyStore(
                self.store.url,
                model_loader=loader.trying(info.name, info.path),
                apr_cap=self.store.apr_cap,
            )
            stored = {i.name for i in self.store.versions() if i.status == "active"}
            for policy in sorted(stored | set(self._active)):
                trial.compiled(policy)  # raises: the change rolls back
            if audit is not None:
                audit(conn, info)

        info = change(check)
        self.refresh()
        return info

    def start_experiment(self, name: str, experiment: Experiment) -> None:
        self._experiments[name] = experiment

    def stop_experiment(self, name: str) -> None:
        self._experiments.pop(name, None)

    def decide(
        self,
        name: str,
        application: Mapping[str, Any],
        *,
        application_id: int | None = None,
        persist: bool = True,
    ) -> Decision:
        """Decide with the champion (or the challenger for its share) and store the record."""
        decision, shadow = self.evaluate(name, application)
        if persist:
            self.save(decision, application_id=application_id, shadow=shadow)
        return decision

    def evaluate(
        self, name: str, application: Mapping[str, Any]
    ) -> tuple[Decision, Decision | None]:
        """The serving decision (champion, or the challenger for its share) and, in shadow
        mode, what the challenger would have decided; nothing is stored."""
        champion = self.policy(name)
        experiment = self._experiments.get(name)
        if experiment is not None and experiment.takes(champion.customer_token(application)):
            decision = experiment.challenger.decide(application)
            decision.variant = "challenger"
            return decision, None
        decision = champion.decide(application)
        shadow = None
        if experiment is not None and experiment.mode == "shadow":
            shadow = experiment.challenger.decide(application)
        return decision, shadow

    def save(
        self,
        decision: Decision,
        *,
        application_id: int | None = None,
        shadow: Decision | None = None,
        url: str | None = None,
    ) -> None:
        """Write the decision's audit record (and the shadow's summary) to the store."""
        save_decisions([(decision, application_id, shadow)], url or self.store.url)


def save_decisions(
    items: Sequence[tuple[Decision, int | None, Decision | None]], url: str | None
) -> None:
    """Write many decision records in one transaction."""
    with session_scope(url) as s:
        s.add_all(decision_row(d, application_id, shadow) for d, application_id, shadow in items)


def decision_row(
    decision: Decision,
    application_id: int | None,
    shadow: Decision | None = None,
    extra: Mapping[str, Any] | None = None,
) -> DecisionRecord:
    """The audit row of one decision (and the shadow's summary)."""
    return DecisionRecord(**decision_values(decision, application_id, shadow, extra))


def decision_values(
    decision: Decision,
    application_id: int | None,
    shadow: Decision | None = None,
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The audit row's column values; ``extra`` adds keys to the record (e.g. the origination
    pipeline's stage times), for a caller that inserts it in its own transaction."""
    if decision.policy_version is None:
        raise NotFoundError(
            "policy version",
            f"{decision.policy_name} (decide with a stored version to record it)",
        )
    record = decision.record()
    if shadow is not None:
        record["shadow"] = {
            "policy": {"name": shadow.policy_name, "version": shadow.policy_version},
            **shadow.summary(),
        }
    if extra:
        record.update(extra)
    return {
        "decision_id": decision.decision_id,
        "application_id": application_id,
        "customer_token": decision.customer_token,
        "policy_name": decision.policy_name,
        "policy_version": decision.policy_version,
        "policy_hash": decision.policy_hash,
        "variant": decision.variant,
        "outcome": DecisionOutcome(decision.outcome.value),
        "credit_limit": None
        if decision.credit_limit is None
        else Decimal(str(round(decision.credit_limit, 2))),
        "apr": decision.apr,
        "term_months": decision.term_months,
        "reason_codes": list(decision.reason_codes),
        "record": record,
    }


def installed_decisions(settings: Settings | None = None) -> DecisionService:
    """The decision service on the store and the models installed under the settings' home
    (what the live pipeline, the credit lines and the CLI decide with)."""
    s = settings or get_settings()
    loader = StoredModelLoader(ModelStore(s.database_url, s.home / "models"), root=s.home)
    store = PolicyStore(s.database_url, model_loader=loader, apr_cap=s.apr_cap)
    return DecisionService(store)
