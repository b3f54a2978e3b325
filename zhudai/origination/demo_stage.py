"""Demo stage ``decisions``: the world's applications, in time order, through the live pipeline.

The world plays two outside parties: a channel partner that sends each application as the
contract's JSON (``ctx.artifacts["world_client"]``, from the world stage) and the data
vendors (the simulated providers over the world's observable tables). Simulated banks then
take their own decision on each recommended application, which books or releases the quota.

Before deciding, the stage installs what the live path needs under ``ZHUDAI_HOME``, where
``zhudai application decide`` and ``zhudai serve`` find it: the cards (``models/acard``,
``models/gbm``), the fraud model with its tuned cut-offs (``models/fraud``), the providers
file, and the shipped policies, published and activated in the store.

Reads ``world_client``, ``world_dir``, ``acard_model_dir``, ``gbm_model_dir``,
``fraud_model_dir`` and, for the back-test, ``credit_labels`` (a frame of ``application_id,
bad``); leaves ``decision_policy`` and ``decisions_count``.
"""

from __future__ import annotations

import hashlib
import shutil
import time
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import select

from zhudai.decision.backtest import backtest
from zhudai.decision.loaders import SHIPPED_DIR
from zhudai.decision.replay import replay
from zhudai.origination.factory import (
    FRAUD_MODEL_DIR,
    build_service,
    fraud_engine_from_home,
    write_providers_file,
)
from zhudai.origination.lookup import decided_inputs
from zhudai.origination.prescreen_report import prescreen_report
from zhudai.store.db import session_scope
from zhudai.store.models import DecisionRecord

POLICIES = ("applicant_checks", "fraud_checks", "prescreen", "acard_default")
POLICY = "acard_default"


def install(home: Path, models: dict[str, Path]) -> None:
    """Copy model artefacts to ``home/models/<name>`` (replacing what was there)."""
    for name, source in models.items():
        target = home / "models" / name
        if target.exists():
            shutil.rmtree(target)
        shutil.copytree(source, target)


def bank_accepts(funder: str, application_id: str, pd_value: float | None, seed: int) -> bool:
    """A simulated bank's own credit decision: it refuses more often as the PD rises (its own
    view, 2% + 2 x PD, capped at 90%), deterministically per application."""
    digest = hashlib.sha256(f"{seed}:{funder}:{application_id}".encode()).digest()
    draw = int.from_bytes(digest[:8], "big") / 2**64
    refuse = min(0.9, 0.02 + 2.0 * (pd_value if pd_value is not None else 0.5))
    return draw >= refuse


def run_stage(ctx: Any) -> list[str]:
    """Install, decide every application live, let the banks decide, replay, back-test."""
    art = ctx.artifacts
    needed = ("world_client", "world_dir", "acard_model_dir", "gbm_model_dir", "fraud_model_dir")
    missing = [k for k in needed if art.get(k) is None]
    if missing:
        return [f"decisions skipped: {', '.join(missing)} not available from earlier stages"]
    settings = ctx.settings
    home = Path(settings.home)
    install(
        home,
        {
            "acard": Path(art["acard_model_dir"]),
            "gbm": Path(art["gbm_model_dir"]),
            str(FRAUD_MODEL_DIR.name): Path(art["fraud_model_dir"]),
        },
    )
    write_providers_file(home, Path(art["world_dir"]))
    service = build_service(
        settings, fraud=fraud_engine_from_home(home, world_dir=Path(art["world_dir"]))
    )
    store = service.decisions.store
    for name in POLICIES:  # fragments first: a policy compiles against the active ones
        text = (SHIPPED_DIR / f"{name}.yaml").read_text(encoding="utf-8")
        store.activate(name, store.publish(text, origin=name).version)
    service.refresh()

    latencies: list[float] = []
    answers = []
    started = time.perf_counter()
    for request in art["world_client"].requests():
        t = time.perf_counter()
        answers.append(service.decide(request))
        latencies.append((time.perf_counter() - t) * 1000)
    seconds = time.perf_counter() - started
    n = len(answers)
    outcomes = Counter(a.decision for a in answers)
    reasons = Counter(r.code for a in answers for r in a.reasons)
    pds = _pds(settings.database_url)
    pushed = Counter[str]()
    refused = Counter[str]()
    for a in answers:
        if a.funder is None:
            continue
        pushed[a.funder] += 1
        ok = bank_accepts(a.funder, a.application_id, pds.get(a.decision_id), ctx.seed)
        service.record_funder_decision(a.application_id, ok)
        refused[a.funder] += not ok
    lat = np.array(latencies)
    lines = [
        f"sent {n:,} applications through the live pipeline in {seconds:.1f}s "
        f"(p50 {np.percentile(lat, 50):.2f} ms, p99 {np.percentile(lat, 99):.2f} ms): "
        + ", ".join(f"{k} {v:,} ({v / n:.1%})" for k, v in sorted(outcomes.items())),
        "reason codes: " + ", ".join(f"{c} {k}" for c, k in reasons.most_common(10)),
        "funders (pushed / refused by the bank after push): "
        + ", ".join(
            f"{f} {pushed[f]:,}/{refused[f]:,} ({refused[f] / pushed[f]:.1%})" for f in pushed
        ),
    ]
    lines += prescreen_report(settings.database_url, art.get("credit_labels")).lines()
    report = replay(store, decision_ids=[a.decision_id for a in answers])
    lines.append(
        report.lines(limit=5)[0]
        + (" -- the live decisions reproduce" if report.exact else " -- MISMATCH")
    )
    labels = art.get("credit_labels")
    if labels is not None:
        history = decided_inputs(POLICY, settings.database_url).merge(labels, on="application_id")
        lines += [
            "backtest: " + line
            for line in backtest(service.decisions.policy(POLICY), history).lines()
        ]
    art["decision_policy"] = f"{POLICY}@{service.decisions.policy(POLICY).version}"
    art["decisions_count"] = n
    return lines


def _pds(url: str) -> dict[str, float]:
    with session_scope(url) as s:
        rows = s.execute(select(DecisionRecord.decision_id, DecisionRecord.record))
        return {d: r.get("pd") for d, r in rows if r.get("pd") is not None}
