"""Field command parsing (pure)."""

from __future__ import annotations

import pytest

from radio_bridge.commands import HELP_TEXT, CommandError, FieldCommand, parse, strip_html


@pytest.mark.parametrize(
    ("raw", "plain"),
    [
        ("<b>!terima</b> 42", "!terima 42"),
        ("<p>!status&nbsp;42</p><p>tiba</p>", "!status 42 tiba"),
        ("!tolak 42 ban &amp; mesin &lt;rusak&gt;", "!tolak 42 ban & mesin <rusak>"),
        ("  !aktif \n", "!aktif"),
        ('<a href="x">!bantu</a><br/>', "!bantu"),
    ],
)
def test_strip_html(raw: str, plain: str) -> None:
    assert strip_html(raw) == plain


@pytest.mark.parametrize(
    ("text", "command"),
    [
        ("!terima 42", FieldCommand("terima", 42)),
        ("!TERIMA #42", FieldCommand("terima", 42)),
        ("!Status 42 Berangkat", FieldCommand("status", 42, status="berangkat")),
        ("!status #7 tiba", FieldCommand("status", 7, status="tiba")),
        ("!status 7   selesai ", FieldCommand("status", 7, status="selesai")),
        ("!tolak 42 Unit sedang di TKP lain", FieldCommand("tolak", 42, reason="Unit sedang di TKP lain")),
        ("!aktif", FieldCommand("aktif")),
        ("!bantu", FieldCommand("bantu")),
        ("!bantu tolong", FieldCommand("bantu")),
    ],
)
def test_parse_commands(text: str, command: FieldCommand) -> None:
    assert parse(text) == command


@pytest.mark.parametrize("text", ["", "terima 42", "siap, meluncur", "42 !terima"])
def test_chatter_is_not_a_command(text: str) -> None:
    assert parse(text) is None


@pytest.mark.parametrize(
    ("text", "hint"),
    [
        ("!", "!bantu"),
        ("!terima", "Format: !terima <nomor>"),
        ("!terima abc", "Format: !terima <nomor>"),
        ("!terima 0", "tidak valid"),
        ("!terima 42 43", "Format: !terima <nomor>"),
        ("!status 42", "Format: !status <nomor> berangkat|tiba|selesai"),
        ("!status 42 pulang", "Format: !status <nomor> berangkat|tiba|selesai"),
        ("!status tiba", "Format: !status <nomor> berangkat|tiba|selesai"),
        ("!tolak 42", "Alasan penolakan wajib"),
        ("!hapus 42", "tidak dikenal"),
    ],
)
def test_malformed_commands_explain_the_format(text: str, hint: str) -> None:
    with pytest.raises(CommandError) as caught:
        parse(text)
    assert hint in caught.value.message
    assert str(caught.value) == caught.value.message


def test_help_lists_every_verb() -> None:
    for verb in ("!terima", "!status", "!tolak", "!aktif", "!bantu"):
        assert verb in HELP_TEXT
