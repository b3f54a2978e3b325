"""Demo stage ``decisions``: the default A-card policy deciding the demo world's applications.

Reads ``ctx.artifacts``: ``world_dir`` (applications, customers, bureau), ``features_path``
(model features by ``application_id``), ``acard_model_dir`` and ``gbm_model_dir`` (registry
artefacts), and ``fraud_results_path`` if the fraud stage left one (Parquet/CSV keyed by
``application_id``: the fraud layer's signals and ``hit_<rule>`` columns under its tuned
thresholds, see ``zhudai.fraud.replay``). Each row becomes a ``FraudResult`` again and its
``policy_inputs()`` -- the same call the live pipeline makes -- give the policy's fraud inputs
(``fraud.hit.<rule>``, ``fraud.fraud_score``, ``fraud.ring_member_score``). An application the
fraud results do not cover has no fraud inputs and is reviewed (``MISSING_FRAUD``), never
read as clean. Only when the demo ran no fraud stage at all do the fraud inputs take *neutral*
values (no hit, scores 0), so that the credit part of the demo still runs; the first line
printed says so.

The world's bureau answers for every application, so ``thin_file`` is false where the bureau
table has the application's row; without a row the bureau inputs are missing
(``MISSING_BUREAU``).

World identities are stored only as tokens, so the ID check uses the prepared form the policy
accepts (``id_number_token`` and ``id_number_valid``; the world generates valid ID numbers).

Publishes and activates the shipped policies in ``ctx.settings.database_url``, decides a sample,
stores every decision record, replays them all, and back-tests on the booked loans' labels.
Leaves ``decision_policy`` (``name@version``) and ``decisions_count`` in ``ctx.artifacts``.
"""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path
from typing import Any

import pandas as pd

from zhudai.decision.backtest import backtest
from zhudai.decision.loaders import SHIPPED_DIR, RegistryModelLoader
from zhudai.decision.replay import replay
from zhudai.decision.service import DecisionService, save_decisions
from zhudai.decision.versions import PolicyStore
from zhudai.fraud.engine import RULE_NAMES, result_from_row
from zhudai.fraud.signals import HIT_PREFIX
from zhudai.store.migrate import upgrade

POLICY = "acard_default"
SAMPLE = 3000
# Only for a demo run without the fraud stage (no fraud results at all): no hit, scores 0.
# Never used to fill in an application the fraud results do not cover.
NEUTRAL_FRAUD: dict[str, Any] = {
    **{f"{HIT_PREFIX}{name}": False for name in RULE_NAMES},
    "fraud.fraud_score": 0.0,
    "fraud.ring_member_score": 0.0,
}


def _read(path: Path) -> pd.DataFrame:
    return pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path)


def applications_frame(
    world_dir: Path, features_path: Path, fraud_path: Path | None
) -> pd.DataFrame:
    """The policy's inputs and the models' features for every application of the world."""
    apps = pd.read_parquet(world_dir / "applications.parquet")
    customers = pd.read_parquet(world_dir / "customers.parquet")
    bureau = pd.read_parquet(world_dir / "bureau.parquet")
    frame = apps[
        [
            "application_id",
            "customer_id",
            "applied_at",
            "amount_requested",
            "term_months",
            "is_emulator",
            "is_rooted",
            "id_token",
        ]
    ].merge(
        customers[["customer_id", "age_at_application", "province", "income_declared"]],
        on="customer_id",
        how="left",
    )
    frame = frame.merge(
        bureau.drop(columns=["customer_id"], errors="ignore"),
        on="application_id",
        how="left",
        indicator="_bureau",
    )
    # the bureau answered (a record): not a thin file; no answer: unknown, so missing
    answered = (frame.pop("_bureau") == "both").to_numpy()
    frame["thin_file"] = pd.Series(
        [False if a else None for a in answered], index=frame.index, dtype=object
    )
    frame = frame.rename(
        columns={
            "id_token": "id_number_token",
            "age_at_application": "age",
            "income_declared": "income_monthly",
            "term_months": "term_requested",
        }
    )
    frame["id_number_valid"] = True
    features = pd.read_parquet(features_path)
    keep = [c for c in features.columns if c not in frame.columns or c == "application_id"]
    frame = frame.merge(features[keep], on="application_id", how="left")
    if fraud_path is None:
        for name, neutral in NEUTRAL_FRAUD.items():  # no fraud stage in this demo run
            frame[name] = neutral
        return frame
    rows: list[dict[str, Any]] = _read(Path(fraud_path)).to_dict("records")  # type: ignore[assignment]
    inputs = pd.DataFrame(
        [
            {"application_id": row["application_id"], **result_from_row(row).policy_inputs()}
            for row in rows
        ]
    )
    return frame.merge(inputs, on="application_id", how="left")


def run_stage(ctx: Any) -> list[str]:
    """Publish, decide, store, replay and back-test; returns the lines to print."""
    art = ctx.artifacts
    needed = {
        k: art.get(k) for k in ("world_dir", "features_path", "acard_model_dir", "gbm_model_dir")
    }
    missing = [k for k, v in needed.items() if v is None or not Path(v).exists()]
    if missing:
        return [f"decisions skipped: {', '.join(missing)} not available from earlier stages"]
    url = ctx.settings.database_url
    upgrade(url)
    loader = RegistryModelLoader(
        {"acard": needed["acard_model_dir"], "gbm": needed["gbm_model_dir"]}
    )
    store = PolicyStore(url, model_loader=loader, apr_cap=ctx.settings.apr_cap)
    service = DecisionService(store)
    for name in ("fraud_checks", POLICY):
        text = (SHIPPED_DIR / f"{name}.yaml").read_text(encoding="utf-8")
        info = store.publish(text, origin=f"{name}.yaml")
        if name == POLICY:
            service.activate(name, info.version)
        else:
            store.activate(name, info.version)
    policy = service.policy(POLICY)
    fraud_path = art.get("fraud_results_path")
    frame = applications_frame(Path(needed["world_dir"]), Path(needed["features_path"]), fraud_path)
    sample = frame.sample(n=min(SAMPLE, len(frame)), random_state=ctx.seed).sort_values(
        "applied_at"
    )
    rows = sample.drop(columns=["applied_at", "customer_id"]).astype(object)
    records = rows.where(rows.notna(), None).to_dict("records")  # type: ignore[call-overload]

    started = time.perf_counter()
    decided = [
        (service.decide(POLICY, r, persist=False), int(r["application_id"]), None) for r in records
    ]
    seconds = time.perf_counter() - started
    save_decisions(decided, url)
    outcomes = Counter(d.outcome.value for d, _, _ in decided)
    reasons = Counter(code for d, _, _ in decided for code in d.reason_codes)
    n = len(decided)
    lines = [
        f"policy {POLICY}@{policy.version} ({policy.content_hash[:12]}) active in {url.split('///')[-1]}"
        + ("" if fraud_path else "; fraud inputs neutral: this demo run has no fraud stage"),
        f"decided {n:,} applications in {seconds:.1f}s ({n / seconds:,.0f}/s); records stored; "
        + ", ".join(f"{k} {v:,} ({v / n:.1%})" for k, v in sorted(outcomes.items())),
        f"approval rate {outcomes['approve'] / n:.3f}; reason codes: "
        + ", ".join(f"{code} {count}" for code, count in reasons.most_common(10)),
    ]
    report = replay(store, decision_ids=[d.decision_id for d, _, _ in decided])
    lines.append(
        report.lines(limit=5)[0] + (" -- the demo reproduces" if report.exact else " -- MISMATCH")
    )
    lines += report.lines(limit=5)[1:]

    try:
        from zhudai.world.labels import credit_labels

        labels = credit_labels(needed["world_dir"]).to_pandas()
        history = sample.merge(labels[["application_id", "bad"]], on="application_id", how="left")
        lines += ["backtest: " + line for line in backtest(policy, history).lines()]
    except (ImportError, KeyError) as exc:
        lines.append(f"backtest skipped: no labels ({exc})")
    art["decision_policy"] = f"{POLICY}@{policy.version}"
    art["decisions_count"] = n
    return lines
