"""The service unit in deploy/ keeps the promises the README's production section makes."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def directives(path: Path) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith(("#", "[")):
            key, _, value = line.partition("=")
            found.setdefault(key, []).append(value)
    return found


def test_unit_runs_live_as_its_own_user_with_only_the_data_dir_writable() -> None:
    unit = directives(ROOT / "deploy" / "dispatch-bridge.service")
    assert unit["ExecStart"][0].endswith("run.py --live")
    assert unit["User"] == ["dispatch"] and unit["Restart"] == ["always"]
    assert unit["ProtectSystem"] == ["strict"] and unit["NoNewPrivileges"] == ["true"]
    data = unit["ReadWritePaths"][0]
    env = dict(e.split("=", 1) for e in unit["Environment"])
    for key in ("DISPATCH_STORAGE__PATH", "DISPATCH_MUMBLE__DATA_DIR", "DISPATCH_BACKUP__DIR"):
        assert env[key].startswith(data + "/"), key  # everything it writes is inside ReadWritePaths
    assert unit["RestartPreventExitStatus"] == ["2"]  # bad settings: restarting cannot help
    assert unit["EnvironmentFile"] == ["/etc/dispatch-bridge.env"]


def test_env_example_holds_no_secret() -> None:
    for line in (ROOT / "deploy" / "dispatch-bridge.env.example").read_text().splitlines():
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            assert key.startswith("DISPATCH_") and value == "", line


def test_systemd_accepts_the_unit(tmp_path: Path) -> None:
    import shutil
    import subprocess
    import sys

    import pytest

    if shutil.which("systemd-analyze") is None:
        pytest.skip("systemd-analyze not installed")
    text = (ROOT / "deploy" / "dispatch-bridge.service").read_text()
    # Only the interpreter's path differs on this machine; every other line is checked as shipped.
    text = text.replace("/srv/dispatch-bridge/.venv/bin/python", sys.executable)
    unit = tmp_path / "dispatch-bridge.service"
    unit.write_text(text)
    done = subprocess.run(
        ["systemd-analyze", "verify", str(unit)], capture_output=True, text=True, timeout=60
    )
    problems = [
        line for line in (done.stdout + done.stderr).splitlines() if "dispatch-bridge.service" in line
    ]
    assert problems == [], problems


def test_postgres_drop_in_sets_the_url_without_a_password() -> None:
    drop_in = directives(ROOT / "deploy" / "postgres-standby.conf")
    env = dict(e.split("=", 1) for e in drop_in["Environment"])
    url = env["DISPATCH_STORAGE__URL"]
    assert url.startswith("postgresql://") and ":" not in url.split("://", 1)[1].split("@", 1)[0]
    unit = directives(ROOT / "deploy" / "dispatch-bridge.service")
    # Lost the lease: exit 3, which the unit restarts (as a standby); only 2 (bad settings) is final.
    from bot.standby import FENCED_EXIT

    assert (
        unit["Restart"] == ["always"] and str(FENCED_EXIT) not in unit["RestartPreventExitStatus"][0].split()
    )
