"""Varied collection-call transcripts (``WorldParams.varied_transcripts``, on at the
``realistic`` and ``hard`` difficulties): every violation type said in many phrasings, some in
words no fixed phrase list holds (paraphrases), clean calls that use the same words innocently
(我们不会上门, 您不会坐牢, the debtor's own fears, quoted rumours, a lawful court mention), and
ASR-like homophone typos (做牢 for 坐牢) in any line.

Each phrasing is a product of parts (subject x time x act x consequence), so one world holds
hundreds per type. The labels are the call's violation, as in the plain transcripts.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from zhudai.world import transcripts as plain

#: Index of each violation in :data:`zhudai.world.transcripts.VIOLATIONS`.
ABUSE, THREAT, DISCLOSURE, OFF_HOURS, FALSE_LEGAL, IMPERSONATION, CONTACT_BOOK = 1, 2, 3, 4, 5, 6, 7
# fmt: off
#: Kinds drawn for a violating call with the debtor on the line, and their shares.
_ANSWERED_KINDS = (
    (ABUSE, 0.16), (THREAT, 0.16), (FALSE_LEGAL, 0.16), (IMPERSONATION, 0.12),
    (CONTACT_BOOK, 0.12), (DISCLOSURE, 0.14), (OFF_HOURS, 0.14),
)
#: Share of violations said in a paraphrase (words outside the common phrasings).
PARAPHRASE_SHARE = 0.2
#: Chance that the ASR writes a homophone for a character it has one for.
TYPO_RATE = 0.15
_HOMOPHONES = {
    "坐": "做", "牢": "劳", "名": "明", "讯": "迅", "票": "漂", "院": "愿", "警": "井", "录": "路",
    "赖": "来", "逾": "于", "侦": "真", "罪": "最", "拘": "居", "刑": "型", "债": "寨",
}

_SUBJECT = ("我们", "我们公司", "我们这边", "我", "公司")
_WHEN = ("明天", "今天下午", "过两天", "马上", "这周", "晚上")
_ABUSE = (
    ("你", "你这个人", "说实话你", "你这种人", "就你"),
    ("真是个老赖", "简直不要脸", "脑子有病吧", "就是个废物", "算什么东西", "真是死皮赖脸",
     "丢人现眼", "就是个人渣", "穷鬼一个", "没出息的东西", "就是个赖皮", "混蛋一个"),
    ("！", "，借钱不还！", "，还好意思接电话？", "。", "，我看不起你。"),
)
_ABUSE_PARA = ("你爹妈怎么教出你这种人", "你活着还有什么用", "真替你家祖宗觉得丢脸",
               "你连条狗都不如", "像你这样的人早该被淘汰")
_THREAT = (
    _SUBJECT, _WHEN,
    ("就派人去你单位", "就上门找你", "就去你家里", "就到你老家去", "就去你公司找你领导",
     "就到你小区门口堵你", "就派人上门", "就去你老家找你父母"),
    ("，让你身败名裂。", "，让你在公司待不下去。", "，让你全家不得安宁。", "，后果自负。", "。",
     "，你走着瞧。", "，别怪我们不客气。"),
)
_THREAT_PARA = ("我们的人已经在你住的地方附近了", "你住哪我们清清楚楚", "出门的时候小心点",
                "晚上回家走路注意点", "你孩子在哪上学我们都知道")
_FALSE_LEGAL = (
    ("再不还", "你这是恶意拖欠", "今天不处理", "你再拖下去", "不还的话"),
    ("你就要坐牢", "法院传票明天就到", "马上给你上征信黑名单", "公安会来抓你",
     "我们已经刑事立案了", "你会被判刑", "法院马上强制执行", "就冻结你的银行卡",
     "你就是诈骗罪", "你要吃官司", "你就进失信名单"),
    ("。", "，到时候别后悔。", "，这可不是吓唬你。", "，你自己想清楚。"),
)
_FALSE_LEGAL_PARA = ("你这已经构成犯罪了", "等着警车来接你吧", "下半辈子就在里面过吧",
                     "以后你的身份证连高铁都坐不了", "你的孩子以后考不了公务员")
_IMPERSONATION = (
    ("我是", "我们是", "这边是", "我这边是", "我们这边是"),
    ("市公安局经侦支队的", "区人民法院执行局的", "派出所的民警", "律师事务所的律师",
     "检察院的工作人员", "法院的法官", "司法所的"),
    ("，现在正式通知你。", "，你的案子已经移交过来了。", "，请你配合调查。", "，你的事我们在处理。"),
)
_IMPERSONATION_PARA = ("这个电话是执法部门打给你的", "我们是有执法权的单位",
                       "我是办案人员，你的材料在我手上", "我代表司法机关正式通知你")
_CONTACT_BOOK = (
    ("再不还", "不还的话", "今天不处理", "你要是不接电话"),
    ("我们就把你的事发给你通讯录里所有人", "就给你所有联系人打电话", "就告诉你的家人和朋友",
     "就通知你的同事", "就挨个打电话给你的亲戚", "就群发给你手机里的人", "就打给你的家人"),
    ("，让大家都知道你欠钱不还。", "。", "，看你还有没有脸见人。"),
)
_CONTACT_BOOK_PARA = ("你手机里那些人的号码我们都有", "你爸妈的电话我们也有，要不要我们聊聊",
                      "你认识的人很快都会收到消息", "你单位里的人我们都联系得上")
_DISCLOSURE_OPEN = ("您好，请问您认识{name}吗？", "您好，您是{name}的家人吧？",
                    "您好，请问您是{name}的同事吗？", "喂，您好，是{name}的朋友吗？")
_CONTACT_REPLY = ("联系人：认识，我是他朋友，怎么了？", "联系人：对，有什么事？",
                  "联系人：是的，他怎么了？", "联系人：嗯，你们是哪里？")
_DISCLOSURE = (
    ("他在我们平台借了钱，已经逾期{dpd}天", "他欠我们平台{amount}元一直不还",
     "他的贷款逾期{dpd}天了，欠款{amount}元", "他拖欠我们的钱很久了",
     "他在我们这借款{amount}元没还", "他欠了一笔网贷"),
    ("，你让他赶紧还钱！", "，麻烦您督促他还款。", "。", "，您作为家属得管管他。"),
)
_DISCLOSURE_PARA = ("他有一笔账在我们这一直没结清", "他在我们这有笔钱到期了没处理",
                    "他答应我们的事到现在都没兑现，金额还不小")
_THIRD_PARTY_CLEAN = (
    "您好，请问您认识{name}吗？我们有重要事情找他，麻烦您转告他回电，谢谢。\n联系人：好的。",
    "您好，您是{name}的家人吧？有件事需要他本人处理，麻烦让他给我们回个电话。\n联系人：行。",
    "您好，请问{name}在吗？我们是{co}的客服，麻烦您转告他方便时回电。\n联系人：好，我跟他说。",
)
#: Clean lines that use a violation's words innocently (negated, quoted, lawful, the debtor's).
_INNOCENT = (
    "催收员：请您放心，我们不会上门，也不会打扰您的家人。",
    "催收员：逾期是民事纠纷，您不会坐牢，但会影响征信记录。",
    "催收员：网上说的“征信黑名单”并不存在，您按时还款就好。",
    "催收员：您担心会坐牢，其实不用这么紧张，我们可以协商。",
    "催收员：如果长期不还，我们可能依法向法院起诉，希望您尽快处理。",
    "催收员：您可以先向亲戚朋友周转一下。",
    "催收员：您的紧急联系人信息需要更新吗？",
    "催收员：我们不是警察，也不会联系您的领导，只是提醒您还款。",
    "催收员：您稍等，我帮您查一下账单。",
    "客户：你们是不是要上门？我会不会坐牢？\n催收员：不会的，我们只是提醒您按时还款。",
    "客户：你们这些人渣，天天打电话！\n催收员：理解您的心情，我们也是按规定提醒。",
    "催收员：请不要相信冒充公检法的诈骗电话，有疑问可以咨询律师。",
    "客户：你们是不是要打我通讯录？\n催收员：不会的，我们没有这样的做法。",
    "催收员：不存在传票的说法，您别担心，按合同还款就可以。",
)
# fmt: on
_UNANSWERED = plain._UNANSWERED
_AGENT = "催收员："


def assign_violations(
    rng: np.random.Generator, is_agency: np.ndarray, contacted: np.ndarray, share: float
) -> tuple[np.ndarray, np.ndarray]:
    """Collector and violation of each call: the plain world's collectors and shares, over the
    seven types (abuse and threats need the debtor on the line)."""
    collector, violating = plain.assign_violations(rng, is_agency, contacted, share)
    kinds = np.array([k for k, _ in _ANSWERED_KINDS])
    shares = np.array([p for _, p in _ANSWERED_KINDS])
    kind = np.where(
        contacted,
        rng.choice(kinds, len(contacted), p=shares / shares.sum()),
        rng.choice([DISCLOSURE, OFF_HOURS], len(contacted)),
    )
    return collector, np.where(violating > 0, kind, 0)


class _Draws:
    """Uniform draws of one call, taken in order: each ``pick`` consumes one."""

    def __init__(self, row: np.ndarray) -> None:
        self.row, self.i = row, 0

    def u(self) -> float:
        self.i += 1
        return float(self.row[self.i - 1])

    def pick(self, options: tuple[str, ...]) -> str:
        return options[min(int(self.u() * len(options)), len(options) - 1)]

    def phrase(self, parts: tuple[tuple[str, ...], ...]) -> str:
        return "".join(self.pick(p) for p in parts)


_BAD = {
    ABUSE: (_ABUSE, _ABUSE_PARA),
    THREAT: (_THREAT, _THREAT_PARA),
    FALSE_LEGAL: (_FALSE_LEGAL, _FALSE_LEGAL_PARA),
    IMPERSONATION: (_IMPERSONATION, _IMPERSONATION_PARA),
    CONTACT_BOOK: (_CONTACT_BOOK, _CONTACT_BOOK_PARA),
}


def _violation_line(d: _Draws, kind: int) -> str:
    parts, para = _BAD[kind]
    if d.u() < PARAPHRASE_SHARE:
        return _AGENT + d.pick(para) + d.pick(("。", "！", "，你自己掂量。"))
    return _AGENT + d.phrase(parts)


def _debtor_call(d: _Draws, kind: int, promise: bool, fill: dict[str, str]) -> str:
    lines = [
        _AGENT + d.pick(plain._OPENING),
        d.pick(plain._CONFIRM),
        _AGENT + d.pick(plain._BODY) + d.pick(plain._LAWFUL),
    ]
    if d.u() < 0.5:
        lines.append(d.pick(_INNOCENT))
    bad = _violation_line(d, kind) if kind in _BAD else None
    reply = d.pick(plain._PROMISE if promise else plain._NO_PROMISE)
    if bad is not None:
        lines.insert(3 + int(d.u() < 0.5), bad)
    lines += [reply, d.pick(plain._CLOSING)]
    return "\n".join(lines).format(**fill)


def _contact_call(d: _Draws, disclose: bool, fill: dict[str, str]) -> str:
    if not disclose:
        return (_AGENT + d.pick(_THIRD_PARTY_CLEAN)).format(**fill)
    said = d.pick(_DISCLOSURE_PARA) + "。" if d.u() < PARAPHRASE_SHARE else d.phrase(_DISCLOSURE)
    lines = [
        _AGENT + d.pick(_DISCLOSURE_OPEN),
        d.pick(_CONTACT_REPLY),
        _AGENT + said,
        d.pick(plain._CLOSING),
    ]
    return "\n".join(lines).format(**fill)


def _asr(d: _Draws, text: str) -> str:
    return "".join(
        _HOMOPHONES[ch] if ch in _HOMOPHONES and d.u() < TYPO_RATE else ch for ch in text
    )


def varied_texts(
    rng: np.random.Generator,
    violation: np.ndarray,
    contacted: np.ndarray,
    promise: np.ndarray,
    dpd: np.ndarray,
    amount: np.ndarray,
    name_masked: pl.Series,
    phone_masked: pl.Series,
) -> pl.Series:
    """One transcript per call, assembled from the phrasings above."""
    m = len(violation)
    draws = rng.random((m, 40))
    typos = rng.random((m, 400))
    yuan = plain._thousands(pl.Series((np.asarray(amount, dtype=np.float64) // 1).astype(np.int64)))
    out = []
    for i in range(m):
        fill = {
            "name": name_masked[i],
            "phone": phone_masked[i],
            "dpd": str(int(dpd[i])),
            "amount": yuan[i],
            "co": plain._COMPANY,
        }
        d, kind = _Draws(draws[i]), int(violation[i])
        if kind == DISCLOSURE:
            text = _contact_call(d, True, fill)
        elif not contacted[i]:
            text = _contact_call(d, False, fill) if d.u() < 0.5 else _UNANSWERED
        else:
            text = _debtor_call(d, kind, bool(promise[i]), fill)
        out.append(_asr(_Draws(typos[i]), text[:400]) + text[400:])
    return pl.Series("text", out, dtype=pl.Utf8)
