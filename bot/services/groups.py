"""A group's life as Telegram reports it: upgraded to a supergroup (new chat id), the bot removed or
silenced, the bot back. Whatever happens, an agency is never cut off silently: its cards move to the new
id, or become "phone this agency" notices and one alert to the supervisors and admins."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from bot.app import DispatchApp
from bot.ports import DeliveryError
from bot.roster import CALL_TAKERS, SUPERVISORS, Group
from bot.services.common import PRIORITY_NOTICE, card, esc, reply
from storage.records import OutboxRecord
from storage.uow import Tx

REASONS = {
    "kicked": "bot dikeluarkan dari grup",
    "left": "bot tidak lagi menjadi anggota grup",
    "restricted": "bot tidak boleh mengirim pesan di grup",
    "forbidden": "Telegram menolak pengiriman (403)",
}


@contextlib.asynccontextmanager
async def roster_change(app: DispatchApp, update_id: int | None = None) -> AsyncIterator[Tx]:
    """One transaction; the in-memory roster is rebuilt as soon as it committed, then workers woken."""
    async with app.store.transaction(app.clock(), update_id) as tx:
        yield tx
    await app.reload_roster()
    app.wake()


def group_label(app: DispatchApp, key: str) -> str:
    if key == CALL_TAKERS:
        return "grup call taker"
    if key == SUPERVISORS:
        return "grup supervisor"
    return app.routing.agency_short(key.removeprefix("agency:"))


def alert_targets(app: DispatchApp, lost: str | None = None) -> list[int]:
    """Supervisors and admins; privately when the group that was lost is the supervisors' own."""
    supervisors = app.roster.with_role("supervisor") if lost == SUPERVISORS else app.supervisor_targets()
    return list(dict.fromkeys([*supervisors, *app.roster.with_role("admin")]))


async def _redirect_group_rows(tx: Tx, app: DispatchApp, key: str,
                               rows: list[tuple[int, str, int | None, int | None]]) -> list[int]:  # fmt: skip
    """Notices waiting for the call takers' or supervisors' group go to the people privately instead."""
    redirected = []
    for row_id, kind, incident_id, _assignment in rows:
        if kind not in ("text", "photo"):
            continue
        targets = app.roster.with_role("supervisor" if key == SUPERVISORS else "call_taker")
        if key == CALL_TAKERS and incident_id is not None:
            incident = await tx.incidents.get(incident_id)
            targets = [incident.call_taker_id] if incident else targets
        await tx.roster.redirect(row_id, targets)
        redirected.append(row_id)
    return redirected


async def repost_open_cards(tx: Tx, app: DispatchApp, agency: str, chat_id: int) -> int:
    """Each open assignment of the agency gets a fresh card in chat_id, so its buttons work there."""
    count = 0
    for assignment_id in await tx.roster.open_assignments(agency):
        await tx.roster.attach(assignment_id, chat_id)
        if await tx.roster.has_pending_card(assignment_id):
            continue  # already on its way (re-targeted): one card is enough
        assignment = await tx.assignments.get(assignment_id)
        assert assignment is not None
        incident = await tx.incidents.get(assignment.incident_id)
        assert incident is not None
        await card(tx, incident, assignment)
        count += 1
    return count


async def migrate_chat(app: DispatchApp, old_chat: int, new_chat: int, *, source: str,
                       update_id: int | None = None) -> bool:  # fmt: skip
    """The group became a supergroup: binding, pending rows and open cards move to the new id. Idempotent:
    the service messages in both chats and the error on a send may all report the same migration."""
    async with roster_change(app, update_id) as tx:
        group = await tx.roster.group_of_chat(old_chat)
        moved = await tx.roster.retarget_pending(old_chat, new_chat)
        if group is None:
            return moved > 0
        await tx.roster.bind(group.key, new_chat, group.title)
        await tx.roster.drop_unbound(new_chat)
        await tx.roster.move_assignments(old_chat, new_chat)
        reposted = 0
        if group.key.startswith("agency:"):
            reposted = await repost_open_cards(tx, app, group.key.removeprefix("agency:"), new_chat)
        await tx.events.add("roster_changed", "telegram", what="group_migrated", key=group.key, old_chat=old_chat,
                            new_chat=new_chat, source=source, resent=moved, reposted=reposted)  # fmt: skip
    return True


async def on_delivery_lost(app: DispatchApp, row: OutboxRecord, exc: DeliveryError) -> bool:
    """The delivery worker's one call on a migrated or unreachable chat. True: handled here."""
    old_chat = int(row.target)
    if exc.migrated_to is not None:
        return await migrate_chat(app, old_chat, exc.migrated_to, source="send_error")
    group = app.roster.group_of_chat(old_chat)
    if group is None:
        return False  # a private chat that blocked the bot: the worker's usual permanent failure
    await chat_unreachable(app, group, "forbidden", failed=row)
    return True


async def chat_unreachable(app: DispatchApp, group: Group, reason: str, *, failed: OutboxRecord | None = None,
                           update_id: int | None = None) -> None:  # fmt: skip
    assert group.chat_id is not None
    label = group_label(app, group.key)
    async with roster_change(app, update_id) as tx:
        changed = await tx.roster.set_reachable(group.key, False, reason)
        rows = await tx.roster.pending_for_chat(group.chat_id)
        if group.key in (CALL_TAKERS, SUPERVISORS):
            await _redirect_group_rows(tx, app, group.key, rows)
            if failed is not None:
                await _redirect_group_rows(
                    tx, app, group.key, [(failed.id, failed.kind, failed.incident_id, None)]
                )
        await tx.roster.drop_pending([i for i, *_ in rows], f"unreachable: {reason}")
        if failed is not None:
            await tx.outbox.failed(failed.id, f"unreachable: {reason}")
            rows.append((failed.id, failed.kind, failed.incident_id, failed.assignment_id))
        agency = group.agency
        if agency is not None:
            await tx.roster.detach_agency(agency)
            noticed: set[int] = set()
            for _row_id, kind, _incident, assignment_id in rows:
                if (
                    kind in ("card", "card_repeat")
                    and assignment_id is not None
                    and assignment_id not in noticed
                ):
                    noticed.add(assignment_id)
                    await phone_notice(tx, app, agency, assignment_id)
        await tx.events.add("group_unreachable", "system", key=group.key, chat_id=group.chat_id, reason=reason,
                            dropped=len(rows), alerted=changed)  # fmt: skip
        if changed:
            text = (f"⚠️ <b>{esc(label)}</b> tidak bisa dihubungi lewat Telegram: {esc(REASONS.get(reason, reason))}. "
                    + ("Kartu untuk instansi ini kini diteruskan ke call taker untuk ditelepon. " if agency else "")
                    + "Tambahkan bot kembali ke grup itu (sebagai anggota yang boleh mengirim pesan).")  # fmt: skip
            for target in alert_targets(app, group.key):
                if target != group.chat_id:
                    await reply(tx, target, text, priority=PRIORITY_NOTICE)


async def phone_notice(tx: Tx, app: DispatchApp, agency: str, assignment_id: int) -> None:
    assignment = await tx.assignments.get(assignment_id)
    if assignment is None or assignment.state in ("cleared", "declined"):
        return
    incident = await tx.incidents.get(assignment.incident_id)
    if incident is None or incident.state != "open":
        return
    name = app.routing.agency_short(agency)
    phone = app.agency_phone(agency)
    number = f" di <b>{esc(phone)}</b>" if phone else ""
    place = ", ".join(p for p in (incident.kelurahan, incident.address) if p)
    await reply(
        tx, app.call_taker_target(incident.call_taker_id),
        f"☎️ Grup {esc(name)} tidak bisa dihubungi bot. Telepon {esc(name)}{number} untuk "
        f"<b>#{incident.number}</b> {esc(app.routing.categories[incident.category].name)} · {esc(place)}.",
        incident_id=incident.id, priority=PRIORITY_NOTICE,
    )  # fmt: skip
    await tx.events.add("phone_notice", "system", incident_id=incident.id, assignment_id=assignment_id,
                        agency=agency)  # fmt: skip


async def chat_reachable(app: DispatchApp, group: Group, *, actor_id: int | None,
                         update_id: int | None = None) -> None:  # fmt: skip
    """The bot is back in the group (or may post again): reachable, and the open cards re-posted."""
    assert group.chat_id is not None
    async with roster_change(app, update_id) as tx:
        changed = await tx.roster.set_reachable(group.key, True, None)
        reposted = 0
        if changed and group.agency is not None:
            reposted = await repost_open_cards(tx, app, group.agency, group.chat_id)
        await tx.events.add("group_reachable", "telegram", actor_id=actor_id, key=group.key,
                            chat_id=group.chat_id, changed=changed, reposted=reposted)  # fmt: skip
        if changed:
            label = group_label(app, group.key)
            for target in alert_targets(app):
                if target != group.chat_id:
                    await reply(tx, target, f"✅ <b>{esc(label)}</b> terhubung kembali lewat Telegram"
                                + (f"; {reposted} kartu kejadian terbuka dikirim ulang." if reposted else "."),
                                priority=PRIORITY_NOTICE)  # fmt: skip
