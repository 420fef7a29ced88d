"""The roster: seeding from the settings, the in-memory snapshot, and who sees which commands."""

from __future__ import annotations

from typing import Any

from bot.app import DispatchApp
from bot.command_menu import CommandMenu, desired_menus
from bot.roster import seed_from_settings
from bot.services.common import Actor
from bot.services.groups import roster_change
from bot.services.roster import revoke
from bot.settings import Settings
from routing.table import load_routing
from storage.uow import Store


def settings(**extra: Any) -> Settings:
    base: dict[str, Any] = {
        "access": {"call_takers": [111], "supervisors": [222], "admins": [333]},
        "chats": {"supervisors": -1002},
        "agencies": {"damkar": {"chat_id": -1003, "mumble_channel": "Damkar", "phone": "(0342) 801234"}},
        "mumble": {"enabled": False, "users": {"Damkar-1": "damkar"}},
    }
    base.update(extra)
    return Settings(**base)


async def app_for(db_target: str, s: Settings, now: list[float]) -> DispatchApp:
    store = await Store.open(db_target)
    app = DispatchApp(settings=s, store=store, routing=load_routing(), clock=lambda: now[0])
    async with store.transaction(now[0]) as tx:
        await seed_from_settings(tx, s)
    await app.reload_roster()
    return app


async def test_seeded_once_then_telegram_changes_survive_a_restart(db_target: str) -> None:
    now = [1_700_000_000.0]
    app = await app_for(db_target, settings(), now)
    assert app.is_call_taker(111) and app.is_supervisor(222) and app.is_admin(333)
    assert app.agency_chat("damkar") == -1003 and app.agency_channel("damkar") == "Damkar"
    assert app.agency_phone("damkar") == "(0342) 801234" and app.mumble_agency("Damkar-1") == "damkar"
    assert app.supervisor_targets() == [-1002]
    admin = Actor(333, "Admin", 333)
    assert await revoke(app, admin, "111", update_id=None) == ["call_taker"]
    assert not app.is_call_taker(111)  # at once, no restart
    await app.store.close()
    # Restart with one more agency in the settings: the new entry arrives, the revoked role stays revoked.
    more = settings(agencies={"damkar": {"chat_id": -1003, "mumble_channel": "Damkar", "phone": "(0342) 801234"},
                              "polres": {"chat_id": -1004}})  # fmt: skip
    again = await app_for(db_target, more, now)
    assert again.agency_chat("polres") == -1004 and not again.is_call_taker(111)
    await again.store.close()


async def test_settings_admins_stay_admins(db_target: str) -> None:
    now = [1_700_000_000.0]
    app = await app_for(db_target, settings(), now)
    async with roster_change(app) as tx:
        await tx.roster.remove_person(333, None)  # even gone from the table
    assert app.is_admin(333) and app.is_call_taker(333) and app.is_supervisor(333)
    await app.store.close()


async def test_unreachable_agency_is_phoned_and_supervisors_fall_back(db_target: str) -> None:
    now = [1_700_000_000.0]
    app = await app_for(db_target, settings(), now)
    async with roster_change(app) as tx:
        await tx.roster.set_reachable("agency:damkar", False, "kicked")
        await tx.roster.set_reachable("supervisors", False, "kicked")
    assert app.agency_chat("damkar") is None
    assert app.supervisor_targets() == [222]
    assert app.roster.group_of_chat(-1003) is not None  # still bound: not an "unknown group"
    await app.store.close()


async def test_command_menus_per_audience(db_target: str) -> None:
    now = [1_700_000_000.0]
    app = await app_for(db_target, settings(chats={"call_takers": -1001, "supervisors": -1002}), now)
    menus = desired_menus(app)
    names = {chat: [n for n, _ in cmds] for chat, cmds in menus.items()}
    assert "baru" in names[111] and "undang" not in names[111] and "apel" not in names[111]
    assert "apel" in names[222] and "baru" not in names[222]
    assert {"baru", "apel", "undang", "cabut"} <= set(names[333])
    assert "baru" in names[-1001] and "laporan" in names[-1002] and "daftar" in names[-1003]
    assert all(len(d) <= 256 and n.islower() for cmds in menus.values() for n, d in cmds)

    class Port:
        def __init__(self) -> None:
            self.calls: list[tuple[str, int]] = []

        async def set_commands(self, chat_id: int, commands: Any) -> None:
            self.calls.append(("set", chat_id))

        async def delete_commands(self, chat_id: int) -> None:
            self.calls.append(("delete", chat_id))

    port = Port()
    menu = CommandMenu(app, port)
    await menu.publish()
    assert len(port.calls) == len(menus)
    port.calls.clear()
    await menu.publish()
    assert port.calls == []  # nothing changed, nothing sent
    await revoke(app, Actor(333, "Admin", 333), "111", update_id=None)
    await menu.publish()
    assert port.calls == [("delete", 111)]  # refreshed when roles change
    port.calls.clear()
    async with roster_change(app) as tx:
        await tx.roster.remove_person(222, None)  # changed while "the bot was down"
    await CommandMenu(app, port).publish()  # a fresh worker after a restart
    assert port.calls == [("delete", 222)]  # the stale menu is withdrawn, nothing else re-sent
    await app.store.close()


async def outbox(app: DispatchApp) -> list[tuple[str, str, str]]:
    async with app.store.reading(app.clock()) as tx:
        async with tx.db.execute("SELECT kind, target, payload FROM outbox ORDER BY id") as c:
            return [(str(r[0]), str(r[1]), str(r[2])) for r in await c.fetchall()]


async def test_rollcall_summary_exactly_once_after_the_window(db_target: str) -> None:
    from bot.services.rollcall import answer_rollcall, start_rollcall, summarize_due

    now = [1_700_000_000.0]
    s = settings(
        agencies={"damkar": {"chat_id": -1003}, "polres": {"chat_id": -1004}, "bpbd": {"chat_id": -1005}}
    )
    app = await app_for(db_target, s, now)
    async with roster_change(app) as tx:
        await tx.roster.set_reachable("agency:bpbd", False, "kicked")
    rollcall_id = await start_rollcall(app, None, update_id=None)  # the scheduled one: no actor
    posted = [r for r in await outbox(app) if "Apel siaga" in r[2]]
    assert sorted(t for _, t, _ in posted) == ["-1003", "-1004"]  # the unreachable group is not asked
    token = next(p for _, t, p in posted if t == "-1003").split(f"r:{rollcall_id}:")[1][:8]
    assert await answer_rollcall(app, rollcall_id, token, Actor(501, "Budi", -1003), update_id=None) is True
    assert await answer_rollcall(app, rollcall_id, token, Actor(502, "Joko", -1003), update_id=None) is False
    now[0] += 599
    await summarize_due(app)
    assert not [r for r in await outbox(app) if "Hasil apel" in r[2]]  # the window is not over yet
    now[0] += 2
    await summarize_due(app)
    await summarize_due(app)
    summaries = [r for r in await outbox(app) if "Hasil apel" in r[2]]
    assert len(summaries) == 1 and summaries[0][1] == "-1002"
    text = summaries[0][2]
    assert (
        "Damkar — Budi" in text and "Tidak menjawab: Polres" in text and "Tidak bisa dihubungi: BPBD" in text
    )
    await app.store.close()


async def test_unbound_group_left_after_its_hours_unless_bound(db_target: str) -> None:
    from bot.services.roster import bind_group
    from bot.services.unbound import bot_added_unbound, leave_unbound_due

    now = [1_700_000_000.0]
    app = await app_for(db_target, settings(groups={"unbound_leave_hours": 1}), now)
    await bot_added_unbound(app, -5001, "Acak", 999, "Orang", update_id=None)
    await bot_added_unbound(app, -5002, "Polres Baru", 999, "Orang", update_id=None)
    await bind_group(app, Actor(333, "Admin", -5002), "polres", -5002, "Polres Baru", update_id=None)
    now[0] += 3599
    assert await leave_unbound_due(app) == 1_700_000_000.0 + 3600
    now[0] += 1
    await leave_unbound_due(app)
    leaves = [t for k, t, _ in await outbox(app) if k == "leave"]
    assert leaves == ["-5001"]  # the bound one stays
    await app.store.close()


async def test_lepas_turns_cards_still_waiting_into_phone_notices(db_target: str) -> None:
    from bot.services.incidents import IncidentForm, dispatch_incident
    from bot.services.roster import unbind_group

    now = [1_700_000_000.0]
    app = await app_for(db_target, settings(), now)
    form = IncidentForm("kebakaran", "Sentul", "Jl. Kenari 17", "081234567890", "Rumah terbakar")
    await dispatch_incident(app, form, Actor(111, "Ani", 111), update_id=None)
    assert [t for k, t, _ in await outbox(app) if k == "card"] == ["-1003"]
    await unbind_group(app, Actor(333, "Admin", 333), "damkar", update_id=None)
    assert app.agency_chat("damkar") is None and app.roster.group_of_chat(-1003) is None
    async with app.store.reading(now[0]) as tx:
        async with tx.db.execute("SELECT state FROM outbox WHERE kind = 'card'") as c:
            assert [r[0] for r in await c.fetchall()] == ["superseded"]
    notices = [p for k, t, p in await outbox(app) if t == "111" and "Telepon Damkar" in p]
    assert len(notices) == 1 and "(0342) 801234" in notices[0] and "#1" in notices[0]
    await app.store.close()


async def test_rollcall_times_are_scheduled_on_the_job_queue(db_target: str) -> None:
    from telegram.ext import ApplicationBuilder

    from bot.roster_jobs import check_interval, schedule_roster_jobs

    now = [1_700_000_000.0]
    app = await app_for(db_target, settings(rollcall={"times": ["07:00", "23:30"], "window": 120}), now)
    application = ApplicationBuilder().token("1:x").build()
    assert application.job_queue is not None
    schedule_roster_jobs(application.job_queue, app)
    names = sorted(j.name or "" for j in application.job_queue.jobs())
    assert names == ["apel-07:00", "apel-23:30", "roster-check"]
    assert check_interval(app) == 30.0  # a 120 s window is checked every 30 s
    await app.store.close()


async def test_instansi_fits_telegram_messages_with_long_titles(db_target: str) -> None:
    from bot.services.rollcall import agency_overview

    now = [1_700_000_000.0]
    agencies = {
        code: {"chat_id": -2000 - i, "phone": "0" * 20} for i, code in enumerate(load_routing().agencies)
    }
    app = await app_for(db_target, settings(agencies=agencies), now)
    async with roster_change(app) as tx:
        for code, agency in agencies.items():
            await tx.roster.bind(f"agency:{code}", int(agency["chat_id"]), "<b>" + "Grup & " * 30)
    await agency_overview(app, Actor(111, "Ani", 111), update_id=None)
    replies = [p for k, t, p in await outbox(app) if t == "111"]
    assert len(replies) >= 2 and all(len(p) < 4096 for p in replies)
    assert sum(p.count("✅ grup") for p in replies) == len(agencies)
    assert "&lt;b&gt;" in replies[0]  # group titles are user text: escaped
    await app.store.close()
