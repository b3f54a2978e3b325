"""zhudai binning + WOE + LR against toad, scorecardpy and optbinning, in one run.

(a) German Credit (1,000 rows, 20 attributes): a fixed stratified 70/30 split (seed 0) and the
    mean over 5 stratified 70/30 splits (seeds 0-4). Each tool bins the training rows with its
    default settings (toad: decision-tree combiner), its WOE feeds a plain logistic regression
    on every attribute; zhudai is shown that way ("zhudai plain") and as its full scorecard
    (selection + CV-chosen C + sign check, "zhudai card"; its time is the whole card fit).
(b) A synthetic 200,000 x 50 table (monotone, U-shaped, noisy, missing-heavy and categorical
    columns; ``--quick``: 20,000 rows): binning time on it, test AUC/KS on 60,000 fresh rows;
    the full card is shown too (its time is the whole fit, not counted in the speed ratio).

Run: ``.venv/bin/python benchmarks/bench_scorecard_vs_peers.py [--quick] [--skip TOOL ...]``.
"""

from __future__ import annotations

import argparse
import sys
import time
import types
import warnings
from collections.abc import Callable

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedShuffleSplit

from zhudai.datasets import load_german_credit
from zhudai.scorecard import Binner, Scorecard
from zhudai.scorecard import metrics as zm

warnings.filterwarnings("ignore")
# scorecardpy imports pkg_resources only to locate its bundled sample data
sys.modules.setdefault("pkg_resources", types.ModuleType("pkg_resources"))

Woe = Callable[[pd.DataFrame], pd.DataFrame]


def bin_zhudai(X: pd.DataFrame, y: np.ndarray, n_jobs: int = 1) -> Woe:
    b = Binner(n_jobs=n_jobs).fit(X, y)
    return b.transform


def bin_toad(X: pd.DataFrame, y: np.ndarray) -> Woe:
    import toad

    combiner = toad.transform.Combiner()
    combiner.fit(X, y, method="dt")
    woe = toad.transform.WOETransformer()
    woe.fit(combiner.transform(X), y)
    return lambda Z: woe.transform(combiner.transform(Z))


def bin_scorecardpy(X: pd.DataFrame, y: np.ndarray) -> Woe:
    import scorecardpy as sc

    bins = sc.woebin(X.assign(_y=y), y="_y", print_step=0)
    return lambda Z: sc.woebin_ply(Z, bins, print_step=0)


def bin_optbinning(X: pd.DataFrame, y: np.ndarray) -> Woe:
    from optbinning import BinningProcess

    cats = [c for c in X.columns if not pd.api.types.is_numeric_dtype(X[c])]
    bp = BinningProcess(list(X.columns), categorical_variables=cats).fit(X, y)
    return lambda Z: bp.transform(Z, metric="woe")


TOOLS: dict[str, Callable[[pd.DataFrame, np.ndarray], Woe]] = {
    "zhudai plain": bin_zhudai,
    "toad": bin_toad,
    "scorecardpy": bin_scorecardpy,
    "optbinning": bin_optbinning,
}


def plain_lr(woe: Woe, X_tr, y_tr, X_te, y_te) -> tuple[float, float]:
    """Test AUC and KS of a logistic regression on every WOE column."""
    w_tr = woe(X_tr).astype(float).fillna(0.0)
    w_te = woe(X_te)[list(w_tr.columns)].astype(float).fillna(0.0)
    lr = LogisticRegression(max_iter=2000).fit(w_tr.to_numpy(), y_tr)
    p = lr.predict_proba(w_te.to_numpy())[:, 1]
    return zm.auc(y_te, p), zm.ks(y_te, p)


def run_tool(name: str, X_tr, y_tr, X_te, y_te) -> dict[str, float]:
    try:
        if name == "zhudai card":
            started = time.perf_counter()
            card = Scorecard().fit(X_tr, y_tr)
            seconds = time.perf_counter() - started
            p = card.predict_proba(X_te)[:, 1]
            return {"bin_s": seconds, "auc": zm.auc(y_te, p), "ks": zm.ks(y_te, p)}
        started = time.perf_counter()
        woe = TOOLS[name](X_tr, y_tr)
        seconds = time.perf_counter() - started
        auc, ks = plain_lr(woe, X_tr, y_tr, X_te, y_te)
        return {"bin_s": seconds, "auc": auc, "ks": ks}
    except Exception as exc:  # a peer failing is a result to print, not a crash
        return {"error": f"{type(exc).__name__}: {str(exc)[:80]}"}


def german(tools: list[str], splits: int) -> None:
    df = load_german_credit()
    y = df.pop("bad").to_numpy()
    results: dict[str, list[dict[str, float]]] = {t: [] for t in tools}
    for seed in range(splits):
        tr, te = next(StratifiedShuffleSplit(1, test_size=0.3, random_state=seed).split(df, y))
        for t in tools:
            results[t].append(run_tool(t, df.iloc[tr], y[tr], df.iloc[te], y[te]))
    print(
        f"\n(a) German Credit, stratified 70/30: split seed 0 | mean of {splits} splits (seeds 0-{splits - 1})"
    )
    print(
        f"{'tool':<14} {'bin s':>7} {'AUC':>7} {'KS':>7} | {'mean AUC':>9} {'mean KS':>8} {'mean bin s':>10}"
    )
    for t in tools:
        rs = results[t]
        if "error" in rs[0]:
            print(f"{t:<14} failed: {rs[0]['error']}")
            continue
        first = rs[0]
        print(
            f"{t:<14} {first['bin_s']:7.2f} {first['auc']:7.4f} {first['ks']:7.4f} | "
            f"{np.mean([r['auc'] for r in rs]):9.4f} {np.mean([r['ks'] for r in rs]):8.4f} "
            f"{np.mean([r['bin_s'] for r in rs]):10.2f}"
        )


def synthetic(n: int, seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    """50 columns: 20 monotone, 5 U-shaped, 15 noise, 5 with 30% missing, 5 categorical.

    ``seed`` draws the rows; the risk structure (category effects) is the same for every seed,
    so a table and its fresh test rows follow one model.
    """
    rng = np.random.default_rng(seed)
    structure = np.random.default_rng(20_240_601)
    cols: dict[str, np.ndarray] = {}
    logit = np.full(n, -2.2)
    for i in range(20):
        x = rng.lognormal(sigma=0.8, size=n) if i % 2 else rng.normal(size=n)
        cols[f"mono_{i}"] = np.round(x, 3)
        z = (x - x.mean()) / x.std()
        logit += (0.35 if i % 3 else -0.35) * z / (1 + i / 10)
    for i in range(5):
        x = rng.normal(size=n)
        cols[f"u_{i}"] = np.round(x, 3)
        logit += 0.25 * (x**2 - 1)
    for i in range(15):
        cols[f"noise_{i}"] = np.round(rng.normal(size=n), 3)
    for i in range(5):
        x = rng.normal(size=n)
        logit += 0.3 * x
        x[rng.random(n) < 0.3] = np.nan
        cols[f"miss_{i}"] = np.round(x, 3)
    for i in range(5):
        levels = np.array([f"L{j}" for j in range(4 + 3 * i)])
        k = rng.integers(0, len(levels), size=n)
        effects = structure.normal(scale=0.4, size=len(levels))
        logit += effects[k]
        cols[f"cat_{i}"] = levels[k]
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    return pd.DataFrame(cols), y


def big(tools: list[str], n: int) -> None:
    X, y = synthetic(n, seed=1)
    X_te, y_te = synthetic(60_000, seed=2)
    print(
        f"\n(b) synthetic {n:,} x {X.shape[1]} (bad rate {y.mean():.3f}); test: 60,000 fresh rows"
    )
    print(f"{'tool':<16} {'bin s':>8} {'AUC':>7} {'KS':>7} {'time / zhudai':>14}")
    rows = {t: run_tool(t, X, y, X_te, y_te) for t in tools}
    if "zhudai plain" in tools:
        started = time.perf_counter()
        bin_zhudai(X, y, n_jobs=2)
        rows["zhudai n_jobs=2"] = {"bin_s": time.perf_counter() - started}
    base = rows.get("zhudai plain", {}).get("bin_s")
    for t, r in rows.items():
        if "error" in r:
            print(f"{t:<16} failed: {r['error']}")
            continue
        speed = f"{r['bin_s'] / base:13.1f}x" if base and t != "zhudai card" else ""
        auc = f"{r['auc']:7.4f} {r['ks']:7.4f}" if "auc" in r else f"{'':>7} {'':>7}"
        print(f"{t:<16} {r['bin_s']:8.2f} {auc} {speed}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="20,000-row synthetic table, 2 German splits"
    )
    parser.add_argument(
        "--skip", nargs="*", default=[], help="tools to leave out (e.g. scorecardpy)"
    )
    args = parser.parse_args()
    tools = [t for t in ["zhudai card", *TOOLS] if t not in args.skip]
    german(tools, splits=2 if args.quick else 5)
    big(tools, 20_000 if args.quick else 200_000)


if __name__ == "__main__":
    main()
