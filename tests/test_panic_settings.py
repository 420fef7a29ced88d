"""[http] and [panic] settings: defaults, tokens from the environment only, one line naming the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.settings import SettingsError, load_settings
from tests.settings_files import settings_at


def test_defaults_and_tokens_from_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    settings_at(tmp_path, monkeypatch, "", DISPATCH_PANIC__TOKENS='{"blitar_in_hand": "0123456789abcdef"}')
    settings = load_settings()
    assert (settings.http.enabled, settings.http.host, settings.http.port) == (True, "127.0.0.1", 8081)
    assert settings.panic.tokens["blitar_in_hand"].get_secret_value() == "0123456789abcdef"
    assert "0123456789abcdef" not in repr(settings)


@pytest.mark.parametrize(
    ("text", "env", "key"),
    [
        ('[panic]\ntokens = { blitar_in_hand = "0123456789abcdef" }\n', {}, "panic.tokens"),
        ("[panic]\n[panic.tokens]\n", {}, "panic.tokens"),  # even an empty table: the key has no place there
        ("", {"DISPATCH_PANIC__TOKENS": '{"app": "short"}'}, "panic.tokens"),
        ("", {"DISPATCH_PANIC__TOKENS": "not json"}, "panic"),
        ("[http]\nport = 70000\n", {}, "http.port"),
        ("[http]\nhots = 1\n", {}, "http.hots"),
        ("[panic]\nper_phone = 0\n", {}, "panic.per_phone"),
    ],
)
def test_bad_settings_name_the_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str,
                                   env: dict[str, str], key: str) -> None:  # fmt: skip
    settings_at(tmp_path, monkeypatch, text, **env)
    with pytest.raises(SettingsError) as caught:
        load_settings()
    assert caught.value.key == key
