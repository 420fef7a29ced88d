"""The roster as the rest of the program reads it: an immutable in-memory snapshot, rebuilt right after
every committed roster change, so callers stay synchronous and a change takes effect at once."""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING

from bot.settings import Settings

if TYPE_CHECKING:
    from storage.roster import GroupRow, PersonRow
    from storage.uow import Tx

ROLES = ("call_taker", "supervisor", "admin")
ROLE_WORDS = {
    "petugas": "call_taker",
    "call_taker": "call_taker",
    "supervisor": "supervisor",
    "admin": "admin",
}
ROLE_LABELS = {"call_taker": "petugas", "supervisor": "supervisor", "admin": "admin"}
CALL_TAKERS, SUPERVISORS = "call_takers", "supervisors"
HANDOFF = "handoff"  # the group shared with 112 Kabupaten Blitar ([handoff] chat_id): bound, not an agency
GROUP_WORDS = {"petugas": CALL_TAKERS, "call_taker": CALL_TAKERS, "supervisor": SUPERVISORS}


def agency_key(code: str) -> str:
    return f"agency:{code}"


@dataclass(frozen=True, slots=True)
class Group:
    key: str
    chat_id: int | None
    title: str | None = None
    mumble_channel: str | None = None
    phone: str | None = None
    reachable: bool = True
    reason: str | None = None

    @property
    def agency(self) -> str | None:
        return self.key.removeprefix("agency:") if self.key.startswith("agency:") else None


@dataclass(frozen=True, slots=True)
class Person:
    user_id: int
    name: str | None
    username: str | None
    roles: frozenset[str]


@dataclass(frozen=True)
class Roster:
    groups: MappingProxyType[str, Group] = field(default_factory=lambda: MappingProxyType({}))
    people: MappingProxyType[int, Person] = field(default_factory=lambda: MappingProxyType({}))
    mumble: MappingProxyType[str, str] = field(default_factory=lambda: MappingProxyType({}))
    # `[access] admins` from the settings: admins always, whatever the database says.
    root_admins: frozenset[int] = frozenset()

    def __post_init__(self) -> None:
        by_chat = {g.chat_id: g for g in self.groups.values() if g.chat_id is not None}
        object.__setattr__(self, "_by_chat", by_chat)

    def group_of_chat(self, chat_id: int) -> Group | None:
        found: Group | None = self._by_chat.get(chat_id)  # type: ignore[attr-defined]
        return found

    def has(self, user_id: int, role: str) -> bool:
        if role == "admin" and user_id in self.root_admins:
            return True
        person = self.people.get(user_id)
        return person is not None and role in person.roles

    def with_role(self, role: str) -> list[int]:
        found = [p.user_id for p in self.people.values() if role in p.roles]
        if role == "admin":
            found += [a for a in sorted(self.root_admins) if a not in found]
        return found

    def chat(self, key: str) -> int | None:
        group = self.groups.get(key)
        return group.chat_id if group else None

    def reachable_chat(self, key: str) -> int | None:
        group = self.groups.get(key)
        return group.chat_id if group and group.reachable else None


def roster_from_settings(settings: Settings) -> Roster:
    """What the settings say, before the database is read (and for unit tests without one)."""
    groups: dict[str, Group] = {}
    for code, agency in settings.agencies.items():
        groups[agency_key(code)] = Group(
            agency_key(code), agency.chat_id, None, agency.mumble_channel, agency.phone
        )
    for key, chat_id in (
        (CALL_TAKERS, settings.chats.call_takers),
        (SUPERVISORS, settings.chats.supervisors),
    ):
        if chat_id is not None:
            groups[key] = Group(key, chat_id)
    if settings.handoff.chat_id is not None:
        groups[HANDOFF] = Group(HANDOFF, settings.handoff.chat_id, None, settings.handoff.mumble_channel)
    people: dict[int, set[str]] = {}
    access = settings.access
    for role, ids in (("call_taker", access.call_takers), ("supervisor", access.supervisors),
                      ("admin", access.admins)):  # fmt: skip
        for user_id in ids:
            people.setdefault(user_id, set()).add(role)
    return Roster(
        MappingProxyType(groups),
        MappingProxyType({u: Person(u, None, None, frozenset(r)) for u, r in people.items()}),
        MappingProxyType(dict(settings.mumble.users)),
        frozenset(access.admins),
    )


def build_roster(groups: list[GroupRow], people: list[PersonRow], mumble: dict[str, str],
                 root_admins: frozenset[int]) -> Roster:  # fmt: skip
    by_user: dict[int, Person] = {}
    for row in people:
        known = by_user.get(row.user_id)
        roles = (known.roles if known else frozenset()) | {row.role}
        by_user[row.user_id] = Person(row.user_id, row.name or (known.name if known else None),
                                      row.username or (known.username if known else None), roles)  # fmt: skip
    return Roster(
        MappingProxyType({
            g.key: Group(g.key, g.chat_id, g.title, g.mumble_channel, g.phone, g.reachable, g.unreachable_reason)
            for g in groups
        }),
        MappingProxyType(by_user),
        MappingProxyType(mumble),
        root_admins,
    )  # fmt: skip


async def load_roster(tx: Tx, settings: Settings) -> Roster:
    return build_roster(await tx.roster.groups(), await tx.roster.people(), await tx.roster.mumble(),
                        frozenset(settings.access.admins))  # fmt: skip


async def seed_from_settings(tx: Tx, settings: Settings) -> list[str]:
    """Apply each settings entry the database has never seen, and only those.

    Merge rather than "only when empty": an entry added to settings.toml later (a new agency) still
    arrives, while something changed in Telegram (a group bound elsewhere, a role revoked) is not undone
    by the next restart, because an entry already seeded once is never applied again."""
    applied: list[str] = []
    for code, agency in settings.agencies.items():
        key = agency_key(code)
        if await tx.roster.seed_once(f"group:{key}:{agency.chat_id}:{agency.mumble_channel}:{agency.phone}"):
            await tx.roster.ensure_group(key, mumble_channel=agency.mumble_channel, phone=agency.phone)
            if agency.chat_id is not None and await tx.roster.group_of_chat(agency.chat_id) is None:
                await tx.roster.bind(key, agency.chat_id, None)
            applied.append(key)
    for key, chat_id in (
        (CALL_TAKERS, settings.chats.call_takers),
        (SUPERVISORS, settings.chats.supervisors),
    ):
        if chat_id is not None and await tx.roster.seed_once(f"group:{key}:{chat_id}"):
            if await tx.roster.group_of_chat(chat_id) is None:
                await tx.roster.bind(key, chat_id, None)
            applied.append(key)
    handoff = settings.handoff
    if handoff.chat_id is not None and await tx.roster.seed_once(
        f"group:{HANDOFF}:{handoff.chat_id}:{handoff.mumble_channel}"
    ):
        await tx.roster.ensure_group(HANDOFF, mumble_channel=handoff.mumble_channel, phone=None)
        if await tx.roster.group_of_chat(handoff.chat_id) is None:
            await tx.roster.bind(HANDOFF, handoff.chat_id, None)
        applied.append(HANDOFF)
    access = settings.access
    for role, ids in (("call_taker", access.call_takers), ("supervisor", access.supervisors),
                      ("admin", access.admins)):  # fmt: skip
        for user_id in ids:
            if await tx.roster.seed_once(f"person:{user_id}:{role}"):
                await tx.roster.add_person(user_id, role, None, None, None)
                applied.append(f"{role}:{user_id}")
    for name, code in settings.mumble.users.items():
        if await tx.roster.seed_once(f"mumble:{name}:{code}"):
            await tx.roster.set_mumble(name, code)
            applied.append(f"mumble:{name}")
    return applied
