"""Demo stage ``acquisition`` (last: it reads everything before it): the channel economics of
the store as of the book's close, with the budget recommendation, and one simulated day of
funder allocation on the demo's world (random, the real-time rule, the batch optimum)."""

from __future__ import annotations

from typing import Any

from zhudai.acquisition.channel_economics import (
    GROUPS,
    book_as_of,
    budget_recommendation,
    economics_tables,
)
from zhudai.acquisition.evaluation import evaluate_cross_sell, evaluate_day
from zhudai.acquisition.report import write_report


def run_stage(ctx: Any) -> list[str]:
    url = ctx.settings.database_url
    day = book_as_of(url)
    if day is None:
        return ["acquisition skipped: the loan book has no daily close (run the loans stage)"]
    tables = economics_tables(GROUPS, as_of=day, url=url)
    moves = budget_recommendation(tables["channel"])
    path = write_report(tables, moves, day, ctx.out_dir / "acquisition" / "economics.html")
    ctx.artifacts["acquisition_report"] = path
    lines = [f"channel economics as of {day} (written to {path}):"]
    for r in tables["channel"].iter_rows(named=True):
        roi = "n/a" if r["roi"] is None else f"{r['roi']:.2f}"
        profit = "n/a" if r["profit"] is None else f"{r['profit']:,.0f}"
        lines.append(
            f"  {r['channel']:<22} funded {r['funded']:>6,} of {r['applications']:>6,}"
            f"  cost/funded {r['cost_per_funded'] or 0:>7,.1f}  profit {profit:>12}  ROI {roi}"
        )
    lines.append("budget: " + ", ".join(f"{m.channel} {m.change:+,.0f}" for m in moves if m.change))
    world = ctx.artifacts.get("world_dir")
    if world is None:
        return [*lines, "allocation skipped: no world"]
    lines.append("one simulated day of funder allocation (expected / realised profit, CNY):")
    for day_result in evaluate_day(world, ctx.seed):
        lines.append(
            f"  {day_result.strategy:<8} pushed {day_result.pushed:>5,}"
            f"  {day_result.expected_profit:>12,.0f} / {day_result.realised_profit:>12,.0f}"
            f"  refused after push {day_result.push_rejection:.1%}"
            f"  violations {len(day_result.violations)}"
        )
    x = evaluate_cross_sell(world, day, url)
    ctx.artifacts["cross_sell"] = x
    lines.append(
        f"cash-installment offers to good air-ticket customers: {x['offers']:,} offered,"
        f" take-up {_pct(x['take_up_rate'])}, true PD of takers {_pct(x['cross_sell_true_pd'])}"
        f" vs directly acquired cash loans {_pct(x['direct_cash_true_pd'])}"
    )
    return lines


def _pct(v: float | None) -> str:
    return "n/a" if v is None else f"{v:.1%}"
