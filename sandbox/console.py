"""The console's HTTP side: the page, its state as JSON, server-sent events, and the actions a
trainee takes (type, tap, share a location, speak on the radio) and a trainer's fault buttons."""

from __future__ import annotations

import asyncio
import contextlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web

from bot.settings import Settings
from routing.geo import Centres
from sandbox import people, transcript, view
from sandbox.botapi import FakeBotApi
from sandbox.faults import Faults
from sandbox.radio import RadioSide

STATIC = Path(__file__).resolve().parent / "static"


@dataclass
class Console:
    api: FakeBotApi
    settings: Settings
    centres: Centres
    faults: Faults
    radio: RadioSide | None = None
    radio_folder: Path | None = None
    panels: dict[str, Any] = field(default_factory=dict)  # extra state, e.g. the scenario's calls

    def extra(self) -> dict[str, Any]:
        radio = {
            "channels": self.radio.channels if self.radio else [],
            "users": sorted(self.radio.users) if self.radio else [],
            "feed": self.radio.feed() if self.radio else [],
            "connected": bool(self.radio and self.radio.connected),
        }
        places = [{"name": c.kelurahan.name, "kecamatan": c.kelurahan.kecamatan, "lat": c.lat, "lon": c.lon}
                  for c in self.centres.centres]  # fmt: skip
        return {"radio": radio, "faults": self.faults.status(), "kelurahan": places,
                "training": self.settings.sandbox.training} | self.panels  # fmt: skip

    def state(self) -> dict[str, Any]:
        return view.snapshot(self.api, self.settings, self.extra())

    def mount(self, app: web.Application) -> None:
        app.router.add_get("/", self._index)
        app.router.add_static("/static/", STATIC)
        app.router.add_get("/api/state", self._state)
        app.router.add_get("/api/events", self._events)
        app.router.add_get("/api/file/{file_id}", self._file)
        app.router.add_get("/api/radio/audio/{name}", self._audio)
        app.router.add_get("/api/transcript.json", self._transcript_json)
        app.router.add_get("/api/transcript.md", self._transcript_md)
        app.router.add_post("/api/send", self._send)
        app.router.add_post("/api/tap", self._tap)
        app.router.add_post("/api/location", self._location)
        app.router.add_post("/api/radio/say", self._radio_say)
        app.router.add_post("/api/fault", self._fault)
        app.router.add_post("/api/join", self._join)
        app.router.add_post("/api/leave", self._leave)

    # -- reading ------------------------------------------------------------------------------

    async def _index(self, request: web.Request) -> web.FileResponse:
        return web.FileResponse(STATIC / "index.html")

    async def _state(self, request: web.Request) -> web.Response:
        return web.json_response(self.state())

    async def _events(self, request: web.Request) -> web.StreamResponse:
        """One `data: <version>` per change of the fake's state; the page then reloads /api/state."""
        response = web.StreamResponse(
            headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"}
        )
        await response.prepare(request)
        changes = self.api.changes
        seen = -1
        with contextlib.suppress(ConnectionResetError, asyncio.CancelledError):
            while True:
                await changes.wait_until(lambda last=seen: changes.version != last, 15.0)  # type: ignore[misc]
                seen = changes.version
                await response.write(f"data: {seen}\n\n".encode())
                await asyncio.sleep(0.15)  # a burst of changes becomes one reload
        return response

    async def _file(self, request: web.Request) -> web.Response:
        found = self.api.state.files.get(request.match_info["file_id"])
        if found is None:
            raise web.HTTPNotFound()
        path, content = found
        name = path.rsplit("_", 1)[-1]
        kind = "image/png" if path.startswith("photos/") else "application/octet-stream"
        disposition = "inline" if kind == "image/png" else f'attachment; filename="{name}"'
        return web.Response(body=content, content_type=kind, headers={"Content-Disposition": disposition})

    async def _audio(self, request: web.Request) -> web.FileResponse:
        name = request.match_info["name"]
        if self.radio_folder is None or "/" in name or not name.endswith(".wav"):
            raise web.HTTPNotFound()
        path = self.radio_folder / name
        if not path.is_file():
            raise web.HTTPNotFound()
        return web.FileResponse(path, headers={"Content-Type": "audio/wav"})

    async def _transcript_json(self, request: web.Request) -> web.Response:
        body = json.dumps(transcript.as_json(self.state()), ensure_ascii=False, indent=2)
        return web.Response(text=body, content_type="application/json",
                            headers={"Content-Disposition": 'attachment; filename="transkrip-latihan.json"'})  # fmt: skip

    async def _transcript_md(self, request: web.Request) -> web.Response:
        return web.Response(text=transcript.as_markdown(self.state(), self.settings), content_type="text/markdown",
                            headers={"Content-Disposition": 'attachment; filename="transkrip-latihan.md"'})  # fmt: skip

    # -- acting -------------------------------------------------------------------------------

    async def _body(self, request: web.Request) -> dict[str, Any]:
        try:
            body = await request.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise web.HTTPBadRequest(text="badan permintaan bukan JSON") from None
        if not isinstance(body, dict):
            raise web.HTTPBadRequest(text="badan permintaan harus objek JSON")
        for key in ("user_id", "chat_id", "message_id"):
            if key in body and body[key] is not None:
                try:
                    body[key] = int(body[key])
                except (TypeError, ValueError):
                    raise web.HTTPBadRequest(text=f"{key} harus bilangan bulat") from None
        if "chat_id" in body and body["chat_id"] not in self.api.state.chats:
            raise web.HTTPBadRequest(text="percakapan tidak dikenal")
        return body

    def _user(self, body: dict[str, Any]) -> Any:
        user = self.api.state.users.get(int(body.get("user_id", 0)))
        if user is None:
            raise web.HTTPBadRequest(text="pengguna tidak dikenal")
        return user

    async def _send(self, request: web.Request) -> web.Response:
        body = await self._body(request)
        text = str(body.get("text") or "").strip()
        if not text:
            raise web.HTTPBadRequest(text="pesan kosong")
        reply = body.get("reply_to")
        update = self.api.send_text(self._user(body), int(body["chat_id"]), text,
                                    reply_to_message_id=int(reply) if reply else None)  # fmt: skip
        return web.json_response({"update_id": update})

    async def _tap(self, request: web.Request) -> web.Response:
        body = await self._body(request)
        query = self.api.tap(
            self._user(body), int(body["chat_id"]), int(body["message_id"]), str(body["data"])
        )
        return web.json_response({"query_id": query})

    async def _location(self, request: web.Request) -> web.Response:
        body = await self._body(request)
        try:
            lat, lon = float(body["lat"]), float(body["lon"])
        except (KeyError, TypeError, ValueError):
            raise web.HTTPBadRequest(text="lintang/bujur tidak valid") from None
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise web.HTTPBadRequest(text="lintang/bujur di luar jangkauan")
        update = self.api.send_location(self._user(body), int(body["chat_id"]), lat, lon)
        return web.json_response({"update_id": update})

    async def _radio_say(self, request: web.Request) -> web.Response:
        body = await self._body(request)
        if self.radio is None:
            raise web.HTTPConflict(text="radio tidak berjalan")
        try:
            await self.radio.say(str(body.get("user")), str(body.get("channel")), str(body.get("text") or ""))
        except ValueError as exc:
            raise web.HTTPBadRequest(text=str(exc)) from None
        except Exception as exc:
            raise web.HTTPServiceUnavailable(text=f"radio: {exc}") from None
        return web.json_response({"ok": True})

    async def _join(self, request: web.Request) -> web.Response:
        body = await self._body(request)
        try:
            user = people.join(self.api, str(body.get("name") or ""), int(body.get("chat_id") or 0))
        except ValueError as exc:
            raise web.HTTPBadRequest(text=str(exc)) from None
        return web.json_response({"user_id": user.id})

    async def _leave(self, request: web.Request) -> web.Response:
        body = await self._body(request)
        try:
            people.leave(self.api, int(body.get("user_id") or 0), int(body.get("chat_id") or 0))
        except ValueError as exc:
            raise web.HTTPBadRequest(text=str(exc)) from None
        return web.json_response({"ok": True})

    async def _fault(self, request: web.Request) -> web.Response:
        body = await self._body(request)
        kind = str(body.get("kind"))
        faults = self.faults
        chat = int(body.get("chat_id") or 0)
        by = int(body.get("user_id") or 0)
        if kind == "outage":
            note = faults.set_outage(bool(body.get("on")))
        elif kind == "429":
            note = faults.burst_429()
        elif kind == "migrate":
            note = faults.migrate(chat, by)
        elif kind == "kick":
            note = faults.kick(chat, by)
        elif kind == "readd":
            note = faults.readd(chat, by)
        elif kind == "radio":
            note = await faults.set_radio(bool(body.get("on")))
        else:
            raise web.HTTPBadRequest(text=f"gangguan tidak dikenal: {kind}")
        return web.json_response({"note": note})
