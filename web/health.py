"""GET /healthz and GET /metrics, mounted at the root of the product's one HTTP server."""

from __future__ import annotations

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST

from bot.app import DispatchApp
from bot.health import check
from bot.metrics import Metrics


def add_health_routes(root: web.Application, app: DispatchApp, metrics: Metrics | None) -> None:
    async def healthz(_request: web.Request) -> web.Response:
        health = await check(app, app.liveness, app.role)
        # 503 names what is wrong: a load balancer or a monitoring check needs no other page.
        return web.json_response(health.as_dict(), status=200 if health.ok else 503)

    async def metrics_page(_request: web.Request) -> web.Response:
        if metrics is None:
            raise web.HTTPNotFound(text="metrics tidak diaktifkan")
        await metrics.refresh(app)
        return web.Response(body=metrics.exposition(), headers={"Content-Type": CONTENT_TYPE_LATEST})

    root.router.add_get("/healthz", healthz)
    root.router.add_get("/metrics", metrics_page)
