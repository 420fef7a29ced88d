"""Field commands typed on Mumble (pure: no I/O, no pymumble).

Real Mumble clients send HTML (``<b>!terima</b> 42``, ``&lt;``), so text is
stripped and unescaped before parsing. A text that does not start with ``!``
is ordinary chatter and yields ``None``; a text that starts with ``!`` but is
malformed raises ``CommandError`` whose message is the usage hint to send back.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Literal, cast, get_args

Verb = Literal["terima", "status", "tolak", "aktif", "bantu"]
Status = Literal["berangkat", "tiba", "selesai"]

VERBS: tuple[str, ...] = get_args(Verb)
STATUSES: tuple[str, ...] = get_args(Status)

USAGE: dict[str, str] = {
    "terima": "Format: !terima <nomor>, contoh: !terima 42",
    "status": "Format: !status <nomor> berangkat|tiba|selesai, contoh: !status 42 tiba",
    "tolak": "Format: !tolak <nomor> <alasan>, contoh: !tolak 42 unit sedang bertugas",
    "aktif": "Format: !aktif",
    "bantu": "Format: !bantu",
}

HELP_TEXT = "\n".join(
    [
        "Perintah radio 112:",
        "!terima <nomor> - unit menerima kejadian, contoh: !terima 42",
        "!status <nomor> berangkat|tiba|selesai - laporkan posisi, contoh: !status 42 tiba",
        "!tolak <nomor> <alasan> - tidak dapat menangani, contoh: !tolak 42 unit sedang bertugas",
        "!aktif - daftar kejadian yang masih terbuka",
        "!bantu - tampilkan bantuan ini",
    ]
)


class CommandError(ValueError):
    """A malformed command; ``str(error)`` is the Indonesian hint to reply with."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class FieldCommand:
    verb: Verb
    number: int | None = None
    status: Status | None = None
    reason: str | None = None


_BREAKS = re.compile(r"<\s*(br|/p|/div|/li|/tr|p|div|li|tr)\b[^>]*>", re.IGNORECASE)
_TAGS = re.compile(r"<[^>]*>")
_SPACE = re.compile(r"\s+")
_NUMBER = re.compile(r"#?(\d{1,7})")


def strip_html(text: str) -> str:
    """Plain text of a Mumble message: tags removed, entities unescaped, whitespace collapsed."""
    # Line-breaking tags become spaces so "<p>!terima</p><p>42</p>" keeps its words apart.
    text = _BREAKS.sub(" ", text)
    text = _TAGS.sub("", text)
    text = html.unescape(text).replace("\xa0", " ")
    return _SPACE.sub(" ", text).strip()


def _number(token: str | None, verb: str) -> int:
    match = _NUMBER.fullmatch(token or "")
    if match is None or int(match.group(1)) == 0:
        shown = f" '{token}'" if token else ""
        raise CommandError(f"Nomor kejadian{shown} tidak valid. {USAGE[verb]}")
    return int(match.group(1))


def parse(text: str) -> FieldCommand | None:
    """Parse a field command, or return None when ``text`` is not a command."""
    text = text.strip()
    if not text.startswith("!"):
        return None
    parts = text[1:].split(maxsplit=2)
    if not parts:
        raise CommandError("Perintah kosong. Ketik !bantu untuk daftar perintah.")
    verb = parts[0].lower()
    args = parts[1:]
    if verb not in VERBS:
        raise CommandError(f"Perintah '!{parts[0]}' tidak dikenal. Ketik !bantu untuk daftar perintah.")
    if verb in ("aktif", "bantu"):
        # Extra words are harmless here ("!aktif semua"): be lenient on a radio keyboard.
        return FieldCommand(verb=cast(Verb, verb))
    number = _number(args[0] if args else None, verb)
    rest = args[1].strip() if len(args) > 1 else ""
    if verb == "terima":
        if rest:
            raise CommandError(USAGE["terima"])
        return FieldCommand(verb="terima", number=number)
    if verb == "status":
        status = rest.lower()
        if status not in STATUSES:
            raise CommandError(USAGE["status"])
        return FieldCommand(verb="status", number=number, status=cast(Status, status))
    if not rest:
        raise CommandError(f"Alasan penolakan wajib diisi. {USAGE['tolak']}")
    return FieldCommand(verb="tolak", number=number, reason=rest)
