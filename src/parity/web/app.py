"""The FastAPI app: ``create_app(settings)`` builds it; nothing is built at import time.

Routes: ``/`` (dashboard), ``/checks/{environment}/{name}`` (a check's page),
``/api/status``, ``/api/checks/{environment}/{name}``, ``/api/deploys`` (GET, POST),
``/api/maintenance`` (GET, POST), ``/api/alerts``, ``/metrics``, ``/healthz``; OpenAPI at
``/docs`` and ``/openapi.json``.

Every JSON error has one shape, made by :func:`error_body`::

    {"schema_version": 1, "ok": false, "error": "...", "status": 404}

Writes (POST) need ``Authorization: Bearer $PARITY_SERVE_TOKEN``, whatever the bind; with
no token configured on the server, writes are refused.
"""

# No "from __future__ import annotations": FastAPI reads the route signatures at runtime,
# and the dependency aliases are local to create_app.

import hmac
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Header, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from parity import __version__
from parity.config import Settings
from parity.errors import ConfigError, InputError, ParityError, TargetError
from parity.jobs.presence import WorkersReport, workers_report
from parity.jobs.settings import jobs_settings
from parity.monitor.defaults import checks_for
from parity.monitor.markers import mark_deploy, open_maintenance
from parity.monitor.records import MonitorRecords
from parity.monitor.scheduler import Scheduler
from parity.monitor.service import MonitorService, environment_facts
from parity.monitor.settings import CheckSpec, monitor_settings, parse_duration
from parity.monitor.status import build_status
from parity.monitor.status_cache import StatusCache
from parity.store import Store, open_store
from parity.store.clock import utc_now
from parity.web.metrics import render_metrics
from parity.web.pages import check_page, dashboard_page

__all__ = ["ApiError", "create_app", "error_body"]

log = logging.getLogger(__name__)


class ApiError(Exception):
    """An error the API answers with its one error shape."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def error_body(status: int, message: str) -> dict[str, Any]:
    """The one shape of every JSON error."""
    return {"schema_version": 1, "ok": False, "error": message, "status": status}


class DeployIn(BaseModel):
    """A deploy marker to record."""

    environment: str
    version: str | None = Field(default=None, max_length=200)
    note: str | None = Field(default=None, max_length=2000)


class MaintenanceIn(BaseModel):
    """A maintenance window to open from now."""

    environment: str
    duration: str | float = Field(description="seconds, or a duration such as 15m")
    reason: str = Field(default="maintenance", max_length=500)


#: How long the workers' report is served before it is read again.
_WORKERS_MAX_AGE_S = 3.0


def create_app(
    settings: Settings,
    *,
    store: Store | None = None,
    run_scheduler: bool = False,
    token: str | None = None,
    workers: int = 4,
) -> FastAPI:
    """The service for ``settings``.

    ``store``: an open state store (default: opened from ``[state] url`` at startup and
    closed at shutdown). ``run_scheduler``: probe the checks in-process (``parity serve``).
    ``token``: the write token (``PARITY_SERVE_TOKEN``); None refuses every write.
    """
    section = monitor_settings(settings)
    checks: dict[str, CheckSpec] = {
        c.key: c for c in checks_for(section, environment_facts(settings))
    }
    held: dict[str, Any] = {}
    # /api/status and the dashboard serve the report built last (see StatusCache): it is
    # rebuilt when the service stores a probe, after a write here, or once per interval.
    shortest = min(
        [section.interval_s, *(c.interval_s or section.interval_s for c in checks.values())]
    )
    status = StatusCache(lambda: build_status(settings, the_store()), max_age_s=shortest)
    broker = jobs_settings(settings).broker
    workers_seen: dict[str, Any] = {}

    def workers_now() -> WorkersReport:
        """The workers' report, read at most every few seconds (it asks the broker)."""
        now = time.monotonic()
        if workers_seen.get("at", -1e9) + _WORKERS_MAX_AGE_S <= now:
            workers_seen["report"] = workers_report(the_store(), broker)
            workers_seen["at"] = now
        found = workers_seen["report"]
        assert isinstance(found, WorkersReport)
        return found

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        opened = store or open_store(settings.state_url())
        held["store"] = opened
        scheduler = None
        service = None
        if run_scheduler:
            service = MonitorService(settings, opened, on_change=status.changed)
            scheduler = Scheduler(service.tasks(), workers=workers)
            scheduler.start()
            held["scheduler"] = scheduler
            held["service"] = service
        try:
            yield
        finally:
            if scheduler is not None:
                scheduler.stop()
            if service is not None:
                service.close()
            if store is None:
                opened.close()

    app = FastAPI(
        title="parity",
        version=__version__,
        description="Is it up, is it slow, are jobs failing, did the last deployment change"
        " anything: for every environment of parity.toml.",
        lifespan=lifespan,
    )

    def the_store() -> Store:
        found = held.get("store")
        if found is None:  # used without its lifespan (e.g. a bare ASGI transport)
            found = store or open_store(settings.state_url())
            held["store"] = found
        assert isinstance(found, Store)
        return found

    StoreDep = Annotated[Store, Depends(the_store)]

    def need_token(authorization: Annotated[str | None, Header()] = None) -> None:
        if not token:
            raise ApiError(403, "writes need PARITY_SERVE_TOKEN set where parity serve runs")
        given = (authorization or "").removeprefix("Bearer ").strip()
        if not hmac.compare_digest(given.encode(), token.encode()):
            raise ApiError(401, "a write needs the header Authorization: Bearer TOKEN")

    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> JSONResponse:
        return JSONResponse(error_body(exc.status, exc.message), status_code=exc.status)

    @app.exception_handler(ParityError)
    async def _parity_error(request: Request, exc: ParityError) -> JSONResponse:
        status = 400 if isinstance(exc, InputError | ConfigError) else 502
        if isinstance(exc, TargetError):
            status = 502
        return JSONResponse(error_body(status, exc.one_line()), status_code=status)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return JSONResponse(
            error_body(exc.status_code, str(exc.detail)), status_code=exc.status_code
        )

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {"loc": (), "msg": "invalid request"}
        where = ".".join(str(p) for p in first["loc"])
        return JSONResponse(error_body(422, f"{where}: {first['msg']}"), status_code=422)

    def _check(environment: str, name: str) -> CheckSpec:
        found = checks.get(f"{environment}/{name}")
        if found is None:
            raise ApiError(404, f"no check {environment}/{name}")
        return found

    def _environment(name: str) -> str:
        if name not in settings.environments:
            known = ", ".join(sorted(settings.environments)) or "none"
            raise ApiError(404, f"no environment named {name!r} (known: {known})")
        return name

    @app.get("/healthz", tags=["service"])
    def healthz() -> dict[str, Any]:
        """The service itself is running (says nothing about the sites)."""
        return {
            "schema_version": 1,
            "ok": True,
            "version": __version__,
            "scheduler": "running" if "scheduler" in held else "off",
            "checks": len(checks),
        }

    def _written() -> None:
        """A write through the app: the next report shows it."""
        status.invalidate()
        service = held.get("service")
        if isinstance(service, MonitorService):
            service.invalidate_windows()

    @app.get("/api/status", tags=["status"], response_model=dict[str, Any])
    def api_status(environment: Annotated[str | None, Query()] = None) -> Response:
        """The four answers of every environment (or of one), as of ``generated_at``:
        the report is rebuilt when a probe lands, after a write, or once per interval."""
        if environment is not None:
            _environment(environment)
        # Sent as built: the kept report's JSON, with no per-request validation.
        return Response(status.json(environment), media_type="application/json")

    @app.get("/api/checks/{environment}/{name}", tags=["status"])
    def api_check(
        environment: str, name: str, db: StoreDep, limit: Annotated[int, Query(ge=1, le=500)] = 50
    ) -> dict[str, Any]:
        """A check's recent probes, each condition's result, and its rollups (30 days)."""
        check = _check(environment, name)
        records = MonitorRecords(db)
        stored = records.states().get(check.key)
        since = utc_now() - timedelta(seconds=section.retention.rollups)
        return {
            "schema_version": 1,
            "ok": stored is None or stored.state.health != "down",
            "check": check.key,
            "environment": check.env,
            "name": check.name,
            "route": check.route,
            "conditions": list(check.conditions),
            "state": stored.state.as_dict() if stored else None,
            "slow": stored.slow.as_dict() if stored and stored.slow else None,
            "results": [r.as_dict() for r in records.recent_results(check.key, limit)],
            "rollups": [r.as_dict() for r in records.rollups(check.key, since)],
        }

    @app.get("/api/deploys", tags=["deploys"])
    def api_deploys(
        db: StoreDep, environment: Annotated[str | None, Query()] = None
    ) -> dict[str, Any]:
        """Deploy markers, newest first."""
        markers = MonitorRecords(db).markers(environment)
        return {"schema_version": 1, "ok": True, "deploys": [m.as_dict() for m in markers]}

    @app.post("/api/deploys", tags=["deploys"], status_code=201)
    def api_mark_deploy(
        body: DeployIn, db: StoreDep, _: Annotated[None, Depends(need_token)]
    ) -> dict[str, Any]:
        """Record a deploy marker and a drift snapshot (needs the token)."""
        _environment(body.environment)
        marker = mark_deploy(
            settings, db, body.environment, version=body.version, note=body.note, source="api"
        )
        _written()
        return {"schema_version": 1, "ok": True, "deploy": marker.as_dict()}

    @app.get("/api/maintenance", tags=["maintenance"])
    def api_windows(
        db: StoreDep, environment: Annotated[str | None, Query()] = None
    ) -> dict[str, Any]:
        """Maintenance windows, latest end first, and which are active."""
        now = utc_now()
        windows = MonitorRecords(db).windows(environment)
        return {
            "schema_version": 1,
            "ok": True,
            "windows": [{**w.as_dict(), "active": w.starts_at <= now < w.ends_at} for w in windows],
        }

    @app.post("/api/maintenance", tags=["maintenance"], status_code=201)
    def api_open_window(
        body: MaintenanceIn, db: StoreDep, _: Annotated[None, Depends(need_token)]
    ) -> dict[str, Any]:
        """Open a maintenance window from now (needs the token)."""
        _environment(body.environment)
        try:
            seconds = parse_duration(body.duration)
        except ValueError as exc:
            raise ApiError(422, f"duration: {exc}") from None
        window = open_maintenance(db, body.environment, seconds, reason=body.reason, source="api")
        _written()
        return {"schema_version": 1, "ok": True, "window": window.as_dict()}

    @app.get("/api/alerts", tags=["alerts"])
    def api_alerts(db: StoreDep, limit: Annotated[int, Query(ge=1, le=500)] = 50) -> dict[str, Any]:
        """The latest alerts and how their delivery went (never a webhook's URL)."""
        alerts = MonitorRecords(db).alerts(limit)
        return {"schema_version": 1, "ok": True, "alerts": [a.as_dict() for a in alerts]}

    @app.get("/api/workers", tags=["workers"])
    def api_workers() -> dict[str, Any]:
        """The workers up (``parity worker``), the batches of open runs (queued, and which
        worker runs which), and the broker's queue: messages waiting and delivered."""
        return {"schema_version": 1, "ok": True, **workers_now().as_dict()}

    @app.get("/metrics", tags=["service"], response_class=Response)
    def metrics(db: StoreDep) -> Response:
        """Prometheus text format."""
        return Response(
            render_metrics(settings, db, workers_now()),
            media_type="text/plain; version=0.0.4; charset=utf-8",
        )

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def dashboard(db: StoreDep) -> HTMLResponse:
        records = MonitorRecords(db)
        return HTMLResponse(
            dashboard_page(status.report(), records.markers(), records.windows(), workers_now())
        )

    @app.get("/checks/{environment}/{name}", response_class=HTMLResponse, include_in_schema=False)
    def check_html(environment: str, name: str, db: StoreDep) -> HTMLResponse:
        check = _check(environment, name)
        records = MonitorRecords(db)
        stored = records.states().get(check.key)
        since = utc_now() - timedelta(seconds=section.retention.rollups)
        detail = stored.state.as_dict() if stored else {}
        alerts = [a for a in records.alerts(200) if a.check_key == check.key][:20]
        html = check_page(
            check.key,
            check.route,
            records.recent_results(check.key, 50),
            records.rollups(check.key, since),
            alerts,
            detail,
        )
        return HTMLResponse(html)

    return app
