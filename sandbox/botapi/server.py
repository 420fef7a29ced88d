"""FakeBotApi: a Telegram Bot API server on 127.0.0.1 that tests drive and inspect."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from collections import deque
from collections.abc import Callable
from types import TracebackType
from typing import Any, TypeVar

from aiohttp import web

from . import methods, players
from .changes import ChangeSignal
from .model import JSON, ApiError, Call, Chat, Delay, Fault, SentMessage, User, max_in_window
from .state import BotState

T = TypeVar("T")

# Fields PTB sends as JSON strings inside form bodies.
_NESTED = frozenset(
    {
        "reply_markup",
        "allowed_updates",
        "entities",
        "caption_entities",
        "commands",
        "scope",
        "link_preview_options",
        "reply_parameters",
        "media",
        "permissions",
        "results",
    }
)
CONFLICT = "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running"
# How long a new getUpdates waits for a previous one whose client just went away.
_CONFLICT_GRACE_S = 0.25


class FakeBotApi:
    def __init__(self, token: str = "123456:TEST", bot_username: str = "dispatch112_bot") -> None:
        self.token = token
        bot = User(
            id=int(token.split(":", 1)[0]), first_name="Dispatch 112", username=bot_username, is_bot=True
        )
        self.state = BotState(bot)
        self.calls: list[Call] = []
        self.latency = 0.0
        self.polls = 0  # getUpdates requests received
        self.message_ids: dict[int, int] = {}  # update_id of a user's message -> its message_id
        self._changes = ChangeSignal()
        self._faults: dict[str, deque[Fault]] = {}
        self._delays: dict[str, deque[Delay]] = {}
        self._garbled: dict[str, deque[str]] = {}
        self._outage: int | None = None
        self._poll_in_flight = False
        self._closing = False
        self._runner: web.AppRunner | None = None
        self._port: int | None = None
        # Called before every method with (method, params); may raise ApiError (sandbox/faults.py).

    # -- lifecycle ----------------------------------------------------------------------------

    def application(self) -> web.Application:
        """The Bot API routes (/bot<token>/<method>, /file/bot<token>/<path>) on a new application,
        to which the sandbox adds its console before start(app=...)."""
        app = web.Application(client_max_size=60 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)
        return app

    async def start(
        self, port: int = 0, *, host: str = "127.0.0.1", app: web.Application | None = None
    ) -> FakeBotApi:
        # Cancel handlers of vanished clients so a dead long-poll does not linger (and 409
        # the bot's next poll); short shutdown so stop() never waits for a long-poll.
        self._runner = web.AppRunner(
            app or self.application(), handler_cancellation=True, shutdown_timeout=0.2, access_log=None
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        try:
            await site.start()
        except OSError:
            await self._runner.cleanup()
            self._runner = None
            raise
        self._port = int(self._runner.addresses[0][1])
        return self

    async def stop(self) -> None:
        self._closing = True
        self._changes.notify()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeBotApi:
        return await self.start()

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("FakeBotApi is not started")
        return self._port

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/file/bot"

    # -- recorded state -----------------------------------------------------------------------

    @property
    def bot_user(self) -> User:
        return self.state.bot

    @property
    def messages(self) -> list[SentMessage]:
        return self.state.messages

    def messages_in(self, chat_id: int) -> list[SentMessage]:
        """Everything the bot sent to chat_id, oldest first, deleted ones included (flagged)."""
        return [m for m in self.state.messages if m.chat_id == chat_id]

    def message(self, chat_id: int, message_id: int) -> SentMessage | None:
        return self.state.sent_by_key.get((chat_id, message_id))

    @property
    def answered_callbacks(self) -> dict[str, JSON]:
        return self.state.answered_callbacks

    @property
    def left_chats(self) -> list[int]:
        return self.state.left_chats

    @property
    def confirmed_offset(self) -> int:
        return self.state.confirmed_offset

    @property
    def pending_updates(self) -> list[JSON]:
        return list(self.state.updates)

    def calls_of(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method.lower() == method.lower()]

    def sends_per_window(self, chat_id: int, window_s: float) -> int:
        """Most messages accepted for chat_id within any window of window_s seconds."""
        return max_in_window([m.accepted_at for m in self.messages_in(chat_id)], window_s)

    # -- playing users ------------------------------------------------------------------------

    def user(self, user_id: int, first_name: str, username: str | None = None) -> User:
        return self.state.add_user(User(id=user_id, first_name=first_name, username=username))

    def group(self, chat_id: int, title: str) -> Chat:
        kind = "supergroup" if chat_id < 0 else "private"
        return self.state.add_chat(Chat(id=chat_id, type=kind, title=title))

    def set_member_status(self, chat: Chat | int, user: User | int, status: str) -> None:
        """What getChatMember answers: member, administrator, creator, left, kicked."""
        chat_id = chat.id if isinstance(chat, Chat) else chat
        user_id = user.id if isinstance(user, User) else user
        self.state.member_status[(chat_id, user_id)] = status

    def notify(self) -> None:
        """Wake everything waiting on this server's state (a test, the console's event stream)."""
        self._changes.notify()

    @property
    def changes(self) -> ChangeSignal:
        return self._changes

    def enqueue(self, kind: str, payload: JSON) -> int:
        """Queue any update (a service message, a my_chat_member) for the bot's next getUpdates."""
        return self._enqueue(kind, payload)

    def _enqueue(self, kind: str, payload: JSON) -> int:
        update_id = self.state.enqueue(kind, payload)
        if kind == "message" and "message_id" in payload:
            self.message_ids[update_id] = int(payload["message_id"])
        self._changes.notify()
        return update_id

    def send_text(
        self,
        user: User,
        chat: Chat | User | int,
        text: str,
        *,
        forward_from: User | None = None,
        reply_to_message_id: int | None = None,
    ) -> int:
        content = players.text_content(self.state, chat, text, forward_from, reply_to_message_id)
        return self._enqueue("message", players.user_message(self.state, user, chat, content))

    def send_voice(
        self,
        user: User,
        chat: Chat | User | int,
        audio: bytes,
        *,
        duration: float,
        reply_to_message_id: int | None = None,
        as_audio: str | None = None,
    ) -> int:
        """A user sends a voice note (OGG/Opus), or with ``as_audio`` (a file name) an audio file;
        its content is then served by getFile and the file URL like Telegram's."""
        content = players.voice_content(self.state, chat, audio, duration, reply_to_message_id, as_audio)
        return self._enqueue("message", players.user_message(self.state, user, chat, content))

    def send_location(
        self, user: User, chat: Chat | User | int, lat: float, lon: float, *, live_period: int | None = None
    ) -> int:
        content: JSON = {"location": {"latitude": lat, "longitude": lon}}
        if live_period is not None:
            content["location"]["live_period"] = live_period
        return self._enqueue("message", players.user_message(self.state, user, chat, content))

    def send_document(self, user: User, chat: Chat | User | int, filename: str, content: bytes,
                      caption: str | None = None) -> int:  # fmt: skip
        """A user posts a file; the bot can fetch it with getFile and the file URL, as on Telegram."""
        content_json = players.document_content(self.state, filename, content, caption)
        return self._enqueue("message", players.user_message(self.state, user, chat, content_json))

    def edit_text(self, user: User, chat: Chat | User | int, message_id: int, text: str) -> int:
        """The user edits a text message they sent earlier: Telegram sends an edited_message update."""
        content = players.text_content(self.state, chat, text, None, None)
        return self._enqueue(
            "edited_message", players.edited_message(self.state, user, chat, message_id, content)
        )

    def move_live_location(
        self, user: User, chat: Chat | User | int, message_id: int, lat: float, lon: float
    ) -> int:
        """A live location moves: an edited_message whose date stays that of the first share."""
        content = {"location": {"latitude": lat, "longitude": lon, "live_period": 900}}
        return self._enqueue(
            "edited_message", players.edited_message(self.state, user, chat, message_id, content)
        )

    def tap(self, user: User, chat: Chat | User | int, message_id: int, data: str) -> str:
        query_id, payload = players.callback_query(self.state, user, chat, message_id, data)
        self._enqueue("callback_query", payload)
        return query_id

    def add_bot_to_group(self, user: User, chat: Chat | User | int) -> int:
        member_update, service = players.bot_added(self.state, user, chat)
        self._enqueue("my_chat_member", member_update)
        return self._enqueue("message", service)

    def kick_bot(self, user: User, chat: Chat | int) -> int:
        """An admin removes the bot: my_chat_member 'kicked'; sends then answer 403 as Telegram does."""
        return self._enqueue("my_chat_member", players.bot_status_changed(self.state, user, chat, "kicked"))

    def restrict_bot(self, user: User, chat: Chat | int) -> int:
        """The bot may no longer post: my_chat_member 'restricted' with can_send_messages false."""
        return self._enqueue(
            "my_chat_member", players.bot_status_changed(self.state, user, chat, "restricted")
        )

    def promote_bot(self, user: User, chat: Chat | int) -> int:
        return self._enqueue(
            "my_chat_member", players.bot_status_changed(self.state, user, chat, "administrator")
        )

    def migrate_group(
        self, user: User, chat: Chat | int, new_id: int, *, service_messages: bool = True
    ) -> Chat:
        """The group becomes a supergroup with a new id. Sends to the old id answer 400 with
        parameters.migrate_to_chat_id. With service_messages, the bot's join of the new supergroup
        (my_chat_member) and the messages in the old and the new chat arrive, in that order."""
        old = self.state.resolve_chat(chat)
        self.state.add_chat(dataclasses.replace(old, type="group"))
        new = self.state.add_chat(Chat(id=new_id, type="supergroup", title=old.title))
        self.state.migrated[old.id] = new_id
        status = self.state.member_status.get((old.id, self.state.bot.id), "member")
        if service_messages:
            # Telegram also reports the bot joining the new supergroup (tdlib/telegram-bot-api#266), first.
            joined = players.bot_status_changed(
                self.state, user, new, "member" if status == "left" else status
            )
            self._enqueue("my_chat_member", joined)
            self._enqueue(
                "message", players.user_message(self.state, user, old.id, {"migrate_to_chat_id": new_id})
            )
            self._enqueue(
                "message", players.user_message(self.state, user, new, {"migrate_from_chat_id": old.id})
            )
        else:
            self.state.member_status[(new_id, self.state.bot.id)] = "member" if status == "left" else status
            self._changes.notify()
        return new

    def share_chat(self, user: User, request_id: int, chat: Chat | int) -> int:
        """The user picked a chat in a KeyboardButtonRequestChat picker: chat_shared in their private chat."""
        where = self.state.resolve_chat(chat)
        shared = {"request_id": request_id, "chat_id": where.id}
        return self._enqueue("message", players.user_message(self.state, user, user, {"chat_shared": shared}))

    def open_link(self, user: User, link: str) -> int:
        """Opening https://t.me/<bot>?start=<code>: Telegram sends /start <code> in the private chat."""
        prefix = f"https://t.me/{self.state.bot.username}?start="
        if not link.startswith(prefix):
            raise ValueError(f"not a deep link to this bot: {link}")
        return self.send_text(user, user, f"/start {link.removeprefix(prefix)}")

    def commands_for(self, chat_id: int) -> list[str]:
        """Command names published with BotCommandScopeChat for chat_id."""
        scope = json.dumps({"chat_id": chat_id, "type": "chat"}, sort_keys=True)
        return [c["command"] for c in self.state.commands.get((scope, ""), [])]

    # -- faults -------------------------------------------------------------------------------

    def fail_next(
        self,
        method: str,
        status: int = 502,
        count: int = 1,
        retry_after: int | None = None,
        description: str | None = None,
    ) -> None:
        if status == 429 and retry_after is None:
            retry_after = 1  # a real 429 always says when to come back
        queue = self._faults.setdefault(method.lower(), deque())
        queue.extend(Fault(status, retry_after, description) for _ in range(count))

    def delay_next(self, method: str, seconds: float, count: int = 1, *, deliver: bool = False) -> None:
        """Hang the next calls (method "sendMessage", or "sendMessage:<chat_id>" for one chat only).
        deliver=True performs the call first and only holds the answer, so a client that times out
        has still sent the message, as can happen on Telegram."""
        queue = self._delays.setdefault(method.lower(), deque())
        queue.extend(Delay(seconds, deliver) for _ in range(count))

    def garble_next(
        self, method: str, count: int = 1, body: str = "<html><body>Bad Gateway</body></html>"
    ) -> None:
        """Answer the next calls with HTTP 200 and a body that is not JSON (a proxy's error page)."""
        self._garbled.setdefault(method.lower(), deque()).extend(body for _ in range(count))

    def clear_faults(self) -> None:
        self._faults.clear()
        self._garbled.clear()

    def outage(self, status: int = 502) -> None:
        self._outage = status

    def end_outage(self) -> None:
        self._outage = None

    # -- waiting ------------------------------------------------------------------------------

    async def wait_for(
        self,
        predicate: Callable[[], T | bool | None],
        timeout: float = 10.0,  # noqa: ASYNC109 - the tests' API takes a plain timeout
        *,
        recheck: float | None = None,
    ) -> T:
        """Re-check predicate on every server state change; return its first truthy value.

        A predicate on state outside this server (the bot's database) only gets re-checked when
        the bot next calls the API; pass recheck (seconds) to also re-check on that interval.
        """
        result = await self._changes.wait_until(predicate, timeout, recheck)
        if not result:
            raise TimeoutError(f"condition not met within {timeout}s\n{self.describe()}")
        return result  # type: ignore[return-value]

    async def wait_message(
        self,
        chat_id: int,
        contains: str | None = None,
        timeout: float = 10.0,  # noqa: ASYNC109 - the tests' API takes a plain timeout
    ) -> SentMessage:
        def found() -> SentMessage | None:
            for m in self.messages_in(chat_id):
                if contains is None or contains in m.current_text:
                    return m
            return None

        result = await self._changes.wait_until(found, timeout)
        if result is None:
            raise TimeoutError(
                f"no message in chat {chat_id} containing {contains!r} within {timeout}s\n{self.describe()}"
            )
        return result

    async def wait_edit(
        self,
        chat_id: int,
        message_id: int,
        contains: str | None = None,
        timeout: float = 10.0,  # noqa: ASYNC109 - the tests' API takes a plain timeout
    ) -> SentMessage:
        def edited() -> SentMessage | None:
            m = self.message(chat_id, message_id)
            if m is not None and m.edits and (contains is None or contains in m.current_text):
                return m
            return None

        result = await self._changes.wait_until(edited, timeout)
        if result is None:
            raise TimeoutError(
                f"message {chat_id}/{message_id} not edited to contain {contains!r} within {timeout}s\n"
                f"{self.describe()}"
            )
        return result

    async def wait_confirmed(self, update_id: int, timeout: float = 10.0) -> None:  # noqa: ASYNC109 - the tests' API takes a plain timeout
        ok = await self._changes.wait_until(lambda: self.state.confirmed_offset > update_id, timeout)
        if not ok:
            raise TimeoutError(
                f"update {update_id} not confirmed within {timeout}s "
                f"(confirmed_offset={self.state.confirmed_offset})\n{self.describe()}"
            )

    async def wait_polling(self, timeout: float = 10.0) -> None:  # noqa: ASYNC109 - the tests' API takes a plain timeout
        if not await self._changes.wait_until(lambda: self.polls > 0, timeout):
            raise TimeoutError(f"no getUpdates call within {timeout}s\n{self.describe()}")

    def describe(self, last: int = 10) -> str:
        lines = ["last messages:"]
        for m in self.messages[-last:]:
            flags = (" [deleted]" if m.deleted else "") + (f" [{len(m.edits)} edits]" if m.edits else "")
            lines.append(f"  {m.chat_id}/{m.message_id}{flags}: {m.current_text[:200]!r}")
        lines.append("last calls:")
        lines.extend(f"  {c.method} -> {c.http_status}" for c in self.calls[-last:])
        return "\n".join(lines)

    # -- HTTP ---------------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.Response:
        name = request.match_info["method"]
        if request.match_info["token"] != self.token:
            self.calls.append(Call(name, {}, 401))
            self._changes.notify()
            return web.json_response(ApiError(401, "Unauthorized").envelope(), status=401)
        try:
            params, files = await _read_params(request)
        except ValueError as exc:
            return web.json_response(ApiError(400, f"Bad Request: {exc}").envelope(), status=400)
        logged = params | {k: f"<file {n!r} {len(b)} bytes>" for k, (n, b) in files.items()}
        garbled = _pop(self._garbled, name.lower())
        if garbled is not None:
            self.calls.append(Call(name, logged, 200))
            self._changes.notify()
            return web.Response(text=garbled, content_type="text/html")
        status = 499  # stays so when the client went away mid-request
        try:
            if self.latency:
                await asyncio.sleep(self.latency)
            result = await self._dispatch(name, params, files)
            status = 200
            return web.json_response({"ok": True, "result": result})
        except ApiError as exc:
            status = exc.status
            return web.json_response(exc.envelope(), status=exc.status)
        finally:
            self.calls.append(Call(name, logged, status))
            self._changes.notify()

    async def _dispatch(self, name: str, params: JSON, files: methods.Files) -> Any:
        key = name.lower()
        if self._outage is not None:
            raise ApiError(self._outage)
        fault = _pop(self._faults, key)
        if fault is not None:
            raise ApiError(fault.status, fault.description, fault.retry_after)
        if key != "getupdates" and key not in methods.METHODS:
            raise ApiError(404, "Not Found")
        # "sendMessage:-1003" delays only sends to that chat; "sendMessage" any.
        delay = _pop(self._delays, f"{key}:{params.get('chat_id')}") or _pop(self._delays, key)
        if delay is not None and delay.deliver and key != "getupdates":
            result = methods.call(self.state, name, params, files)
            self._changes.notify()
            await asyncio.sleep(delay.seconds)
            return result
        if delay is not None:
            # Cancelled along with the request if the client gives up first: nothing delivered.
            await asyncio.sleep(delay.seconds)
        if key == "getupdates":
            return await self._get_updates(params)
        return methods.call(self.state, name, params, files)

    async def _get_updates(self, params: JSON) -> list[JSON]:
        if self._poll_in_flight:
            # A client that just cancelled its poll may still look connected for a moment.
            await self._changes.wait_until(lambda: not self._poll_in_flight, _CONFLICT_GRACE_S)
            if self._poll_in_flight:
                raise ApiError(409, CONFLICT)
        self._poll_in_flight = True
        self.polls += 1
        try:
            if params.get("offset") not in (None, ""):
                self.state.confirm_below(int(params["offset"]))
            if "allowed_updates" in params:
                # Telegram remembers the last allowed_updates; an empty list means the default.
                self.state.allowed_updates = params["allowed_updates"] or None
            limit = min(max(int(params.get("limit") or 100), 1), 100)
            timeout = float(params.get("timeout") or 0)
            self._changes.notify()
            await self._changes.wait_until(lambda: self.state.deliverable(limit) or self._closing, timeout)
            return self.state.deliverable(limit)
        finally:
            self._poll_in_flight = False
            self._changes.notify()

    async def _handle_file(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.json_response(ApiError(401, "Unauthorized").envelope(), status=401)
        path = request.match_info["path"]
        for file_path, content in self.state.files.values():
            if file_path == path:
                return web.Response(body=content)
        return web.json_response(ApiError(404, "Not Found").envelope(), status=404)


def _pop(queues: dict[str, deque[T]], key: str) -> T | None:
    queue = queues.get(key)
    return queue.popleft() if queue else None


async def _read_params(request: web.Request) -> tuple[JSON, methods.Files]:
    params: JSON = dict(request.query)
    files: methods.Files = {}
    if request.method == "POST" and request.can_read_body:
        if request.content_type == "application/json":
            body = await request.json()
            if not isinstance(body, dict):
                raise ValueError("JSON body must be an object")
            return params | body, files
        form = await request.post()
        for key, value in form.items():
            if isinstance(value, web.FileField):
                files[key] = (value.filename, value.file.read())
            else:
                params[key] = value
    for key in _NESTED & params.keys():
        value = params[key]
        if isinstance(value, str):
            try:
                params[key] = json.loads(value)
            except json.JSONDecodeError:
                raise ValueError(f"can't parse {key} JSON object") from None
    return params, files
