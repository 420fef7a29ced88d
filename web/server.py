"""The product's one HTTP server: a root aiohttp application with each part mounted on its own path.

Mounted now: /api/v1 (web/panic.py: the panic API and its OpenAPI document). Later parts mount beside it
in build_web_app: /healthz and /metrics (issue 13), the sandbox console. Started and stopped by
bot/compose.py's serve() when [http] enabled (the default), on [http] host and port."""

from __future__ import annotations

import errno
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from bot.app import DispatchApp
from bot.metrics import Metrics
from bot.settings import SettingsError
from routing.errors import RoutingError
from routing.geo import load_centres
from web.health import add_health_routes
from web.panic import panic_subapp

log = logging.getLogger(__name__)
WebPart = Callable[[web.Application], None]  # a part that mounts its own routes on the root
SHUTDOWN_TIMEOUT = 5.0


@dataclass
class HttpServer:
    runner: web.AppRunner
    url: str


def build_web_app(app: DispatchApp, metrics: Metrics | None = None,
                  extra: WebPart | None = None) -> web.Application:  # fmt: skip
    try:
        centres = load_centres(app.routing)
    except RoutingError as exc:
        raise SettingsError(exc.key, exc.problem) from None
    root = web.Application(middlewares=[_active_only(app)])
    root.add_subapp("/api/v1", panic_subapp(app, centres))
    add_health_routes(root, app, metrics)  # /healthz and /metrics
    if extra is not None:
        extra(root)  # the sandbox's training console, at / beside the product's own paths
    return root


def _active_only(app: DispatchApp) -> Any:
    """A standby (bot/standby.py) answers the API 503: what it stored would wait for the active's next
    pass instead of waking it, so the client (or the load balancer watching /healthz) goes to the active."""

    @web.middleware
    async def middleware(request: web.Request, handler: Any) -> web.StreamResponse:
        if app.role == "standby" and request.path.startswith("/api/"):
            return web.json_response({"error": "proses siaga (standby): kirim ke proses aktif"}, status=503,
                                     headers={"Retry-After": "1"})  # fmt: skip
        return await handler(request)  # type: ignore[no-any-return]

    return middleware


async def start_http(app: DispatchApp, metrics: Metrics | None = None,
                     extra: WebPart | None = None) -> HttpServer | None:  # fmt: skip
    """Listening when this returns; a port already in use is a settings error naming [http] port."""
    http = app.settings.http
    if not http.enabled:
        return None
    # On stop, a request in flight gets a few seconds to finish (its alert is committed or not at all).
    runner = web.AppRunner(
        build_web_app(app, metrics, extra), access_log=None, shutdown_timeout=SHUTDOWN_TIMEOUT
    )
    await runner.setup()
    site = web.TCPSite(runner, http.host, http.port)
    try:
        await site.start()
    except OSError as exc:
        await runner.cleanup()
        if exc.errno == errno.EADDRINUSE:
            raise SettingsError("http.port", f"{http.host}:{http.port} sudah dipakai program lain") from None
        raise SettingsError(
            "http.host", f"tidak bisa mendengarkan di {http.host}:{http.port} ({exc})"
        ) from None
    url = f"http://{http.host}:{http.port}"
    log.info("HTTP siap di %s (POST /api/v1/panic, GET /api/v1/openapi.json, /healthz, /metrics)", url)
    return HttpServer(runner, url)


async def stop_http(server: HttpServer | None) -> None:
    if server is not None:
        await server.runner.cleanup()
