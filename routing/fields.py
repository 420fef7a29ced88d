"""Cleaning what call takers type: phone numbers (and masking them on cards) and free text."""

from __future__ import annotations

import re
import unicodedata

MAX_ADDRESS = 200
MAX_DESCRIPTION = 1000
MAX_NOTE = 500
MAX_REASON = 300

MIN_PHONE_DIGITS = 6
MAX_PHONE_DIGITS = 15

_PHONE_SEPARATORS = re.compile(r"[\s\-.()/]")
_INVISIBLE = dict.fromkeys(
    [
        0x061C,
        0x200B,
        0x200C,
        0x200D,
        0x200E,
        0x200F,
        0x2060,
        0xFEFF,
        *range(0x202A, 0x202F),
        *range(0x2066, 0x206A),
    ]
)
"""Bidi controls (they can reorder a card's text) and zero-width characters: removed outright."""
_SPACES = re.compile(r" {2,}")
_BLANK_LINES = re.compile(r"\n{3,}")


class FieldError(ValueError):
    """Bad input for one field; ``message`` (Indonesian) names the field."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def normalise_phone(text: str) -> str:
    """Indonesian national form: "+62 812-3456-7890", "62812..." -> "081234567890".

    Landlines keep their area code: "(0342) 801234" -> "0342801234". A number of another country
    keeps its "+". 6 to 15 digits, else FieldError.
    """
    raw = text.strip()
    compact = _PHONE_SEPARATORS.sub("", raw)
    international = compact.startswith("+")
    digits = compact.removeprefix("+")
    if not (digits.isascii() and digits.isdigit()):
        raise _bad_phone(raw)
    if not international and digits.startswith("00"):
        international, digits = True, digits[2:]
    if digits.startswith("62") and (international or len(digits) >= 10):
        digits = "0" + digits[2:].lstrip("0")
    elif international:
        digits = "+" + digits
    elif digits.startswith("8") and 9 <= len(digits) <= 12:
        digits = "0" + digits
    if not MIN_PHONE_DIGITS <= len(digits.removeprefix("+")) <= MAX_PHONE_DIGITS:
        raise _bad_phone(raw)
    return digits


def mask_phone(phone: str | None) -> str:
    """ "081234567890" -> "0812****7890"; shorter than 11: first 2 and last 2; None or "" -> "-"."""
    if not phone:
        return "-"
    if len(phone) >= 11:
        return f"{phone[:4]}****{phone[-4:]}"
    if len(phone) >= 6:
        return f"{phone[:2]}****{phone[-2:]}"
    return "****"


def clean_text(text: str, field: str, max_len: int) -> str:
    """Strip, drop bidi and zero-width characters, turn other control characters into spaces (newline
    and tab stay), collapse runs of spaces; FieldError if empty or longer than ``max_len``."""
    cleaned = _clean(text)
    if not cleaned:
        raise FieldError(f"{field} tidak boleh kosong.")
    return _within(cleaned, field, max_len)


def clean_optional(text: str | None, field: str, max_len: int) -> str | None:
    """Like clean_text, but nothing (or only blanks) gives None instead of an error."""
    cleaned = _clean(text) if text is not None else ""
    return _within(cleaned, field, max_len) if cleaned else None


def _clean(text: str) -> str:
    text = unicodedata.normalize("NFC", text).replace("\r\n", "\n").translate(_INVISIBLE)
    text = "".join(_visible(ch) for ch in text)
    lines = (_SPACES.sub(" ", line).strip(" ") for line in text.split("\n"))
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def _within(text: str, field: str, max_len: int) -> str:
    if len(text) > max_len:
        raise FieldError(f"{field} terlalu panjang (maksimal {max_len} karakter).")
    return text


def _visible(ch: str) -> str:
    if ch in "\n\t":
        return ch
    if ch in "\u2028\u2029":
        return "\n"
    code = ord(ch)
    return " " if code < 0x20 or 0x7F <= code <= 0x9F else ch


def _bad_phone(raw: str) -> FieldError:
    shown = "".join(_visible(ch) for ch in raw.translate(_INVISIBLE))[:30]
    return FieldError(f"Nomor telepon tidak valid: {shown}")


_PHONE_RUN = re.compile(r"\+?\(?\d[\d \-.()/]*\d")


def mask_phones_in(text: str) -> str:
    """Mask every phone-looking run of digits (6 or more, separators allowed) in free text, as on cards:
    "/baru ... | 081234567890 | ..." -> "/baru ... | 0812****7890 | ...". For what is stored (audit text),
    so a full number there does not outlive the retention period of the number's own column."""

    def masked(match: re.Match[str]) -> str:
        run = match.group(0)
        digits = "".join(ch for ch in run if ch.isdigit())
        if len(digits) < MIN_PHONE_DIGITS:
            return run
        try:
            return mask_phone(normalise_phone(run))
        except FieldError:
            return mask_phone(digits)

    return _PHONE_RUN.sub(masked, text)
