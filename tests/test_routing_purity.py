"""routing/ is a pure domain: no network, storage, Telegram or Mumble, and no reading the clock."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROUTING = Path(__file__).resolve().parent.parent / "routing"
FORBIDDEN_MODULES = {
    "telegram",
    "pymumble",
    "pymumble_py3",
    "aiosqlite",
    "apscheduler",
    "sqlite3",
    "asyncio",
    "socket",
    "httpx",
    "aiohttp",
    "bot",
    "storage",
    "handlers",
    "radio_bridge",
}
CLOCK_CALLS = {("datetime", "now"), ("datetime", "utcnow"), ("datetime", "today"), ("date", "today")}
CLOCK_CALLS |= {("time", name) for name in ("time", "time_ns", "monotonic", "perf_counter")}
MODULES = sorted(ROUTING.rglob("*.py"))


def _problems(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [f"import {a.name}" for a in node.names if a.name.split(".")[0] in FORBIDDEN_MODULES]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module.split(".")[0] in FORBIDDEN_MODULES:
                found.append(f"from {node.module} import ...")
            if node.module == "time" and any(a.name in {"time", "time_ns", "monotonic"} for a in node.names):
                found.append("from time import time")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            owner = node.func.value
            owner_name = owner.id if isinstance(owner, ast.Name) else getattr(owner, "attr", None)
            if (owner_name, node.func.attr) in CLOCK_CALLS:
                found.append(f"{owner_name}.{node.func.attr}()")
    return [f"{path.name}:{problem}" for problem in found]


def test_there_are_modules_to_check() -> None:
    assert {"table.py", "assignment.py", "incident.py", "fields.py", "model.py"} <= {m.name for m in MODULES}


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_routing_module_is_pure(path: Path) -> None:
    assert _problems(path) == []


def test_checker_catches_impurity(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text(
        "import asyncio\nfrom telegram import Bot\nimport datetime as dt\nfrom time import time\n"
        "x = dt.datetime.now()\ny = datetime.now()\nimport time\nz = time.time()\n",
        encoding="utf-8",
    )
    assert len(_problems(bad)) == 6
