"""Replay stored decisions: re-run each under the policy version in force then (or another one)
and report every difference from what was decided.

The record holds the tokenised inputs, the feature values the models read, the policy and
sub-policy hashes and the model versions, so the same version, given the same models, must give
the same decision field for field.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from zhudai.decision.engine import CompiledPolicy
from zhudai.decision.loaders import RegistryModelLoader
from zhudai.decision.versions import PolicyStore
from zhudai.settings import get_settings
from zhudai.store.db import session_scope
from zhudai.store.models import DecisionRecord


@dataclass
class ReplayDiff:
    decision_id: str
    policy: str
    field: str
    stored: Any
    replayed: Any


@dataclass
class ReplayReport:
    """How many decisions were replayed, how many reproduce, and the differences."""

    replayed: int = 0
    reproduced: int = 0
    diffs: list[ReplayDiff] = field(default_factory=list)
    model_mismatches: list[str] = field(default_factory=list)

    @property
    def exact(self) -> bool:
        return self.replayed == self.reproduced

    def lines(self, limit: int = 20) -> list[str]:
        out = [
            f"replayed {self.replayed} decisions: {self.reproduced} reproduced exactly, {self.replayed - self.reproduced} differ"
        ]
        out += [
            f"  {d.decision_id} [{d.policy}] {d.field}: stored {d.stored!r} -> replayed {d.replayed!r}"
            for d in self.diffs[:limit]
        ]
        out += [f"  model changed: {m}" for m in self.model_mismatches[:limit]]
        return out


def _compare(stored: dict[str, Any], replayed: dict[str, Any]) -> list[tuple[str, Any, Any]]:
    return [(k, stored.get(k), v) for k, v in replayed.items() if stored.get(k) != v]


def replay(
    store: PolicyStore,
    *,
    decision_ids: Sequence[str] | None = None,
    version: int | None = None,
    limit: int | None = None,
    model_paths: Mapping[str, str] | None = None,
) -> ReplayReport:
    """Re-run stored decisions (all, or ``decision_ids``) and compare.

    Parameters
    ----------
    store : PolicyStore
        Where the policy versions are (its model loader loads the models).
    version : int, optional
        Replay under this version instead of the one each decision was made with.
    model_paths : mapping, optional
        Model name -> artefact directory; by default the path recorded with each decision.
    """
    with session_scope(store.url) as s:
        q = select(DecisionRecord).order_by(DecisionRecord.id)
        if decision_ids:
            q = q.where(DecisionRecord.decision_id.in_(list(decision_ids)))
        if limit:
            q = q.limit(limit)
        rows = [(r.decision_id, r.policy_name, r.policy_version, r.record) for r in s.scalars(q)]
    report = ReplayReport()
    cache: dict[tuple[Any, ...], CompiledPolicy] = {}
    for decision_id, name, stored_version, record in rows:
        v = version if version is not None else stored_version
        paths = {**record.get("model_sources", {}), **(model_paths or {})}
        key = (name, v, tuple(sorted(paths.items())))
        if key not in cache:
            loader = (
                RegistryModelLoader(paths, root=get_settings().home)
                if paths
                else store.model_loader
            )
            scoped = PolicyStore(store.url, model_loader=loader, apr_cap=store.apr_cap)
            source, doc, number = scoped.get(name, v)
            pinned = (
                dict(p.split(":", 1) for p in record["policy"].get("sub_policies", []))
                if v == stored_version
                else {}
            )
            cache[key] = scoped.compile(source, doc, number, resolve=scoped.by_hash(pinned))
        policy = cache[key]
        application = {**record.get("features", {}), **record["inputs"]}
        decision = policy.decide(application)
        report.replayed += 1
        stored = {
            k: record.get(k)
            for k in ("outcome", "credit_limit", "apr", "term_months", "reason_codes")
        }
        diffs = _compare(stored, decision.summary())
        if not diffs:
            report.reproduced += 1
        report.diffs += [ReplayDiff(decision_id, f"{name}@{v}", f, a, b) for f, a, b in diffs]
        if decision.model_versions and decision.model_versions != record.get("model_versions"):
            report.model_mismatches.append(
                f"{decision_id}: {record.get('model_versions')} -> {decision.model_versions}"
            )
    return report
