"""Each page's view from the platform's services (the same ones the API and the CLI call):
key figures, charts made by the reports' own figure builders, and tables. No business rule
lives here; a role's restriction is applied as the API applies it."""

from __future__ import annotations

import difflib
import html
import json
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path
from typing import Any

import plotly.graph_objects as go
import polars as pl
from markupsafe import Markup, escape

from zhudai.api.keys import Principal
from zhudai.collections.strategy_record import load_comparison
from zhudai.decision.service import DecisionService
from zhudai.exceptions import InvalidInputError, NotFoundError
from zhudai.html_report import html_table
from zhudai.loans.labels import book_labels
from zhudai.scorecard.report import roc_figure
from zhudai.store.models import ApiRole
from zhudai.web import store_views
from zhudai.web.pages import BY_NAME, Figure, PageView, Section

#: Economics columns shown as rates.
_RATES = ("approval_rate", "funded_rate", "fpd7_rate", "fpd30_rate", "bad_rate", "roi")


@dataclass(frozen=True)
class Context:
    """What every view reads: the store, the decision service, the caller, the book's day,
    and the home whose saved reports some pages show."""

    url: str
    decisions: DecisionService
    caller: Principal
    as_of: date | None
    home: Path


def overview(ctx: Context) -> PageView:
    """Applications, approval rate, funded volume, bad rates (the channel report's total row)
    and fraud hits on the last day with applications."""
    from zhudai.acquisition.channel_economics import economics

    view = PageView(BY_NAME["overview"])
    if ctx.as_of is not None:
        total = economics("channel", as_of=ctx.as_of, url=ctx.url).row(-1, named=True)
        view.figures += [
            Figure("applications", "Applications", "申请量", total["applications"]),
            Figure("approval_rate", "Approval rate", "通过率", total["approval_rate"], "rate"),
            Figure("principal", "Funded volume (CNY)", "放款金额", total["principal"], "money"),
            Figure("fpd30_rate", "FPD30", "首逾30+", total["fpd30_rate"], "rate"),
            Figure("bad_rate", "Bad rate", "坏账率", total["bad_rate"], "rate"),
        ]
    day, hits = store_views.fraud_hits_last_day(ctx.url)
    view.figures.append(Figure("fraud_hits_today", f"Fraud hits on {day}", "当日欺诈命中", hits))
    daily = store_views.daily_outcomes(ctx.url)
    fig = go.Figure()
    for outcome in sorted(set(daily["outcome"].to_list())):
        part = daily.filter(pl.col("outcome") == outcome)
        fig.add_trace(go.Bar(x=part["day"].to_list(), y=part["n"].to_list(), name=outcome))
    fig.update_layout(title="Decisions per day / 每日决策", barmode="stack")
    view.sections.append(Section("Decisions per day", "每日决策", [fig]))
    return view


def acquisition(ctx: Context) -> PageView:
    """Economics by channel, product and funder; a channel (funder) key sees only its own row,
    as ``/v1/reports/channels`` (``/funders``) answers it."""
    from zhudai.acquisition.channel_economics import TOTAL, economics_tables
    from zhudai.acquisition.report import economics_figure

    view = PageView(BY_NAME["acquisition"])
    if ctx.as_of is None:
        view.sections.append(Section("No daily close yet", "尚无日终数据"))
        return view
    own = {ApiRole.CHANNEL: "channel", ApiRole.FUNDER: "funder"}.get(ctx.caller.role)
    shown = [g for g in (("channel", "渠道"), ("product", "产品"), ("funder", "资金方"))
             if own is None or g[0] == own]  # fmt: skip
    tables = economics_tables([by for by, _ in shown], as_of=ctx.as_of, url=ctx.url)
    for by, zh in shown:
        table = tables[by]
        if own is not None:
            table = table.filter(pl.col(by) == ctx.caller.tenant)
        for r in table.iter_rows(named=True):
            total = r[by] == TOTAL
            for col in ("applications", "approval_rate", "principal", "profit"):
                kind = "rate" if col in _RATES else "count" if col == "applications" else "money"
                key, en, zh_label = (
                    (f"{by}:total:{col}", f"Total {col}", f"合计 {col}")
                    if total
                    else (f"{by}:{r[by]}:{col}", f"{r[by]} {col}", "")
                )
                view.figures.append(Figure(key, en, zh_label, r[col], kind))
        has_total = own is None and table.height > 0 and table[by][-1] == TOTAL
        shown_table = (
            table.with_columns(
                pl.when(pl.col(by) == TOTAL).then(pl.lit("total")).otherwise(pl.col(by)).alias(by)
            )
            if has_total
            else table
        )
        view.sections.append(
            Section(
                f"By {by}",
                f"按{zh}",
                [economics_figure(table, by)],
                html_table(shown_table, total=has_total),
            )
        )
    return view


def portfolio(ctx: Context) -> PageView:
    """Vintage curves, roll rates, flow rates and FPD (the portfolio report's figures)."""
    from zhudai.loans.analytics import analyse, matrix_wide, read_book
    from zhudai.loans.report import (
        VINTAGE_CHARTS,
        flow_figure,
        fpd_figure,
        roll_figure,
        vintage_figure,
    )

    view = PageView(BY_NAME["portfolio"])
    if ctx.as_of is None:
        return view
    result = analyse(read_book(ctx.url), ctx.as_of)
    view.figures += [
        Figure("loans", "Loans booked", "放款笔数", result.loans),
        Figure("loan_principal", "Principal booked", "放款本金", result.principal, "money"),
    ]
    metric, title = VINTAGE_CHARTS[0]
    roll = matrix_wide(result.roll_rates, "loans") if result.roll_rates.height else None
    view.sections += [
        Section(
            "Vintage",
            "账龄曲线",
            [vintage_figure(result, metric, title)],
            html_table(result.vintage, 50),
        ),
        Section(
            "Roll rates",
            "迁徙率",
            [roll_figure(result, "share", "Roll-rate matrix by count")],
            html_table(roll) if roll is not None else "",
        ),
        Section(
            "Flow rates / buckets",
            "逾期桶流转",
            [flow_figure(result)],
            html_table(result.flow_rates, 50),
        ),
        Section(
            "First payment default",
            "首期逾期",
            [fpd_figure(result.fpd_by_channel, "channel")],
            html_table(result.fpd_total) + html_table(result.fpd_by_channel),
        ),
    ]
    return view


def fraud(ctx: Context) -> PageView:
    """Daily fraud-rule hits of the stored decisions, the analysts' cases, and the largest
    ring of applicants sharing a device, drawn with masked phones."""
    from zhudai.fraud.cases import FraudCases

    view = PageView(BY_NAME["fraud"])
    hits = store_views.daily_fraud_hits(ctx.url)
    fig = go.Figure()
    for rule in sorted(set(hits["rule"].to_list())):
        part = hits.filter(pl.col("rule") == rule)
        fig.add_trace(go.Scatter(x=part["day"].to_list(), y=part["n"].to_list(), name=rule))
    fig.update_layout(title="Fraud rule hits per day / 每日欺诈规则命中")
    view.figures.append(
        Figure("fraud_hits_total", "Fraud hits", "欺诈命中合计", int(hits["n"].sum()))
    )
    view.sections.append(Section("Rule hit trends", "规则命中趋势", [fig]))
    cases = FraudCases(ctx.url).cases(None, 200)
    case_rows = pl.DataFrame(
        [
            {"id": c.id, "subject": c.subject, "status": c.status, "opened_by": c.opened_by}
            for c in cases
        ],
        schema={"id": pl.Int64, "subject": pl.Utf8, "status": pl.Utf8, "opened_by": pl.Utf8},
    )
    view.sections.append(Section("Cases and alerts", "案件与预警", [], html_table(case_rows)))
    ring = store_views.largest_device_ring(ctx.url)
    if ring is not None:
        view.figures.append(Figure("ring_members", "Ring members", "团伙成员数", len(ring.members)))
        view.sections.append(
            Section(
                f"Ring on device {ring.device}",
                "共用设备团伙",
                [ring.figure()],
                html_table(pl.DataFrame({"member": ring.members})),
            )
        )
    return view


def models(ctx: Context) -> PageView:
    """Registered model versions with their report metrics (AUC, KS), the WOE of a card's
    first features, and the weekly score PSI per policy version, shifted weeks marked."""
    from zhudai.monitoring.stability import PSI_SHIFTED

    view = PageView(BY_NAME["models"])
    rows = []
    for info in ctx.decisions.models().versions():
        meta = json.loads((info.path / "model.json").read_text("utf-8"))
        row: dict[str, str | float] = {
            "model": f"{info.name}@v{info.version}",
            "status": info.status,
            "type": info.model_type,
        }
        for part, values in (meta.get("metrics") or {}).items():
            if isinstance(values, dict):
                for m in ("auc", "ks"):
                    if isinstance(values.get(m), int | float):
                        row[f"{part}_{m}"] = float(values[m])
                        view.figures.append(
                            Figure(
                                f"{info.name}@v{info.version}:{part}_{m}",
                                f"{info.name} v{info.version} {part} {m.upper()}",
                                "",
                                float(values[m]),
                                "ratio",
                            )
                        )
        rows.append(row)
        roc = _development_roc(meta, f"{info.name} v{info.version}")
        if roc is not None:
            view.sections.append(
                Section(f"ROC of {info.name} v{info.version}", "开发样本ROC曲线", [roc])
            )
        woe = _woe_figure(meta, f"{info.name} v{info.version}")
        if woe is not None:
            view.sections.append(Section(f"WOE of {info.name} v{info.version}", "分箱WOE", [woe]))
    view.sections.insert(
        0, Section("Model versions", "模型版本", [], html_table(pl.DataFrame(rows)))
    )
    scored = store_views.scored_decisions(ctx.url)
    view.sections += score_sections(view, scored)
    psi = store_views.score_psi(ctx.url)
    if psi.height:
        fig = go.Figure()
        for unit in sorted(set(psi["unit"].to_list())):
            part = psi.filter(pl.col("unit") == unit)
            shifted = [v is not None and v >= PSI_SHIFTED for v in part["psi"].to_list()]
            fig.add_trace(
                go.Scatter(
                    x=part["end"].to_list(),
                    y=part["psi"].to_list(),
                    name=unit,
                    mode="lines+markers",
                    marker={
                        "color": ["crimson" if s else "steelblue" for s in shifted],
                        "size": [12 if s else 6 for s in shifted],
                    },
                )
            )
        fig.add_hline(y=PSI_SHIFTED, line_dash="dash", annotation_text="shifted")
        fig.update_layout(title="Weekly score PSI per policy version (red: shifted) / 每周评分PSI")
        view.figures.append(
            Figure(
                "psi_shifted_weeks",
                "Shifted weeks",
                "漂移周数",
                int((psi["psi"] >= PSI_SHIFTED).sum()),
            )
        )
        view.sections.append(
            Section("Score PSI over time", "评分稳定性", [fig], html_table(psi, 100))
        )
    return view


def score_sections(view: PageView, scored: pl.DataFrame) -> list[Section]:
    """The score distribution of each policy version's stored decisions, and its ROC on those
    the loan book has judged (``scored``: ``unit, score, bad``; the registry keeps no scored
    sample, so the store's decisions are the sample); adds the AUC and KS figures."""
    from zhudai.scorecard import metrics

    scored = scored.filter(pl.col("score").is_not_null())
    if not scored.height:
        return []
    dist, curves = go.Figure(), []
    for unit in sorted(set(scored["unit"].to_list())):
        part = scored.filter(pl.col("unit") == unit)
        view.figures.append(Figure(f"scored:{unit}", f"{unit} scored", "已评分", part.height))
        dist.add_trace(go.Histogram(x=part["score"].to_list(), name=unit, opacity=0.6))
        judged = part.filter(pl.col("bad").is_not_null())
        y = judged["bad"].cast(pl.Int8).to_numpy()
        if judged.height and 0 < y.sum() < len(y):
            risk = judged["score"].to_numpy()
            fpr, tpr = metrics.roc_curve(y, risk)
            auc, ks = metrics.auc(y, risk), metrics.ks(y, risk)
            curves.append((f"{unit} AUC {auc:.3f} (n {len(y)})", fpr, tpr))
            view.figures += [
                Figure(f"roc:{unit}:auc", f"{unit} AUC (book)", "", auc, "ratio"),
                Figure(f"roc:{unit}:ks", f"{unit} KS (book)", "", ks, "ratio"),
            ]
    dist.update_layout(title="Score (PD) of stored decisions / 决策评分分布", barmode="overlay")
    sections = [Section("Score distribution", "评分分布", [dist])]
    if curves:
        roc = roc_figure(curves, "ROC on the book's outcomes / ROC曲线")
        sections.append(Section("ROC", "ROC曲线", [roc]))
    else:
        sections.append(
            Section("ROC", "ROC曲线", [], "",
                    "No scored decision has an outcome in the loan book yet (a loan is judged "
                    "once its sixth installment is 30 days due).")
        )  # fmt: skip
    return sections


def _development_roc(meta: dict[str, Any], title: str) -> go.Figure | None:
    """The ROC of each sample the model was developed on (train, test, out of time), from the
    curve points its ``model.json`` keeps; ``None`` for a model saved before they were kept."""
    curves = meta.get("roc") or {}
    if not curves:
        return None
    named = []
    for part, points in curves.items():
        auc = ((meta.get("metrics") or {}).get(part) or {}).get("auc")
        name = f"{part} AUC {auc:.3f}" if isinstance(auc, int | float) else part
        named.append((name, points["fpr"], points["tpr"]))
    return roc_figure(named, f"{title}: ROC of its development samples / 开发样本ROC")


def _woe_figure(meta: dict[str, Any], title: str, top: int = 4) -> go.Figure | None:
    """WOE by bin of the card's ``top`` features by IV (from its ``model.json`` bins)."""
    bins = meta.get("bins")
    if not isinstance(bins, dict):
        return None
    specs = [b for b in bins.values() if isinstance(b, dict) and b.get("woe") and b.get("labels")]
    specs.sort(key=lambda b: -float(b.get("iv") or 0))
    fig = go.Figure()
    for spec in specs[:top]:
        fig.add_trace(
            go.Bar(
                x=[f"{spec['name']}: {label}" for label in spec["labels"]],
                y=spec["woe"],
                name=f"{spec['name']} (IV {float(spec.get('iv') or 0):.3f})",
            )
        )
    if not fig.data:
        return None
    fig.update_layout(title=f"WOE by bin, {title} (top {top} features by IV)")
    return fig


def policies(
    ctx: Context,
    name: str | None = None,
    a: int | None = None,
    b: int | None = None,
    application: str | None = None,
) -> PageView:
    """The stored policy versions, the diff of two versions of one policy (default: the last
    two), their back-test on the policy's stored decisions, the champion/challenger results,
    and, for an ``application`` id, its stored decision trace."""
    store = ctx.decisions.store
    view = PageView(BY_NAME["policies"])
    infos = store.versions()
    table = pl.DataFrame(
        [
            {
                "policy": i.name,
                "version": i.version,
                "status": i.status,
                "hash": i.content_hash[:12],
            }
            for i in infos
        ]
    )
    view.figures.append(Figure("policy_versions", "Policy versions", "策略版本数", len(infos)))
    view.sections.append(Section("Versions", "版本", [], html_table(table)))
    names = sorted({i.name for i in infos})
    chosen = (
        name
        if name in names
        else next(
            (n for n in names if len([i for i in infos if i.name == n]) > 1),
            names[0] if names else None,
        )
    )
    if chosen is not None:
        numbers = sorted(i.version for i in infos if i.name == chosen)
        old = a if a in numbers else numbers[-2] if len(numbers) > 1 else numbers[0]
        new = b if b in numbers else numbers[-1]
        lines = difflib.unified_diff(
            store.get(chosen, old)[0].text.splitlines(),
            store.get(chosen, new)[0].text.splitlines(),
            f"{chosen}@v{old}",
            f"{chosen}@v{new}",
            lineterm="",
        )
        diff = "\n".join(lines) or "(identical)"
        view.sections.append(
            Section(
                f"Diff {chosen} v{old} → v{new}",
                "版本差异",
                [],
                f"<pre class='diff'>{html.escape(diff)}</pre>",
            )
        )
        labels = None if ctx.as_of is None else book_labels(ctx.as_of, ctx.url)
        _backtest(ctx, view, chosen, old, new, labels)
        arms = store_views.variant_results(ctx.url, chosen, labels)
        for r in arms.iter_rows(named=True):
            view.figures.append(
                Figure(f"arm:{r['arm']}:approval_rate", f"{r['arm']} approval", "",
                       r["approval_rate"], "rate")
            )  # fmt: skip
        view.sections.append(
            Section(
                f"Champion / challenger: {chosen}",
                "冠军/挑战者结果",
                [],
                html_table(arms),
                "Stored decisions per arm; bad rate over approvals the loan book has judged.",
            )
        )
    view.extra["policy_names"], view.extra["policy"] = names, chosen
    if application:
        _trace(ctx, view, application)
    return view


def _backtest(
    ctx: Context, view: PageView, policy: str, old: int, new: int, labels: pl.DataFrame | None
) -> None:
    """``policy`` v``new`` back-tested against v``old`` (alone when they are one version) on
    the inputs its stored decisions saw, the outcomes from the loan book."""
    from zhudai.decision.backtest import backtest
    from zhudai.origination.lookup import decided_inputs

    history = decided_inputs(policy, ctx.url)
    if history.empty:
        view.sections.append(Section("Back-test", "回测", [], "", "No stored decisions to replay."))
        return
    if labels is not None:
        bad = labels.rename({"application_id": "store_application_id"}).to_pandas()
        history = history.merge(bad, on="store_application_id", how="left")
    store = ctx.decisions.store
    against = store.compiled(policy, old) if old != new else None
    report = backtest(store.compiled(policy, new), history, against=against)
    stats = [s for s in (report.a, report.b) if s is not None]
    for s in stats:
        for col, kind in (("approval_rate", "rate"), ("expected_bad_rate", "rate"),
                          ("observed_bad_rate", "rate"), ("expected_profit", "money")):  # fmt: skip
            view.figures.append(
                Figure(f"backtest:{s.policy}:{col}", f"{s.policy} {col}", "", getattr(s, col), kind)
            )
    swaps = [s for s in (report.swap_in, report.swap_out) if s is not None]
    view.sections.append(
        Section(
            f"Back-test {policy} v{new}" + ("" if against is None else f" against v{old}"),
            "回测对比",
            [],
            html_table(pl.DataFrame([asdict(s) for s in stats]))
            + (html_table(pl.DataFrame([asdict(s) for s in swaps])) if swaps else ""),
            f"{len(history)} stored decisions re-decided; observed bad rate from the loan book.",
        )
    )


def _trace(ctx: Context, view: PageView, application: str) -> None:
    """The stored record of one application (as ``GET /v1/applications/{id}`` shows it to an
    analyst: personal data masked) and its decision's rule trace."""
    from zhudai.origination.lookup import stored_application

    try:
        stored = stored_application(application, ctx.url)
    except NotFoundError:
        view.sections.append(
            Section(f"Application {application}", "申请", [], "", "No such application.")
        )
        return
    decision = stored.get("decision") or {}
    trace = pl.DataFrame(
        [
            {k: str(step.get(k, "")) for k in ("step", "rule", "hit", "why")}
            for step in decision.get("trace") or []
        ],
        schema={"step": pl.Utf8, "rule": pl.Utf8, "hit": pl.Utf8, "why": pl.Utf8},
    )
    answer = stored.get("answer") or {}
    hits = sum(step.get("hit") is True for step in decision.get("trace") or [])
    view.figures += [
        Figure("trace_steps", "Trace steps", "轨迹步骤", trace.height),
        Figure("trace_hits", "Rules hit", "命中规则", hits),
    ]
    view.sections.append(
        Section(
            f"Decision trace of application {application}",
            "决策轨迹",
            [],
            html_table(trace, 1000),
            f"answer {answer.get('decision')} by {answer.get('policy_version')}; "
            f"decision {decision.get('decision_id')}",
        )
    )


def monitoring(ctx: Context) -> PageView:
    """The drift alerts of every policy version (the monitoring report on the store)."""
    report = store_views.monitoring_report(ctx.url)
    view = PageView(BY_NAME["monitoring"])
    if report is None:
        return view
    summary = report.summary()
    view.figures += [
        Figure("alerts", "Alerts", "预警数", summary["alerts"]),
        Figure(
            "alerts_per_week", "Alerts per week", "每周预警", summary["alerts_per_week"], "ratio"
        ),
    ]
    view.sections.append(Section("Alerts", "预警", [], html_table(report.alerts, 200)))
    return view


def collections(ctx: Context) -> PageView:
    """Live cases by queue and the treatment the allocation gave them, the collectors' and
    agencies' recovery and compliance blocks (their scorecards on the book's call history),
    and the guard's blocks of proposed actions. A collector key sees its own queue only, as
    ``/v1/collections/cases`` answers it; the scorecards name collectors by the book's ids,
    not by queue, so a collector gets no scorecard rather than everyone's."""
    from zhudai.collections.allocation import load_allocation
    from zhudai.collections.case_book import CaseBook
    from zhudai.collections.scorecards import collector_scorecards

    own = None
    if ctx.caller.role is ApiRole.COLLECTOR:
        if not ctx.caller.tenant:
            raise PermissionError("a collector key needs its queue as tenant")
        own = ctx.caller.tenant
    view = PageView(BY_NAME["collections"])
    cases = CaseBook(ctx.url).live_cases(own)
    config = load_allocation()
    frame = pl.DataFrame(
        [
            {
                "queue": c.assigned_to or "unassigned",
                "treatment": _treatment(config, c.assigned_to),
                "bucket": c.bucket,
                "state": c.state.value,
            }
            for c in cases
        ],
        schema={"queue": pl.Utf8, "treatment": pl.Utf8, "bucket": pl.Utf8, "state": pl.Utf8},
    )
    view.figures.append(Figure("live_cases", "Live cases", "在催案件", len(cases)))
    by_queue = frame.group_by("queue", "treatment").len("cases").sort("queue")
    for r in by_queue.iter_rows(named=True):
        view.figures.append(
            Figure(f"queue:{r['queue']}:cases", f"{r['queue']} cases", "", r["cases"])
        )
    by_state = frame.group_by("bucket", "state").len("cases").sort("bucket", "state")
    fig = go.Figure(go.Bar(x=by_queue["queue"].to_list(), y=by_queue["cases"].to_list()))
    fig.update_layout(title="Live cases per queue / 各队列在催案件")
    view.sections += [
        Section("Allocation: live cases per queue", "分案策略：各队列案件", [fig],
                html_table(by_queue)),
        Section("Live cases by bucket and state", "按逾期桶和状态", [], html_table(by_state)),
    ]  # fmt: skip
    if own is not None:
        return view
    cards = collector_scorecards(ctx.url)
    if cards.height:
        teams = (
            cards.group_by("team")
            .agg(pl.col("calls").sum(), pl.col("recovered").sum(), pl.col("blocked").sum())
            .sort("team")
        )
        for r in teams.iter_rows(named=True):
            for col, kind in (("recovered", "money"), ("blocked", "count")):
                view.figures.append(
                    Figure(f"team:{r['team']}:{col}", f"{r['team']} {col}", "", r[col], kind)
                )
        recovery = go.Figure()
        for team in sorted(set(cards["team"].to_list())):
            part = cards.filter(pl.col("team") == team)
            recovery.add_trace(
                go.Bar(x=part["collector"].to_list(), y=part["recovered"].to_list(), name=team)
            )
        recovery.update_layout(title="Recovered per collector and agency (CNY) / 回收金额")
        recovery.update_xaxes(type="category")  # the book's collector ids are names
        view.sections.append(
            Section(
                "Collector and agency recovery",
                "催收员与委外机构回收",
                [recovery],
                html_table(teams) + html_table(cards),
                "The book's call history replayed through the compliance guard: blocked_<rule> "
                "counts the calls each rule would have stopped.",
            )
        )
    blocks = store_views.guard_blocks(ctx.url)
    view.figures.append(
        Figure("guard_blocked", "Proposals blocked", "合规拦截", int(blocks["n"].sum()))
    )
    view.sections.append(
        Section("Compliance blocks of proposed actions", "合规拦截记录", [], html_table(blocks))
    )
    view.sections += strategy_sections(view, load_comparison(ctx.home))
    return view


def strategy_sections(view: PageView, record: dict[str, Any] | None) -> list[Section]:
    """The last strategy comparison (``strategy_record``): both strategies on the same cases,
    the champion/challenger split, each queue, and the recovery curves; adds each strategy's
    recovered, cost and recovery per unit cost as figures. Nothing when none was saved."""
    if record is None:
        return []
    tables = {}
    for group in ("side_by_side", "champion_challenger"):
        tables[group] = pl.DataFrame(
            [{"strategy": name, **values} for name, values in record[group].items()]
        )
    for name, values in record["side_by_side"].items():
        for col, kind in (
            ("recovered", "money"),
            ("cost", "money"),
            ("recovery_per_cost", "ratio"),
        ):
            view.figures.append(
                Figure(f"strategy:{name}:{col}", f"{name} {col}", "", values[col], kind)
            )
    queues = pl.DataFrame(
        [
            {"strategy": s, "queue": q, **values}
            for s, by_queue in record["by_queue"].items()
            for q, values in by_queue.items()
        ]
    )
    curves = go.Figure()
    for name, curve in record["curves"].items():
        curves.add_trace(go.Scatter(x=list(range(len(curve))), y=curve, name=name))
    curves.update_layout(title="Recovered share by day since review / 回收率曲线",
                         xaxis_title="days since review", yaxis_title="recovered share")  # fmt: skip
    c = record["ccard"]
    note = (
        f"Simulated with the world's response model on {record['cases']:,} out-of-time cases "
        f"of the book as of {record['as_of']}, {record['runs']} runs each (money per run); "
        f"C-card out of time from {c['oot_from']}: AUC {c['auc']:.3f}, KS {c['ks']:.3f}. "
        f"Champion/challenger: a hash of the case sends {record['challenger_share']:.0%} to "
        "the challenger."
    )
    return [
        Section("Strategies: C-card against bucket-only", "催收策略对比", [curves],
                html_table(tables["side_by_side"]) + html_table(tables["champion_challenger"])
                + html_table(queues), note),
    ]  # fmt: skip


def _treatment(config: Any, queue: str | None) -> str:
    """The treatment whose queues hold ``queue`` (``"-"``: unassigned or unknown queue)."""
    try:
        return "-" if queue is None else str(config.treatment_of_queue(queue))
    except InvalidInputError:
        return "-"


#: Calls of the review queue a page shows (the API serves at most 500).
REVIEW_PAGE = 50


def callqa(ctx: Context) -> PageView:
    """The next calls of the review queue (``/v1/calls/queue`` order: severity, score, age),
    each transcript (masked when it was submitted) with its flagged evidence marked; the
    server page adds the verdict buttons, which record through the same queue."""
    from zhudai.callqa.review import FLAGGED, ReviewQueue

    items = ReviewQueue(url=ctx.url).next(REVIEW_PAGE)
    view = PageView(BY_NAME["callqa"])
    view.figures += [
        Figure("queued", "Calls to review (shown)", "待复核（本页）", len(items)),
        Figure("flagged", "Flagged", "命中", sum(i.queue == FLAGGED for i in items)),
        Figure("audit", "Audit sample", "抽检", sum(i.queue != FLAGGED for i in items)),
    ]
    table = pl.DataFrame(
        [
            {
                "call_id": i.call_id,
                "queue": i.queue,
                "severity": i.severity,
                "score": i.score,
                "started_at": i.started_at.isoformat(timespec="minutes"),
                "flags": ", ".join(sorted({str(f["type"]) for f in i.flags})),
            }
            for i in items
        ],
        schema={"call_id": pl.Utf8, "queue": pl.Utf8, "severity": pl.Int64,
                "score": pl.Float64, "started_at": pl.Utf8, "flags": pl.Utf8},
    )  # fmt: skip
    view.sections.append(Section("Review queue", "复核队列", [], html_table(table)))
    view.extra["calls"] = [
        {
            "call_id": i.call_id,
            "queue": i.queue,
            "severity": i.severity,
            "types": sorted({str(f["type"]) for f in i.flags}),
            "flags": i.flags,
            "transcript": highlight(i.transcript, i.flags),
        }
        for i in items
    ]
    return view


def highlight(text: str, flags: list[dict[str, Any]]) -> Markup:
    """``text`` escaped, each flag's ``[start, end)`` evidence in a ``<mark>`` naming its type
    (an overlapping flag marks only what the earlier one left)."""
    out, cursor = [], 0
    for f in sorted(flags, key=lambda f: (int(f["start"]), int(f["end"]))):
        start, end = max(int(f["start"]), cursor), min(int(f["end"]), len(text))
        if start >= end:
            continue
        out += [escape(text[cursor:start]),
                Markup('<mark class="flag" data-type="{}" title="{}">{}</mark>').format(
                    f["type"], f.get("explanation") or f["type"], text[start:end])]  # fmt: skip
        cursor = end
    out.append(escape(text[cursor:]))
    return Markup("").join(out)


#: The page builders that take only the context (applications pages on the server).
BUILDERS: dict[str, Callable[[Context], PageView]] = {
    "overview": overview,
    "acquisition": acquisition,
    "portfolio": portfolio,
    "fraud": fraud,
    "models": models,
    "policies": policies,
    "monitoring": monitoring,
    "collections": collections,
    "callqa": callqa,
}
