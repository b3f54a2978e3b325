"""Chinese collection-call transcripts, a known share of which break the collection rules.

Only human and agency calls have transcripts. Violations are labelled in truth: ``abuse``,
``threat``, ``third_party_disclosure`` (the debt told to a contact) and ``off_hours`` (a call
between 22:00 and 08:00, visible only in the start time). Some collectors are much more
prone to violations than others, as in real inspection data. Personal data in the text is
masked (``张*``, ``138****1234``). Clean calls also use words such as 征信 or 法律 in lawful
reminders, so a keyword match alone does not find violations.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import polars as pl

from zhudai.times import US_PER_DAY, US_PER_HOUR

#: The last three appear only in varied transcripts (:mod:`zhudai.world.transcripts_varied`).
VIOLATIONS = (
    "none",
    "abuse",
    "threat",
    "third_party_disclosure",
    "off_hours",
    "false_legal_threat",
    "impersonation",
    "contact_book_threat",
)
_COMPANY = "助贷平台"

_OPENING = (
    "您好，这里是{co}贷后服务中心，请问是{name}本人吗？",
    "喂，您好，我是{co}的客服专员，请问您是{name}吗？",
    "您好，打扰您了，这边是{co}还款提醒，请问是{name}吗？",
)
_CONFIRM = ("客户：是我，什么事？", "客户：嗯，你说。", "客户：对，是我。")
_BODY = (
    "您在我们平台的借款已经逾期{dpd}天，目前应还金额{amount}元，预留手机号{phone}。",
    "提醒您一下，您的账单逾期{dpd}天了，待还{amount}元，绑定的手机号是{phone}。",
)
_LAWFUL = (
    "逾期会按合同产生罚息，也可能影响您的个人征信记录。",
    "如果您对账单有疑问，可以拨打客服热线核实。",
    "我们可以帮您申请分期还款方案，依照法律和合同处理，请您理解。",
    "",
)
_ABUSE = (
    "你这种老赖真是不要脸，借钱不还算什么东西！",
    "你是不是脑子有病？欠钱不还还好意思接电话？",
    "废物一个，这点钱都还不上。",
)
_THREAT = (
    "今天不还钱，我们明天就派人去你单位找你领导，让你在公司待不下去。",
    "再不还，我们就把你的事发给你通讯录里所有人，让你身败名裂。",
    "你等着，我们有的是办法让你家里人不得安宁。",
)
_DISCLOSURE = (
    "您好，请问您认识{name}吗？我们是{co}的。\n联系人：认识，我是他朋友，怎么了？"
    "\n催收员：他在我们这借了钱，已经逾期{dpd}天，欠款{amount}元，你让他赶紧还钱！",
    "您好，您是{name}的家人吧？\n联系人：对，有什么事？"
    "\n催收员：他欠我们平台{amount}元逾期{dpd}天不还，您作为家属得督促他还款。",
)
_THIRD_PARTY_CLEAN = (
    "您好，请问您认识{name}吗？我们有重要事情找他，麻烦您转告他回电，谢谢。\n联系人：好的。",
)
_PROMISE = (
    "客户：好的，我这两天就还。",
    "客户：我明天发工资就还，不好意思。",
    "客户：行，我今天下午处理。",
)
_NO_PROMISE = (
    "客户：我现在真的没钱，再宽限几天吧。",
    "客户：我最近失业了，实在还不上。",
    "客户：知道了。",
)
_CLOSING = (
    "催收员：请您按时处理，感谢配合，再见。",
    "催收员：那我们这边做个记录，请务必按时还款，再见。",
)
_UNANSWERED = "系统：您拨打的电话暂时无人接听。"


@dataclass
class Calls:
    """Transcripts of one world: one row per human or agency call."""

    action: np.ndarray  # row in the collection actions
    collector_id: np.ndarray
    started_at: np.ndarray
    duration_s: np.ndarray
    violation: np.ndarray  # index into VIOLATIONS
    text: list[str]


def assign_violations(
    rng: np.random.Generator, is_agency: np.ndarray, contacted: np.ndarray, share: float
) -> tuple[np.ndarray, np.ndarray]:
    """Collector of each call and its violation, with the configured overall share.

    A collector's propensity is log-normal; the call-level probability is rescaled so that
    its mean over calls equals ``share``.
    """
    m = len(is_agency)
    n_house = max(5, m // 400)
    n_agency = max(3, m // 600)
    propensity = np.exp(rng.normal(0, 0.8, n_house + n_agency))
    who = np.where(is_agency, n_house + rng.integers(0, n_agency, m), rng.integers(0, n_house, m))
    collector_id = np.where(is_agency, 10_001 + who - n_house, 1 + who)
    w = propensity[who] * np.where(is_agency, 1.6, 1.0)
    p = np.clip(share * w / w.mean(), 0, 1) if m else w
    violating = rng.random(m) < p
    # Abuse and threats need the debtor on the line; unanswered calls can still be off-hours or
    # go to a contact who hears about the debt.
    kind = np.where(
        contacted, rng.choice([1, 2, 3, 4], m, p=[0.3, 0.25, 0.25, 0.2]), rng.choice([3, 4], m)
    )
    return collector_id.astype(np.int64), np.where(violating, kind, 0)


def call_times(
    rng: np.random.Generator, action_ts: np.ndarray, violation: np.ndarray
) -> np.ndarray:
    """Start times: the action's time, moved to 22:00-08:00 for off-hours violations."""
    night_hour = np.where(
        rng.random(len(action_ts)) < 0.5,
        rng.uniform(22.0, 23.9, len(action_ts)),
        rng.uniform(6.0, 7.9, len(action_ts)),
    )
    night = action_ts - action_ts % US_PER_DAY + (night_hour * US_PER_HOUR).astype(np.int64)
    start = np.where(violation == 4, night, action_ts)
    return start - start % 1_000_000


def transcript_texts(
    rng: np.random.Generator,
    violation: np.ndarray,
    contacted: np.ndarray,
    promise: np.ndarray,
    dpd: np.ndarray,
    amount: np.ndarray,
    name_masked: pl.Series,
    phone_masked: pl.Series,
) -> pl.Series:
    """Assemble each transcript from templates, column-wise (one Polars expression per line)."""
    m = len(violation)
    picks = {
        k: rng.integers(0, 6, m)
        for k in ("open", "confirm", "body", "lawful", "bad", "reply", "close")
    }
    cents = np.round(np.asarray(amount, dtype=np.float64) * 100).astype(np.int64)
    df = pl.DataFrame(
        {
            "name": name_masked,
            "phone": phone_masked,
            "dpd": pl.Series(dpd.astype(np.int64)).cast(pl.Utf8),
            "yuan": cents // 100,
            "fen": pl.Series(cents % 100).cast(pl.Utf8).str.zfill(2),
            "v": violation.astype(np.int64),
            "contacted": contacted.astype(bool),
            "promise": promise.astype(bool),
            "co": pl.Series([_COMPANY] * m, dtype=pl.Utf8),
            **{f"p_{k}": v for k, v in picks.items()},
        }
    ).with_columns(
        amount=pl.concat_str(
            pl.col("yuan").map_batches(_thousands, return_dtype=pl.Utf8), pl.lit("."), pl.col("fen")
        )
    )
    agent = "催收员："
    bad_line = (
        pl.when(pl.col("v") == 1)
        .then(pl.concat_str(pl.lit(agent), _choose(_ABUSE, "p_bad")))
        .when(pl.col("v") == 2)
        .then(pl.concat_str(pl.lit(agent), _choose(_THREAT, "p_bad")))
    )
    conversation = pl.concat_str(
        [
            pl.concat_str(pl.lit(agent), _choose(_OPENING, "p_open")),
            _choose(_CONFIRM, "p_confirm"),
            pl.concat_str(pl.lit(agent), _choose(_BODY, "p_body"), _choose(_LAWFUL, "p_lawful")),
            bad_line,
            pl.when(pl.col("promise"))
            .then(_choose(_PROMISE, "p_reply"))
            .otherwise(_choose(_NO_PROMISE, "p_reply")),
            _choose(_CLOSING, "p_close"),
        ],
        separator="\n",
        ignore_nulls=True,
    )
    disclosure = pl.concat_str(
        pl.lit(agent), _choose(_DISCLOSURE, "p_bad"), pl.lit("\n"), _choose(_CLOSING, "p_close")
    )
    not_reached = (
        pl.when(pl.col("p_lawful") % 2 == 0)
        .then(pl.concat_str(pl.lit(agent), _choose(_THIRD_PARTY_CLEAN, "p_lawful")))
        .otherwise(pl.lit(_UNANSWERED))
    )
    text = (
        pl.when(pl.col("v") == 3)
        .then(disclosure)
        .when(~pl.col("contacted"))
        .then(not_reached)
        .otherwise(conversation)
    )
    return df.select(text.alias("text"))["text"]


def _choose(templates: tuple[str, ...], pick: str) -> pl.Expr:
    """The template ``templates[pick % len]`` of each row, with ``{field}`` filled from columns."""
    k = len(templates)
    expr = _fill(templates[-1])
    for idx in range(k - 2, -1, -1):
        expr = pl.when(pl.col(pick) % k == idx).then(_fill(templates[idx])).otherwise(expr)
    return expr


def _fill(template: str) -> pl.Expr:
    parts = re.split(r"\{(\w+)\}", template)
    pieces = [pl.lit(p) if i % 2 == 0 else pl.col(p) for i, p in enumerate(parts) if p or i % 2]
    return pl.concat_str(pieces) if pieces else pl.lit("")


def _thousands(yuan: pl.Series) -> pl.Series:
    """``1234567`` -> ``1,234,567`` (collection amounts read as they are said)."""
    text = yuan.cast(pl.Utf8)
    return (
        text.str.reverse()
        .str.replace_all(r"(\d{3})", "$1,")
        .str.reverse()
        .str.strip_chars_start(",")
    )


def durations(rng: np.random.Generator, contacted: np.ndarray, violation: np.ndarray) -> np.ndarray:
    """Call length in seconds: short when unanswered, longer when heated."""
    m = len(contacted)
    talk = np.exp(rng.normal(np.log(150), 0.5, m)) * np.where(
        (violation == 1) | (violation == 2), 1.5, 1.0
    )
    return np.where(contacted, talk, rng.uniform(15, 45, m)).astype(np.int64)
