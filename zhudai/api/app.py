"""The FastAPI app: ``create_app()`` (uvicorn's factory) builds the origination service from
``ZHUDAI_HOME``, warms it up, freezes the start-up objects out of the garbage collector's
sweeps, and serves the routers behind one guard: request id, key, rate limit, idempotency,
masked access log and metrics."""

from __future__ import annotations

import asyncio
import gc
import logging
import re
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import orjson
from fastapi import FastAPI, Request, Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

import zhudai
from zhudai.api.deps import Services
from zhudai.api.errors import error_response, install_error_handlers
from zhudai.api.keys import ApiKeys, Principal
from zhudai.api.limits import (
    IdempotencyStore,
    PendingAnswer,
    StoredResponse,
    rate_limiter,
    request_hash,
    retry_after,
)
from zhudai.api.routes import (
    applications,
    calls,
    decisions,
    fraud,
    funders,
    loans,
    models,
    policies,
    reports,
    screening,
)
from zhudai.api.routes import collections as collection_routes
from zhudai.callqa.review import ReviewQueue
from zhudai.faults import fault_point
from zhudai.fraud.list_store import StoredLists
from zhudai.logs import log_off_thread
from zhudai.origination.pipeline import OriginationService
from zhudai.settings import Settings, get_settings

ACCESS_LOG = logging.getLogger("zhudai.api.access")
#: Paths served without a key.
OPEN_PATHS = frozenset(
    {"/v1/health", "/metrics", "/openapi.json", "/docs", "/docs/oauth2-redirect"}
)
_REQUEST_ID = re.compile(r"^[A-Za-z0-9_.\-]{1,64}$")
_MAX_IDEMPOTENCY_KEY = 128


class Health(BaseModel):
    status: str
    version: str


class _Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "zhudai_http_requests",
            "HTTP requests",
            ("method", "route", "status"),
            registry=self.registry,
        )
        self.latency = Histogram(
            "zhudai_http_request_seconds",
            "HTTP request latency",
            ("route",),
            buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5),
            registry=self.registry,
        )


def create_app(
    settings: Settings | None = None, service: OriginationService | None = None
) -> FastAPI:
    """The partner API on the store, models, policies and providers of ``settings.home``."""
    s = settings or get_settings()
    if service is None:
        from zhudai.origination.factory import build_service

        service = build_service(s)
    services = Services(
        origination=service,
        keys=ApiKeys(service.url),
        idempotency=IdempotencyStore(service.url),
        limiter=rate_limiter(s.api_rate, s.api_burst, s.redis_url),
        lists=StoredLists(service.url),
        reviews=ReviewQueue(url=service.url),
    )

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        service.refresh()  # catalogue, policies, reason texts: loaded before the first request
        # the store's lists and its history of applications (into the live graph) too: done
        # in the first sync, that load took seconds of CPU from the requests it raced, and
        # their ring scores were computed without the history
        _sync_once(services, service)
        syncing = asyncio.create_task(_sync_shared(services, service))
        gc.collect()
        gc.freeze()  # the start-up objects are never garbage: keep them out of every sweep
        writer = log_off_thread()  # a slow stderr must never block the event loop
        yield
        syncing.cancel()
        writer.stop()

    app = FastAPI(
        title="zhudai partner API",
        version=zhudai.__version__,
        description="The origination pipeline for banks and channels. Send `X-API-Key`; "
        "send `Idempotency-Key` on writes to retry them safely.",
        lifespan=lifespan,
    )
    app.state.services = services
    metrics = _Metrics()
    install_error_handlers(app)

    @app.middleware("http")
    async def guard(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        started = time.perf_counter()
        given = request.headers.get("x-request-id", "")
        request_id = given if _REQUEST_ID.match(given) else uuid.uuid4().hex
        principal: Principal | None = None
        path = request.url.path
        if path in OPEN_PATHS or not path.startswith("/v1/"):
            response = await call_next(request)
        else:
            key = request.headers.get("x-api-key")
            principal = await run_in_threadpool(services.keys.authenticate, key) if key else None
            if principal is None:
                response = error_response(401, "X-API-Key", "missing, unknown or revoked API key")
            elif wait := services.limiter.wait_for(principal.key_id):
                response = error_response(
                    429, "X-API-Key", "rate limit reached", {"Retry-After": retry_after(wait)}
                )
            else:
                request.state.principal = principal
                response = await _idempotent(request, principal, call_next, services)
        response.headers["X-Request-ID"] = request_id
        route = getattr(request.scope.get("route"), "path", "unmatched")
        seconds = time.perf_counter() - started
        metrics.requests.labels(request.method, route, str(response.status_code)).inc()
        metrics.latency.labels(route).observe(seconds)
        ACCESS_LOG.info(
            "%s %s %s",
            request.method,
            path,
            response.status_code,
            extra={
                "request_id": request_id,
                "key": principal.name if principal else None,
                "status": response.status_code,
                "ms": round(seconds * 1000, 3),
            },
        )
        return response

    @app.get("/v1/health", response_model=Health, tags=["operations"])
    def health() -> Health:
        """Liveness: the process answers (no key needed)."""
        return Health(status="ok", version=zhudai.__version__)

    @app.get("/metrics", tags=["operations"], response_class=Response)
    def prometheus() -> Response:
        """Request counts and latencies in the Prometheus text format."""
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    for module in (
        applications,
        calls,
        screening,
        fraud,
        funders,
        loans,
        collection_routes,
        decisions,
        policies,
        models,
        reports,
    ):
        app.include_router(module.router)
    from zhudai.web.routes import build_router

    app.include_router(build_router(s))  # the risk team's pages, outside /v1 (own sessions)
    return app


#: Seconds between two copies of the store's new list entries into this worker's fraud engine.
SYNC_SECONDS = 2.0


def _sync_once(services: Services, service: OriginationService) -> None:
    services.lists.sync(service.fraud.lists)
    service.graph_feed.catch_up()  # the applications the other workers decided
    if service.decisions.refresh():  # a policy or model another worker activated
        service.refresh()


async def _sync_shared(services: Services, service: OriginationService) -> None:
    """Every worker sees, within ``SYNC_SECONDS``, the list entries another worker stored, the
    applications it decided (in the live graph) and the policy and model versions it
    activated."""
    while True:
        await asyncio.sleep(SYNC_SECONDS)
        try:
            await run_in_threadpool(_sync_once, services, service)
        except Exception:  # a store hiccup: the next round tries again
            logging.getLogger("zhudai.api").exception("shared state sync failed")


async def _idempotent(
    request: Request,
    principal: Principal,
    call_next: Callable[[Request], Awaitable[Response]],
    services: Services,
) -> Response:
    """A write with an ``Idempotency-Key``: the same key and body get the stored answer again;
    the same key with another body is a 409. Only 2xx answers are kept (a refused request
    changed nothing, so its retry runs again)."""
    key = request.headers.get("idempotency-key")
    if request.method != "POST" or key is None:
        return await call_next(request)
    if not 0 < len(key) <= _MAX_IDEMPOTENCY_KEY:
        return error_response(
            422, "Idempotency-Key", f"must be 1 to {_MAX_IDEMPOTENCY_KEY} characters"
        )
    digest = request_hash(request.method, request.url.path, await request.body())
    stored = await run_in_threadpool(services.idempotency.get, principal.key_id, key)
    if stored is None:
        request.state.idempotency = PendingAnswer(principal.key_id, key, digest)
    else:
        if stored.request_hash != digest:
            return error_response(409, "Idempotency-Key", "already used with another request body")
        return Response(
            orjson.dumps(stored.body),
            status_code=stored.status_code,
            media_type="application/json",
            headers={"Idempotent-Replayed": "true"},
        )
    response = await call_next(request)
    body = b"".join([chunk async for chunk in response.body_iterator])  # type: ignore[attr-defined]
    # a crash here: the write committed -- with its answer where the route kept it in the
    # write's transaction (request.state.kept), else without -- and nothing sent
    fault_point("api.after_write")
    headers = dict(response.headers)
    if 200 <= response.status_code < 300:
        kept: StoredResponse | None = getattr(request.state, "kept", None)
        if kept is not None:  # send exactly what a retry will get
            body = orjson.dumps(kept.body)
            headers.pop("content-length", None)
        else:
            kept = StoredResponse(digest, response.status_code, orjson.loads(body))
            await run_in_threadpool(services.idempotency.put, principal.key_id, key, kept)
    return Response(body, status_code=response.status_code, headers=headers)
