"""Phone numbers and free text typed by call takers."""

from __future__ import annotations

import pytest

from routing.fields import (
    MAX_ADDRESS,
    FieldError,
    clean_optional,
    clean_text,
    mask_phone,
    normalise_phone,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0812-3456-7890", "081234567890"),
        ("+62 812 3456 7890", "081234567890"),
        ("6281234567890", "081234567890"),
        ("+62 (0)812 3456 7890", "081234567890"),
        ("0062 812 3456 7890", "081234567890"),
        ("81234567890", "081234567890"),
        ("(0342) 801234", "0342801234"),
        ("0342.801.234", "0342801234"),
        ("+1 415 555 0100", "+14155550100"),
    ],
)
def test_normalise_phone(text: str, expected: str) -> None:
    assert normalise_phone(text) == expected


@pytest.mark.parametrize(
    "text", ["112", "", "   ", "0812 abc 7890", "0812345678901234567", "++62812345678", "١٢٣٤٥٦٧"]
)
def test_invalid_phone(text: str) -> None:
    with pytest.raises(FieldError) as caught:
        normalise_phone(text)
    assert caught.value.message.startswith("Nomor telepon tidak valid")


def test_mask_phone() -> None:
    assert mask_phone("081234567890") == "0812****7890"
    assert mask_phone("08123456789") == "0812****6789"
    assert mask_phone("0342801234") == "03****34"
    assert mask_phone("1234") == "****"
    assert mask_phone(None) == "-"
    assert mask_phone("") == "-"


def test_clean_text_strips_bidi_zero_width_and_controls() -> None:
    dirty = "  Jl.\u202e Merdeka\u200b  No.\x00 5\u2066\r\nRT 02\tRW 03\x85 \ufeff "
    assert clean_text(dirty, "Alamat", MAX_ADDRESS) == "Jl. Merdeka No. 5\nRT 02\tRW 03"


def test_clean_text_collapses_spaces_and_blank_lines() -> None:
    assert clean_text("a    b\n\n\n\nc", "Keterangan", 100) == "a b\n\nc"


def test_clean_text_errors() -> None:
    with pytest.raises(FieldError) as empty:
        clean_text(" \u200b\u202a ", "Alamat", 10)
    assert empty.value.message == "Alamat tidak boleh kosong."
    with pytest.raises(FieldError) as long:
        clean_text("x" * 11, "Alamat", 10)
    assert long.value.message == "Alamat terlalu panjang (maksimal 10 karakter)."
    assert clean_text("x" * 10, "Alamat", 10) == "x" * 10


def test_clean_optional() -> None:
    assert clean_optional(None, "Catatan", 10) is None
    assert clean_optional(" \u200b ", "Catatan", 10) is None
    assert clean_optional(" ok ", "Catatan", 10) == "ok"
    with pytest.raises(FieldError):
        clean_optional("x" * 11, "Catatan", 10)
