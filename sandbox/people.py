"""People joining and leaving groups in the sandbox, as Telegram reports it to the bot (service messages
with new_chat_members / left_chat_member), so a trainer can show how the roster follows them."""

from __future__ import annotations

from sandbox.botapi import FakeBotApi, players
from sandbox.botapi.model import User

FIRST_NEW_ID = 3001


def join(api: FakeBotApi, name: str, chat_id: int) -> User:
    """A new person (a new Telegram account) joins the group by its invite link."""
    clean = " ".join(name.split())[:64]
    if not clean:
        raise ValueError("nama kosong")
    chat = api.state.known_chat(chat_id)
    if chat.id > 0:
        raise ValueError("hanya grup yang bisa dimasuki")
    user_id = max([FIRST_NEW_ID - 1, *api.state.users]) + 1
    user = api.user(user_id, clean)
    api.set_member_status(chat.id, user, "member")
    message = players.user_message(api.state, user, chat.id, {"new_chat_members": [user.to_api()]})
    api.enqueue("message", message)
    return user


def leave(api: FakeBotApi, user_id: int, chat_id: int) -> None:
    user = api.state.users.get(user_id)
    if user is None:
        raise ValueError("pengguna tidak dikenal")
    chat = api.state.known_chat(chat_id)
    if chat.id > 0:
        raise ValueError("hanya grup yang bisa ditinggalkan")
    api.set_member_status(chat.id, user, "left")
    message = players.user_message(api.state, user, chat.id, {"left_chat_member": user.to_api()})
    api.enqueue("message", message)
