"""How names and codes are compared: case-, space- and punctuation-insensitive."""

from __future__ import annotations

import re
import unicodedata

CODE_PATTERN = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
"""Agency, category, group and disposition codes: lowercase words joined by hyphens."""

_PLACE_PREFIX = re.compile(r"\s*(kecamatan|kelurahan|kec|kel)\b\.?\s*(.*)", re.IGNORECASE | re.DOTALL)


def name_key(text: str) -> str:
    """The comparison key of a place or code: "KEPANJEN KIDUL", "Kepanjen-Kidul" -> "kepanjenkidul"."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return "".join(ch for ch in folded if ch.isalnum())


def is_code(text: str) -> bool:
    return CODE_PATTERN.fullmatch(text) is not None


def split_place_prefix(text: str) -> tuple[str | None, str]:
    """("kecamatan" | "kelurahan" | None, the rest): "Kec. Sukorejo" -> ("kecamatan", "Sukorejo")."""
    match = _PLACE_PREFIX.fullmatch(text)
    if match is None or not match.group(2).strip():
        return None, text
    word = match.group(1).casefold()
    kind = "kecamatan" if word.startswith("kec") else "kelurahan"
    return kind, match.group(2)
