"""The sandbox's demo city: people, groups and Mumble users, and the settings that make the bot use them.

Everything here is generated from the routing table, so a new agency gets its group and members
without an edit. The bot reads this roster from its settings as in production; the console reads it
back from the fake Bot API's state (users, chats, member_status) and never from the bot's internals."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from pydantic import SecretStr

from bot.settings import (
    AccessSettings,
    AgencySettings,
    BackupSettings,
    ChatsSettings,
    Settings,
    StorageSettings,
    TelegramSettings,
)
from routing.table import RoutingTable
from sandbox.botapi import FakeBotApi

TOKEN = "7000000001:SANDBOX-LATIHAN"
CALL_TAKERS_GROUP = -1001000000001
SUPERVISORS_GROUP = -1001000000002
PANIC_TOKEN = "latihan-blitar-in-hand-0001"
# Agencies with their own Mumble channel: the bot opens one connection per channel, so not all 27.
RADIO_AGENCIES = ("damkar", "polres", "bpbd", "pln", "dinkes", "satpolpp", "dlh", "pupr")
_FIRST = ["Agus", "Budi", "Citra", "Dewi", "Eko", "Fajar", "Gita", "Hadi", "Indah", "Joko", "Kartika",
          "Lukman", "Maya", "Nanda", "Oki", "Putri", "Rizal", "Sinta", "Teguh", "Umi", "Wahyu", "Yuni"]  # fmt: skip


@dataclass(frozen=True)
class Person:
    id: int
    name: str
    role: str  # call_taker, supervisor, admin, responder
    agency: str | None = None


@dataclass(frozen=True)
class Group:
    id: int
    title: str
    kind: str  # call_takers, supervisors, agency
    members: tuple[int, ...]
    agency: str | None = None


@dataclass
class World:
    people: list[Person]
    groups: list[Group]
    mumble_users: dict[str, str]  # Mumble user name -> agency code
    radio_channels: dict[str, str]  # agency code -> Mumble channel
    agencies: dict[str, int] = field(default_factory=dict)  # agency code -> group id


def build_world(routing: RoutingTable) -> World:
    people = [
        Person(1001, "Rina (Call Taker)", "call_taker"),
        Person(1002, "Dodi (Call Taker)", "call_taker"),
        Person(1003, "Sari (Supervisor)", "supervisor"),
        Person(1004, "Hendra (Admin)", "admin"),
    ]
    groups = [
        Group(CALL_TAKERS_GROUP, "Call Taker 112", "call_takers", (1001, 1002)),
        Group(SUPERVISORS_GROUP, "Supervisor 112", "supervisors", (1003, 1004)),
    ]
    world = World(people, groups, {}, {})
    for index, code in enumerate(sorted(routing.agencies)):
        short = routing.agency_short(code)
        members = []
        for k in range(2):
            person = Person(2000 + index * 2 + k, f"{_FIRST[(index * 2 + k) % len(_FIRST)]} ({short})",
                            "responder", code)  # fmt: skip
            people.append(person)
            members.append(person.id)
        group_id = -1002000000000 - index
        groups.append(Group(group_id, f"{short} — 112 Kota Blitar", "agency", tuple(members), code))
        world.agencies[code] = group_id
        if code in RADIO_AGENCIES:
            channel = short.replace(" ", "")
            world.radio_channels[code] = channel
            world.mumble_users[f"{channel}-1"] = code
            world.mumble_users[f"{channel}-2"] = code
    return world


def populate(api: FakeBotApi, world: World) -> None:
    """The people and groups as the fake Telegram knows them: users, group chats, memberships."""
    for person in world.people:
        api.user(person.id, person.name)
    for group in world.groups:
        api.group(group.id, group.title)
        for member in group.members:
            api.set_member_status(group.id, member, "member")


def sandbox_settings(
    base: Settings, world: World, bot_api_url: str, murmur_secret: str, var: Path
) -> Settings:
    """The settings the bot runs on in the sandbox: the demo roster, the embedded Bot API and murmurd."""
    agencies = {
        code: AgencySettings(chat_id=chat_id, mumble_channel=world.radio_channels.get(code))
        for code, chat_id in world.agencies.items()
    }
    by_role = {
        role: [p.id for p in world.people if p.role == role] for role in ("call_taker", "supervisor", "admin")
    }
    mumble = base.mumble.model_copy(
        update={
            "embedded": False,  # the sandbox runs murmurd itself, so its fault button can stop it
            "superuser_password": SecretStr(murmur_secret),
            "users": world.mumble_users,
            "data_dir": str(var / "sandbox-murmur"),
        }
    )
    return base.model_copy(
        update={
            "telegram": TelegramSettings(
                token=SecretStr(TOKEN),
                base_url=f"{bot_api_url}/bot",
                base_file_url=f"{bot_api_url}/file/bot",
                poll_timeout=base.telegram.poll_timeout,
            ),
            "storage": StorageSettings(path=str(var / "sandbox.sqlite3"), keep_days=base.storage.keep_days),
            "access": AccessSettings(
                call_takers=by_role["call_taker"], supervisors=by_role["supervisor"], admins=by_role["admin"]
            ),
            "chats": ChatsSettings(call_takers=CALL_TAKERS_GROUP, supervisors=SUPERVISORS_GROUP),
            "agencies": agencies,
            "mumble": mumble,
            "backup": BackupSettings(enabled=False),
            "panic": base.panic.model_copy(update={"tokens": {"latihan": SecretStr(PANIC_TOKEN)}})
            if not base.panic.tokens
            else base.panic,
            "sandbox": base.sandbox.model_copy(update={"training": True}),
        }
    )
