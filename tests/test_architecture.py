"""Dependencies point inward: edges -> bot -> routing; only the composition root wires the edges.

The edges: handlers/ (Telegram), radio_bridge/ (Mumble), web/ (HTTP). None imports another."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def imported_packages(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_bot_imports_the_edges_only_in_the_composition_root() -> None:
    offenders = [
        str(path.relative_to(ROOT))
        for path in (ROOT / "bot").rglob("*.py")
        if path.name != "compose.py" and imported_packages(path) & EDGES
    ]
    assert offenders == []


EDGES = {"handlers", "radio_bridge", "web"}


def test_the_edges_do_not_import_each_other() -> None:
    for edge in EDGES:
        for path in (ROOT / edge).rglob("*.py"):
            assert not imported_packages(path) & (EDGES - {edge}), path


def test_the_http_edge_uses_no_telegram_or_mumble_library() -> None:
    for path in (ROOT / "web").rglob("*.py"):
        assert not imported_packages(path) & {"telegram", "pymumble", "pymumble_py3", "aiosqlite"}, path


def test_storage_knows_nothing_above_it() -> None:
    for path in (ROOT / "storage").rglob("*.py"):
        assert not imported_packages(path) & (EDGES | {"bot", "telegram", "aiohttp"}), path


def test_sql_lives_in_storage() -> None:
    for package in ("bot", "handlers", "radio_bridge", "web", "routing"):
        for path in (ROOT / package).rglob("*.py"):
            text = path.read_text(encoding="utf-8")
            assert "await tx.db.execute" not in text and "db.execute(" not in text, path


def test_the_settings_file_carries_no_secret() -> None:
    text = (ROOT / "settings.toml").read_text(encoding="utf-8")
    assert "token =" not in text.replace("# ", "")


def test_only_run_py_starts_the_sandbox() -> None:
    """The sandbox (sandbox/) sits above the product like run.py: the product never imports it, so a
    production start cannot fall into the fake Telegram by mistake."""
    for package in ("bot", "handlers", "radio_bridge", "web", "routing", "storage"):
        for path in (ROOT / package).rglob("*.py"):
            assert "sandbox" not in imported_packages(path), path
    assert "sandbox" in (ROOT / "run.py").read_text(encoding="utf-8")


def test_the_database_subcommands_start_without_the_telegram_library() -> None:
    """`run.py report`, `import-calls`, `backup`: PTB's telegram.ext is 0.13 s of imports they never use."""
    probe = "import sys, run; run.parser(); import bot.reports.cli; print('telegram.ext' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False", out.stdout + out.stderr
