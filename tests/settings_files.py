"""A settings file for `bot.settings.load_settings()` in this process, with no DISPATCH_ variable of the
test run's own environment leaking in."""

from __future__ import annotations

import os
from pathlib import Path

import pytest


def settings_at(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str, **env: str) -> Path:
    path = tmp_path / "settings.toml"
    path.write_text(text, encoding="utf-8")
    for key in [k for k in os.environ if k.startswith("DISPATCH_")]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("DISPATCH_SETTINGS", str(path))
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return path
