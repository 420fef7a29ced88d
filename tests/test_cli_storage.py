"""`run.py blocklist | export-eidd | import-eidd` open the database [storage] names: the SQLite file, or
PostgreSQL by url (then the SQLite path beside it stays untouched)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from bot.app import DispatchApp
from bot.services.common import Actor
from bot.services.incidents import IncidentForm, dispatch_incident
from bot.settings import Settings
from routing.table import load_routing
from storage.uow import Store
from tests.dbread import on_postgres, rows, storage_toml

ROOT = Path(__file__).resolve().parent.parent
PHONE, BLOCKED = "081234567890", "081299998888"


def run(settings: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DISPATCH_")}
    env["DISPATCH_SETTINGS"] = str(settings)
    return subprocess.run([sys.executable, "run.py", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)  # fmt: skip


async def test_blocklist_export_and_import_eidd_on_the_configured_database(
    tmp_path: Path, db_target: str
) -> None:
    settings = tmp_path / "settings.toml"
    settings.write_text(f'timezone = "Asia/Jakarta"\n[access]\ncall_takers = [111]\n'
                        f"[storage]\n{storage_toml(db_target, tmp_path)}\n")  # fmt: skip
    store = await Store.open(db_target)
    now = time.time()
    app = DispatchApp(settings=Settings(), store=store, routing=load_routing(), clock=lambda: now)
    try:
        form = IncidentForm("kebakaran", "Sentul", "Jl. Kenari 17", PHONE, "Rumah terbakar")
        await dispatch_incident(app, form, Actor(id=111, name="Ani", chat_id=111), update_id=None)
        async with store.transaction(now) as tx:
            await tx.blocks.add(BLOCKED, "0812****8888", 1, now + 3600, "prank berulang", 222, "Sari")
    finally:
        await store.close()

    done = run(settings, "blocklist", "--format", "csv")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "phone,blocked_at,until,level,reason,blocked_by" and len(lines) == 2
    assert lines[1].startswith(f"{BLOCKED},") and lines[1].endswith(",1,prank berulang,Sari")

    done = run(settings, "export-eidd", "1")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["call"]["callbackNumber"] == PHONE
    document = tmp_path / "eidd-1.json"
    document.write_text(done.stdout, encoding="utf-8")

    done = run(settings, "import-eidd", str(document))
    assert done.returncode == 0 and "Kejadian #2 dibuat" in done.stdout, done.stderr
    assert rows(db_target, "SELECT number, address, phone FROM incidents ORDER BY number") == [
        (1, "Jl. Kenari 17", PHONE),
        (2, "Jl. Kenari 17", PHONE),
    ]
    again = run(settings, "import-eidd", str(document))
    assert again.returncode == 1 and "sudah diimpor sebagai #2" in again.stderr
    # On PostgreSQL nothing was written to (or created at) the SQLite path [storage] also names.
    assert on_postgres() != (tmp_path / "dispatch.sqlite3").exists()
