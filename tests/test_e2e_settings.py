"""The end-to-end bot's settings: nothing fires at a WIB time of day unless the test asks for it."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from bot.settings import Settings, load_settings
from tests.e2e import settings_toml
from tests.settings_files import settings_at

URLS: Any = SimpleNamespace(base_url="http://127.0.0.1:1/bot", base_file_url="http://127.0.0.1:1/file/bot")


def loaded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, extra: str) -> Settings:
    settings_at(tmp_path, monkeypatch, settings_toml(URLS, tmp_path / "dispatch.sqlite3", extra=extra))
    return load_settings()


@pytest.mark.parametrize(
    ("extra", "rollcall", "digest"),
    [
        ("", False, False),
        ("[escalation]\nenabled = false", False, False),
        ("[rollcall]\nwindow = 4", True, False),  # the test's own section is left as it wrote it
        ("[digest]\ntime = '06:00'", False, True),
    ],
)
def test_roll_calls_and_digests_run_only_where_a_test_names_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, extra: str, rollcall: bool, digest: bool
) -> None:
    settings = loaded(tmp_path, monkeypatch, extra)
    assert (settings.rollcall.enabled, settings.digest.enabled) == (rollcall, digest)
