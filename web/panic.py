"""POST /api/v1/panic and GET /api/v1/openapi.json: the panic-button intake, mounted at /api/v1.

Order of checks, cheapest first: the token (401), the token's rate (429), the size (413), the body and
the Idempotency-Key (422), a retry of a known request (202 again), the phone's rate (429); then the
alert is stored and the 202 goes back only after the commit."""

from __future__ import annotations

import hashlib
import hmac
import logging
import time
from collections.abc import Callable

from aiohttp import web
from pydantic import ValidationError

from bot.app import DispatchApp
from bot.services.panic import PanicReport, audit_refusal, known_request, receive_panic
from routing.fields import mask_phone
from routing.geo import Centres
from web.limits import AuditBudget, WindowLimit
from web.openapi import IDEMPOTENCY_HEADER, MAX_BODY, REQUEST_KEY, document
from web.schema import PanicBody

log = logging.getLogger(__name__)
AUDITS_PER_KEY = 5
AUDIT_WINDOW = 10.0


class TooLarge(Exception):
    pass


def _digest(token: str) -> bytes:
    # Fixed-length digests, so the comparison time says nothing about the tokens' lengths either.
    return hashlib.sha256(token.encode()).digest()


class PanicApi:
    def __init__(
        self, app: DispatchApp, centres: Centres, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.app = app
        self.centres = centres
        panic = app.settings.panic
        self.tokens = [(name, _digest(token.get_secret_value())) for name, token in panic.tokens.items()]
        self.per_app = WindowLimit(panic.per_app, panic.per_app_window, clock)
        self.per_phone = WindowLimit(panic.per_phone, panic.per_phone_window, clock)
        self.audits = AuditBudget(AUDITS_PER_KEY, AUDIT_WINDOW, clock)

    def client_of(self, request: web.Request) -> str | None:
        """The app whose token this is; every token is compared, in constant time, whatever matches."""
        scheme, _, given = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not given.strip():
            return None
        digest = _digest(given.strip())
        found: str | None = None
        for name, expected in self.tokens:
            if hmac.compare_digest(digest, expected):
                found = name
        return found

    async def post(self, request: web.Request) -> web.Response:
        client = self.client_of(request)
        if client is None:
            reason = "missing_token" if "Authorization" not in request.headers else "unknown_token"
            return await self.refuse(request, 401, reason, "token tidak ada atau tidak dikenal", None,
                                     {"WWW-Authenticate": 'Bearer realm="112"'})  # fmt: skip
        wait = self.per_app.hit(client)
        if wait:
            return await self.refuse(request, 429, "rate_limited_token", f"terlalu sering dari aplikasi {client}",
                                     client, {"Retry-After": str(wait)})  # fmt: skip
        try:
            raw = await _read_limited(request, MAX_BODY)
        except TooLarge:
            return await self.refuse(request, 413, "too_large", f"body lebih dari {MAX_BODY} byte", client)
        try:
            body = PanicBody.model_validate_json(raw)
        except ValidationError as exc:
            return await self.refuse(request, 422, "invalid_body", summarise(exc), client)
        key = request.headers.get(IDEMPOTENCY_HEADER)
        if key is not None and not REQUEST_KEY.fullmatch(key):
            return await self.refuse(request, 422, "invalid_body",
                                     f"{IDEMPOTENCY_HEADER}: 1-64 huruf, angka atau . _ : -", client)  # fmt: skip
        if key is not None and (known := await known_request(self.app, client, key)) is not None:
            return _accepted(known)  # a retry: its alert exists already, and does not count against the phone
        wait = self.per_phone.hit(body.phone)
        if wait:
            return await self.refuse(request, 429, "rate_limited_phone",
                                     f"terlalu sering dari nomor {mask_phone(body.phone)}", client,
                                     {"Retry-After": str(wait)})  # fmt: skip
        report = PanicReport(
            client, body.phone, body.name, body.lat, body.lon, body.accuracy_m, body.text, key
        )
        try:
            received = await receive_panic(self.app, report, self.centres)
        except Exception:  # the store is locked or failing: the caller must retry, nothing was promised
            log.exception("panic from %s not stored", client)
            return _problem(
                503, "unavailable", "penyimpanan tidak tersedia; kirim ulang", {"Retry-After": "5"}
            )
        log.info("panic P-%d from %s (%s) %s", received.id, client, mask_phone(body.phone),
                 "repeated" if received.repeated else "accepted")  # fmt: skip
        return _accepted(received.id)

    async def refuse(self, request: web.Request, status: int, reason: str, detail: str, client: str | None,
                     headers: dict[str, str] | None = None) -> web.Response:  # fmt: skip
        remote = request.remote
        log.info("panic refused %d %s from %s (%s): %s", status, reason, client or "-", remote, detail)
        skipped = self.audits.take(f"{reason}:{client or remote}")
        if skipped is not None:
            try:
                await audit_refusal(self.app, status, reason, client=client, remote=remote, detail=detail,
                                    skipped=skipped)  # fmt: skip
            except Exception:  # the refusal stands even if its audit cannot be written now
                log.exception("audit of a refused panic request failed")
        error = {401: "unauthorized", 413: "too_large", 422: "invalid_body", 429: "rate_limited"}[status]
        return _problem(status, error, detail, headers)

    async def openapi(self, _request: web.Request) -> web.Response:
        return web.json_response(document())


def summarise(exc: ValidationError, limit: int = 5) -> str:
    """'lat: Input should be less than or equal to 90; phone: Field required' (never the input values)."""
    parts = []
    for error in exc.errors(include_input=False)[:limit]:
        where = ".".join(str(p) for p in error["loc"]) or "body"
        parts.append(f"{where}: {error['msg'].removeprefix('Value error, ')}")
    more = len(exc.errors()) - limit
    return "; ".join(parts) + (f"; dan {more} lagi" if more > 0 else "")


def _accepted(alert_id: int) -> web.Response:
    return web.json_response({"id": alert_id, "status": "accepted"}, status=202)


def _problem(status: int, error: str, detail: str, headers: dict[str, str] | None = None) -> web.Response:
    return web.json_response({"error": error, "detail": detail}, status=status, headers=headers)


async def _read_limited(request: web.Request, limit: int) -> bytes:
    """The body, refusing past `limit` bytes without reading (declared) or buffering (streamed) more."""
    if request.content_length is not None and request.content_length > limit:
        raise TooLarge
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.content.iter_chunked(4096):
        size += len(chunk)
        if size > limit:
            raise TooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def panic_subapp(app: DispatchApp, centres: Centres) -> web.Application:
    api = PanicApi(app, centres)
    sub = web.Application()
    sub.router.add_post("/panic", api.post)
    sub.router.add_get("/openapi.json", api.openapi)
    return sub
