"""One application in, one decision out: the live origination pipeline.

validate -> idempotency -> edge (tokenise) -> own history -> pre-screen (fraud check on free
data + the pre-screen policy) -> providers (concurrently, each within its timeout) -> online
features -> models and the active policy -> funder routing (quota reserved atomically) -> one
transaction that writes the customer, the application, every provider answer as received, the
decision record and the answer -> the answer.

Nothing is written until the last stage, in a single transaction: an exception between any two
stages leaves the database as it was. In-process state (velocity, probing memory, the live
graph) records the attempt at the fraud stage, as it must for a retried application; the
velocity store de-duplicates by application id.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from zhudai.decision.engine import Decision
from zhudai.decision.service import DecisionService
from zhudai.exceptions import InvalidInputError
from zhudai.features.online import OnlineFeatureEngine
from zhudai.fraud.engine import FraudEngine
from zhudai.fraud.signals import FraudResult
from zhudai.money import money
from zhudai.origination.catalogue import Catalogue, ProductTerms, load_catalogue
from zhudai.origination.contract import (
    MAX_REASONS,
    ApplicationRequest,
    DecisionAnswer,
    FraudAnswer,
    FraudHitAnswer,
    Reason,
)
from zhudai.origination.edge import ProtectedApplication, protect
from zhudai.origination.graph_feed import GraphFeed
from zhudai.origination.history import ApplicantHistory, applicant_history
from zhudai.origination.inputs import FeatureSources, feature_inputs
from zhudai.origination.recorder import write_origination
from zhudai.origination.routing import (
    CheapestFirst,
    FunderRanking,
    RoutingRequest,
    route,
    settle,
)
from zhudai.parsing import parse_input
from zhudai.providers import ProviderAnswer, ProviderHub, ProviderQuery, ProviderStatus
from zhudai.store.db import AnswerHook, get_engine, write_transaction
from zhudai.store.models import Origination

#: Reason when an approved application fits no funder's appetite or quota (fail closed).
NO_FUNDER = "NO_FUNDER"
PIPELINE_REASON_TEXTS = {NO_FUNDER: "无资金方可承接 (no funder's appetite and quota fit)"}


@dataclass
class StageClock:
    """Milliseconds spent in each stage, in order."""

    started: float = field(default_factory=time.perf_counter)
    stages: dict[str, float] = field(default_factory=dict)
    _last: float = 0.0

    def __post_init__(self) -> None:
        self._last = self.started

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.stages[name] = round((now - self._last) * 1000, 4)
        self._last = now

    @property
    def total_ms(self) -> float:
        return (time.perf_counter() - self.started) * 1000


#: Called with the writing transaction's connection and a summary of what it writes (no
#: personal data), e.g. to append an audit entry that commits with the write.
AuditHook = Callable[[Connection, dict[str, Any]], None]


@dataclass(frozen=True)
class Screening:
    """The pre-screen's answer: the outcome on free data and the fraud check."""

    application_id: str
    decision: str
    reasons: list[Reason]
    fraud: FraudAnswer
    policy_version: str


_STORED_ANSWER = select(Origination.answer).where(
    Origination.external_id == bindparam("external_id")
)


class OriginationService:
    """The live pipeline; the CLI, the HTTP API and the demo all decide through it.

    Parameters
    ----------
    url : str
        The store.
    decisions : DecisionService
        Serves the active versions of ``policy`` and ``prescreen_policy``.
    fraud : FraudEngine
        Velocity, lists, probing, device/geo, the live graph and the fraud model.
    providers : ProviderHub
        The external data bought at decision time.
    features : OnlineFeatureEngine
        The same compiled feature plan as the batch and Spark engines.
    policy, prescreen_policy : str
        Names of the stored policies to decide with.
    """

    def __init__(
        self,
        url: str,
        decisions: DecisionService,
        fraud: FraudEngine,
        providers: ProviderHub,
        features: OnlineFeatureEngine,
        *,
        policy: str = "acard_default",
        prescreen_policy: str = "prescreen",
        fraud_inputs: Callable[[FraudResult], dict[str, Any]] | None = None,
        ranking: FunderRanking | None = None,
    ) -> None:
        self.url = url
        self.engine = get_engine(url)
        self.decisions = decisions
        self.fraud = fraud
        self.providers = providers
        self.features = features
        self.sources = FeatureSources(features.feature_set)
        self.policy_name = policy
        self.prescreen_name = prescreen_policy
        self.fraud_inputs = fraud_inputs or _fraud_inputs
        self.ranking = ranking or CheapestFirst()
        self._catalogue: Catalogue | None = None
        self._texts: dict[str, str] = {}
        self.graph_feed = GraphFeed(self.engine, fraud)

    # -- reference data ----------------------------------------------------------------
    @property
    def catalogue(self) -> Catalogue:
        if self._catalogue is None:
            self.refresh()
        assert self._catalogue is not None
        return self._catalogue

    def refresh(self) -> None:
        """Re-read the catalogue and the reason texts (after a catalogue or policy change)."""
        with Session(self.engine) as s:
            self._catalogue = load_catalogue(s)
        texts = dict(PIPELINE_REASON_TEXTS)
        for name in (self.prescreen_name, self.policy_name):
            policy = self.decisions.policy(name)
            texts |= policy.document.reason_texts
            for sub in policy.flow.sub_policies:
                texts |= self.decisions.store.compiled(sub.split(":")[0]).document.reason_texts
        self._texts = texts

    # -- the live path ------------------------------------------------------------------
    def decide(
        self,
        data: Mapping[str, Any] | ApplicationRequest,
        *,
        audit: AuditHook | None = None,
        keep: AnswerHook | None = None,
    ) -> DecisionAnswer:
        """Decide one application (or return the stored answer if its id was decided before).

        ``audit(conn, summary)``, if given, runs inside the transaction that writes the
        decision, so its entry commits with it or not at all; so does ``keep(conn, answer)``
        with the answer as stored (JSON; ``latency_ms`` measured up to the write)."""
        clock = StageClock()
        req = parse_input(ApplicationRequest, data)
        clock.lap("validate")
        with self.engine.connect() as conn:  # one connection for both reads
            stored = _stored_answer(conn, req.application_id)
            if stored is not None:
                return stored
            app, channel_id, product, history = self._edge(conn, req, clock)
        clock.lap("history")
        fraud, screen = self._prescreen(app, product, history)
        clock.lap("prescreen")
        answers: dict[str, ProviderAnswer] = {}
        decision, shadow = screen, None
        if screen.outcome.value != "reject":
            answers = self.providers.fetch_all(
                ProviderQuery(
                    application_id=app.request_id,
                    as_of=app.applied_at,
                    id_token=app.id_token,
                    phone_token=app.phone_token,
                    card_token=app.card_token,
                    ip=app.ip,
                )
            )
            clock.lap("providers")
            sim = answers.get("telecom")
            sim_age = sim.data.get("sim_age_days") if sim and sim.data else None
            if sim_age is not None:
                fraud = self.fraud.rescore(fraud, {"sim_age_days": float(sim_age)})
            inputs = feature_inputs(app, channel_id, history, answers)
            values = self.features.compute(inputs.events, app.local_time, inputs.static)
            for name in self.sources.absent(inputs):
                del values[name]
            clock.lap("features")
            decision, shadow = self.decisions.evaluate(
                self.policy_name,
                {**values, **self._policy_inputs(app, answers), **self.fraud_inputs(fraud)},
            )
            clock.lap("decide")
        return self._finish(
            app, channel_id, history, fraud, answers, decision, shadow, clock, audit, keep
        )

    def screen(self, data: Mapping[str, Any] | ApplicationRequest) -> Screening:
        """The fraud check and the pre-screen of one application on free data only (device,
        IP, lists, velocity, probing, declared data): no provider is paid, nothing is stored."""
        clock = StageClock()
        req = parse_input(ApplicationRequest, data)
        with self.engine.connect() as conn:
            app, _, product, history = self._edge(conn, req, clock)
        fraud, decision = self._prescreen(app, product, history)
        return Screening(
            application_id=app.request_id,
            decision=decision.outcome.value,
            reasons=[
                Reason(code=c, text=self._text(c)) for c in decision.reason_codes[:MAX_REASONS]
            ],
            fraud=self._fraud_answer(fraud),
            policy_version=f"{decision.policy_name}@{decision.policy_version}",
        )

    def _edge(
        self, conn: Connection, req: ApplicationRequest, clock: StageClock
    ) -> tuple[ProtectedApplication, int, ProductTerms, ApplicantHistory]:
        """Catalogue codes checked, personal data tokenised, the applicant's own history read."""
        catalogue = self.catalogue
        channel_id = catalogue.channel_id(req.channel)
        product = catalogue.product(req.product)
        app = protect(req)
        clock.lap("edge")
        return (
            app,
            channel_id,
            product,
            applicant_history(conn, app.id_token, app.device_id, app.local_time),
        )

    def _prescreen(
        self, app: ProtectedApplication, product: ProductTerms, history: ApplicantHistory
    ) -> tuple[FraudResult, Decision]:
        """The fraud check on free data and the pre-screen policy's decision."""
        fraud = self.fraud.check(self._fraud_record(app, history, sim_age_days=None))
        screen_inputs = {
            "age": app.age,
            "province": app.province,
            "amount_requested": app.amount,
            "amount_in_range": product.min_amount <= app.amount <= product.max_amount,
            "term_offered": app.term_months in product.terms,
            "is_emulator": app.is_emulator,
            "is_rooted": app.is_rooted,
            "id_number_token": app.id_token,
            "id_number_valid": True,
            **self.fraud_inputs(fraud),
        }
        screen, _ = self.decisions.evaluate(self.prescreen_name, screen_inputs)
        return fraud, screen

    def _finish(
        self,
        app: ProtectedApplication,
        channel_id: int,
        history: ApplicantHistory,
        fraud: FraudResult,
        answers: Mapping[str, ProviderAnswer],
        decision: Decision,
        shadow: Decision | None,
        clock: StageClock,
        audit: AuditHook | None,
        keep: AnswerHook | None = None,
    ) -> DecisionAnswer:
        """Route to a funder, then write everything in one transaction and answer."""
        outcome = decision.outcome.value
        limit = decision.credit_limit
        reasons = list(decision.reason_codes)
        try:
            with write_transaction(self.engine) as conn:
                funder = None
                amount = None
                if outcome == "approve" and limit is not None and decision.apr is not None:
                    amount = money(min(app.amount, limit))
                    request = _routing_request(app, decision, answers, float(amount))
                    funder = route(
                        conn,
                        self.ranking.rank(self.catalogue.funders, request),
                        grade=request.grade,
                        score=request.score,
                        apr=decision.apr,
                        product=app.product,
                        day=app.local_time.date(),
                        amount=amount,
                    )
                    if funder is None:  # approved by the platform, but no bank can take it
                        outcome = "review"
                        reasons.insert(0, NO_FUNDER)
                clock.lap("routing")
                answer = self._answer(app, decision, fraud, outcome, reasons, funder, clock)
                extra = {
                    "origination": {
                        "application_id": app.request_id,
                        "stages_ms": dict(clock.stages),
                        "providers": {n: a.status.value for n, a in answers.items()},
                        "provider_cost": round(sum(a.cost for a in answers.values()), 2),
                        "outcome": outcome,
                        "reasons": reasons,
                        "fraud": answer.fraud.model_dump(mode="json"),
                    }
                }
                kept = answer.model_dump(mode="json")
                write_origination(
                    conn,
                    app,
                    channel_id,
                    history,
                    answers,
                    decision,
                    shadow,
                    outcome,
                    extra,
                    kept,
                    (funder.id, amount) if funder is not None and amount is not None else None,
                )
                if audit is not None:
                    audit(
                        conn,
                        {
                            "application_id": app.request_id,
                            "decision_id": answer.decision_id,
                            "decision": outcome,
                            "channel": app.channel,
                            "funder": answer.funder,
                            "policy_version": answer.policy_version,
                        },
                    )
                if keep is not None:
                    keep(conn, kept)
        except IntegrityError:
            stored = self.answer_of(app.request_id)  # a concurrent twin won the race
            if stored is None:
                raise
            return stored
        self.fraud.record_outcome(self._fraud_record(app, history, None), outcome == "reject")
        answer.latency_ms = round(clock.total_ms, 3)
        return answer

    def _answer(
        self,
        app: ProtectedApplication,
        decision: Decision,
        fraud: FraudResult,
        outcome: str,
        reasons: list[str],
        funder: Any,
        clock: StageClock,
    ) -> DecisionAnswer:
        granted = outcome in ("approve", "review")
        return DecisionAnswer(
            application_id=app.request_id,
            decision_id=decision.decision_id,
            decision=outcome,  # type: ignore[arg-type]
            credit_limit=decision.credit_limit if granted else None,
            apr=decision.apr if granted else None,
            term_months=decision.term_months if granted else None,
            funder=funder.code if funder else None,
            reasons=[Reason(code=c, text=self._text(c)) for c in reasons[:MAX_REASONS]],
            fraud=self._fraud_answer(fraud),
            policy_version=f"{decision.policy_name}@{decision.policy_version}",
            latency_ms=round(clock.total_ms, 3),
        )

    def _fraud_answer(self, fraud: FraudResult) -> FraudAnswer:
        return FraudAnswer(
            score=fraud.fraud_score if self.fraud.model is not None else None,
            hits=[
                FraudHitAnswer(rule=h.rule, severity=h.severity.value, reason=h.explanation)
                for h in fraud.hits
            ],
        )

    def _text(self, code: str) -> str:
        if code in self._texts:
            return self._texts[code]
        if code.startswith("SC_"):
            return f"评分卡主要扣分项: {code[3:]} (scorecard: {code[3:]})"
        if code.startswith("MISSING_"):
            return f"缺少输入, 转人工 (missing input: {code[8:].lower()}; reviewed)"
        return code

    # -- reads and the funder's decision -------------------------------------------------
    def answer_of(self, application_id: str) -> DecisionAnswer | None:
        """The stored answer of a decided application id, if any."""
        with self.engine.connect() as conn:
            return _stored_answer(conn, application_id)

    def record_funder_decision(
        self, application_id: str, accepted: bool, *, audit: AuditHook | None = None
    ) -> str:
        """The recommended funder's own decision: books (accepted) or releases (refused) the
        reserved quota; returns the new funder status (``audit`` as in :meth:`decide`)."""
        if not isinstance(accepted, bool):
            raise InvalidInputError("accepted", f"must be true or false; got {accepted!r}")
        with self.engine.begin() as conn:
            status = settle(conn, application_id, accepted).value
            if audit is not None:
                audit(conn, {"application_id": application_id, "funder_status": status})
            return status

    # -- helpers --------------------------------------------------------------------------
    def _fraud_record(
        self, app: ProtectedApplication, history: ApplicantHistory, sim_age_days: float | None
    ) -> dict[str, Any]:
        """The fraud engine's view of the application (tokens, device, network, place)."""
        return {
            "application_id": app.request_id,
            "applied_at": app.local_time,
            "amount_requested": app.amount,
            "term_months": app.term_months,
            "product_code": app.product,
            "device_id": app.device_id,
            "is_emulator": app.is_emulator,
            "is_rooted": app.is_rooted,
            "device_first_seen_at": history.device_first_seen_at,
            "sim_age_days": sim_age_days,
            "ip": app.ip,
            "ip_prefix24": app.ip_prefix24,
            "gps_lat": app.gps_lat,
            "gps_lon": app.gps_lon,
            "geohash6": app.geohash6,
            "declared_city": app.city,
            "id_token": app.id_token,
            "phone_token": app.phone_token,
            "card_token": app.card_token,
            "employer_id": app.employer,
            "contact_phone_tokens": app.contact_phone_tokens,
        }

    def _policy_inputs(
        self, app: ProtectedApplication, answers: Mapping[str, ProviderAnswer]
    ) -> dict[str, Any]:
        """The policy's own inputs beside the features: declared data, bureau facts (absent
        when their provider failed), the thin-file flag and every provider's status."""
        out: dict[str, Any] = {
            "id_number_token": app.id_token,
            "id_number_valid": True,
            "age": app.age,
            "province": app.province,
            "income_monthly": app.monthly_income,
            "amount_requested": app.amount,
            "term_requested": app.term_months,
            "is_emulator": app.is_emulator,
            "is_rooted": app.is_rooted,
        }
        bureau = answers.get("bureau")
        out["thin_file"] = bureau is not None and bureau.status is ProviderStatus.NO_RECORD
        for name, answer in answers.items():
            out[f"provider.{name}"] = answer.status.value
        return out


def _stored_answer(conn: Connection, application_id: str) -> DecisionAnswer | None:
    stored = conn.scalar(_STORED_ANSWER, {"external_id": application_id})
    return None if stored is None else DecisionAnswer.model_validate(stored)


def _routing_request(
    app: ProtectedApplication,
    decision: Decision,
    answers: Mapping[str, ProviderAnswer],
    amount: float,
) -> RoutingRequest:
    """The approved offer as funder rankings see it."""
    bought = answers.get("multi_lending")
    multi = (
        bought.data.get("multi_lending_90d")
        if bought is not None and bought.status is ProviderStatus.DATA and bought.data
        else None
    )
    return RoutingRequest(
        application_id=app.request_id,
        amount=amount,
        term_months=decision.term_months or app.term_months,
        apr=float(decision.apr or 0.0),
        product=app.product,
        channel=app.channel,
        grade=decision.extras.get("grade"),
        score=_score(decision),
        pd=decision.pd,
        province=app.province,
        age=app.age,
        multi_lending=None if multi is None else int(multi),
        occupation=app.occupation,
    )


def _score(decision: Decision) -> float | None:
    """The first points score among the decision's model outputs (the A-card's)."""
    for outputs in decision.model_outputs.values():
        if outputs.get("score") is not None:
            return float(outputs["score"])
    return None


def _fraud_inputs(result: FraudResult) -> dict[str, Any]:
    """The policy's fraud inputs: the engine's hits under its (tuned) thresholds."""
    return result.policy_inputs()
