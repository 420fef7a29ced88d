"""`python run.py` without a token is the sandbox; --live never is; bad ports and scenario files exit 2."""

from __future__ import annotations

import asyncio
import json
import socket
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path

import pytest

from tests.sandbox_support import ROOT, running_sandbox, sandbox_env

pytestmark = pytest.mark.e2e


def run(*args: str, env: dict[str, str], timeout: float = 30) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(ROOT / "run.py"), *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=timeout, check=False)  # fmt: skip


def test_live_without_a_token_exits_2_with_one_line(tmp_path: Path) -> None:
    result = run("--live", env=sandbox_env(tmp_path))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("telegram.token:"), result.stderr
    assert result.stdout == ""


def test_a_sandbox_port_in_use_exits_2_with_one_line(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run(env=sandbox_env(tmp_path, DISPATCH_SANDBOX__PORT=str(port)))
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1] == (
        f"Pengaturan salah: sandbox.port: 127.0.0.1:{port} sudah dipakai program lain"
    ), result.stderr


def test_sandbox_is_forced_even_with_a_token(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = sandbox_env(
            tmp_path, DISPATCH_SANDBOX__PORT=str(port), DISPATCH_TELEGRAM__TOKEN="123456:REAL-TOKEN"
        )
        result = run("--sandbox", env=env)
    # It went for the sandbox's port, not Telegram.
    assert result.returncode == 2 and f"sandbox.port: 127.0.0.1:{port}" in result.stderr, result.stderr


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('[scenario]\ntitle = "x"\n[[call]]\nid = "a"\nat = 1\nphone = "0812345678"\n',
         "call[1].says: wajib diisi"),
        ('[scenario]\ntitle = "x"\n[[call]]\nid = "a"\nat = 1\nphone = "0812345678"\nsays = "halo"\n'
         'category = "gempa"\nkelurahan = "Sentul"\naddress = "x"\ndescription = "y"\n',
         "call[1].category: kategori tidak dikenal: gempa"),
        ('[scenario]\ntitle = "x"\nwaktu = 3\n[[call]]\nid = "a"\n', "scenario.waktu: kunci tidak dikenal"),
        ('[scenario]\ntitle = "x"\n[[call]\n', "TOML tidak valid"),
        ('[scenario]\ntitle = "x"\n[[call]]\nid = "a"\nat = 1\nphone = "0812345678"\nsays = "s"\nkind = "prank"\n'
         '[[response]]\ncall = "b"\nagency = "damkar"\nafter = 1\naction = "terima"\n',
         "response[1].call: tidak ada panggilan dengan id 'b'"),
    ],
)  # fmt: skip
def test_a_bad_scenario_file_names_the_key_and_exits_2(tmp_path: Path, body: str, message: str) -> None:
    scenario = tmp_path / "salah.toml"
    scenario.write_text(body, encoding="utf-8")
    result = run("--scenario", str(scenario), "--auto", env=sandbox_env(tmp_path))
    assert result.returncode == 2
    line = result.stderr.strip().splitlines()[-1]
    assert line.startswith("Skenario salah: ") and message in line, result.stderr
    if "TOML" in message:
        assert "(baris 3, kolom 7)" in line


@pytest.mark.radio
async def test_run_without_a_token_prints_the_console_url_within_30_s() -> None:
    async with running_sandbox(within=30.0) as sandbox:
        assert sandbox.url.startswith("http://127.0.0.1:")
        body = await asyncio.to_thread(lambda: urllib.request.urlopen(sandbox.url + "/", timeout=5).read())
        assert b"Konsol Latihan 112" in body
        state = json.loads(await asyncio.to_thread(
            lambda: urllib.request.urlopen(sandbox.url + "/api/state", timeout=5).read()))  # fmt: skip
        roles = [p["role"] for p in state["people"]]
        assert roles.count("call_taker") == 2 and roles.count("supervisor") == 1 and roles.count("admin") == 1
        agency_groups = [c for c in state["chats"] if c["kind"] == "agency"]
        assert len(agency_groups) >= 20 and all(len(c["members"]) == 2 for c in agency_groups)
        assert {"call_takers", "supervisors"} <= {c["kind"] for c in state["chats"]}
        assert state["radio"]["users"] and state["training"] is True


@pytest.mark.radio
def test_a_bundled_scenario_plays_itself_with_auto_and_is_scored() -> None:
    workdir = Path(tempfile.mkdtemp(prefix="sandbox-auto-", dir="/tmp"))
    workdir.chmod(0o755)
    env = sandbox_env(workdir)
    result = run("--scenario", "sandbox/scenarios/kebakaran-sentul.toml", "--auto", env=env, timeout=150)
    assert result.returncode == 0, result.stderr[-3000:]
    lines = result.stdout.strip().splitlines()
    assert "siap: http://127.0.0.1:" in lines[0]
    assert lines[-1].startswith("Skor latihan: 90/100")
    score = json.loads((workdir / "var" / "sandbox-skor-kebakaran-sentul.json").read_text(encoding="utf-8"))
    (call,) = score["calls"]
    outcome = call["outcome"]
    assert outcome["logged_as"] == "dispatch" and outcome["category_right"] is True
    assert outcome["seconds"] < 60 and outcome["missing"] == []
    # Routed by the table for a fire in Sentul, plus PMI added with /tambah after BPBD's Tolak.
    assert sorted(outcome["agencies"]) == ["bpbd", "damkar", "pln", "pmi", "polres", "satpolpp"]
    assert outcome["escalations"] == 1  # Satpol PP never answers: its card is repeated (ULANG) once
    assert score["total"] == {"points": 90, "max": 100, "percent": 90.0}
