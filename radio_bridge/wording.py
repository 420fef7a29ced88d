"""What the radio says and posts (pure functions, no I/O).

espeak-ng reads Indonesian words well but stumbles over what dispatchers type:
it reads "Jl." as letters, "03/05" as a date or a fraction, and spells "PLN"
letter by letter in English-ish names. So before synthesis we write text the
way a person says it on the radio: abbreviations expanded, acronyms spelled
with Indonesian letter names ("pe el en"), numbers as words (num2words, id),
and the incident number read as "nomor empat puluh dua".
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence

from num2words import num2words

# Indonesian names of the letters, as a person spells an acronym aloud.
LETTERS = {
    "a": "a", "b": "be", "c": "ce", "d": "de", "e": "e", "f": "ef", "g": "ge", "h": "ha",
    "i": "i", "j": "je", "k": "ka", "l": "el", "m": "em", "n": "en", "o": "o", "p": "pe",
    "q": "ki", "r": "er", "s": "es", "t": "te", "u": "u", "v": "ve", "w": "we", "x": "eks",
    "y": "ye", "z": "zet",
}  # fmt: skip

# Acronyms that are spelled, not read as a word. "Damkar", "Polres", "Dinkes",
# "Satpol" are said as words and so are left alone.
SPELLED = (
    "PJU", "ODGJ", "BPBD", "PLN", "RSUD", "PMI", "DLH", "PP", "RT", "RW", "TKP", "KTP",
    "SPBU", "BPJS", "PDAM", "TNI", "APAR", "OPD", "UGD", "IGD", "KDRT", "ATM",
)  # fmt: skip
# Said as words although written in capitals.
AS_WORDS = {"APAR": "apar"}

ABBREVIATIONS: tuple[tuple[str, str], ...] = (
    (r"\bJl(?:n)?\b\.?", "Jalan"),
    (r"\bGg\b\.?", "Gang"),
    (r"\bKel\b\.", "Kelurahan"),
    (r"\bKec\b\.", "Kecamatan"),
    (r"\bKab\b\.", "Kabupaten"),
    (r"\bPerum\b\.?", "Perumahan"),
    (r"\bNo\b\.?(?=\s*\d)", "nomor"),
    (r"\bNo\b\.", "nomor"),
    (r"\bdkk\b\.?", "dan kawan kawan"),
    (r"\bdll\b\.?", "dan lain lain"),
)


def spoken_number(n: int) -> str:
    """``42`` -> ``"empat puluh dua"`` (Indonesian)."""
    return str(num2words(n, lang="id"))


def spell(acronym: str) -> str:
    """``"PLN"`` -> ``"pe el en"``."""
    return " ".join(LETTERS.get(ch, ch) for ch in acronym.lower() if ch.isalnum())


def _digits(token: str) -> str:
    # Leading-zero codes (phone numbers, "007") are read digit by digit.
    return " ".join(spoken_number(int(d)) for d in token)


def _number(match: re.Match[str]) -> str:
    token = match.group(0)
    if "," in token:  # decimal comma: "2,5" -> "dua koma lima"
        whole, frac = token.split(",", 1)
        return f"{_number_token(whole)} koma {_digits(frac)}"
    return _number_token(token)


def _number_token(token: str) -> str:
    plain = token.replace(".", "")  # "12.500": dot groups thousands in Indonesian
    if len(plain) > 1 and plain.startswith("0"):
        return _digits(plain)
    return spoken_number(int(plain))


_RT_RW_PAIR = re.compile(r"\bRT\s*[./]?\s*RW\b\s*[.:]?\s*0*(\d+)\s*/\s*0*(\d+)", re.IGNORECASE)
_RT_RW = re.compile(r"\b(RT|RW)\b\s*[.:]?\s*0*(\d+)\s*/?", re.IGNORECASE)
_HASH = re.compile(r"#\s*(\d+)")
_NUMBERS = re.compile(r"\d{1,3}(?:\.\d{3})+(?:,\d+)?|\d+(?:,\d+)?")
_SPELLED = re.compile(r"\b(" + "|".join(SPELLED) + r")\b", re.IGNORECASE)
_SPACE = re.compile(r"\s+")


def speakable(text: str) -> str:
    """Rewrite ``text`` the way a dispatcher would say it aloud."""
    text = _HASH.sub(lambda m: f" nomor {spoken_number(int(m.group(1)))} ", text)
    text = _RT_RW_PAIR.sub(lambda m: f"RT {m.group(1)} RW {m.group(2)} ", text)
    text = _RT_RW.sub(lambda m: f"{m.group(1).upper()} {int(m.group(2))} ", text)
    for pattern, replacement in ABBREVIATIONS:
        text = re.sub(pattern, replacement, text)
    text = _SPELLED.sub(lambda m: AS_WORDS.get(m.group(1).upper()) or spell(m.group(1)), text)
    # Space between digits and letters so "17A" becomes "tujuh belas A", and a time
    # "14:30" becomes two numbers.
    text = re.sub(r"(?<=\d)(?=[A-Za-z])|(?<=[A-Za-z])(?=\d)", " ", text)
    text = re.sub(r"(?<=\d)[:/](?=\d)", " ", text)
    text = _NUMBERS.sub(_number, text)
    text = re.sub(r"\s+([,.;:!?])", r"\1", text)
    return _SPACE.sub(" ", text).strip()


def category_label(category: str) -> str:
    """A category code ("pohon-tumbang") or label ("Pohon Tumbang") as display text."""
    if category.islower() or "-" in category or "_" in category:
        words = re.split(r"[-_\s]+", category.strip())
        upper = {a.lower() for a in SPELLED}
        shown = [w.upper() if w.lower() in upper else w for w in words]
        text = " ".join(shown)
        return text[:1].upper() + text[1:]
    return category.strip()


def join_names(names: Sequence[str]) -> str:
    """``["A", "B", "C"]`` -> ``"A, B dan C"``."""
    names = [n for n in names if n]
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " dan " + names[-1]


def _sentence(text: str) -> str:
    text = text.strip().rstrip(",;")
    if not text:
        return text
    text = text[0].upper() + text[1:]  # "pe je u" opens a sentence as "Pe je u"
    return text if text[-1] in ".!?" else text + "."


def place(kelurahan: str | None, kecamatan: str | None) -> str:
    parts = [f"Kelurahan {kelurahan}" if kelurahan else "", f"Kecamatan {kecamatan}" if kecamatan else ""]
    return ", ".join(p for p in parts if p)


def announcement(
    number: int,
    category: str,
    kelurahan: str | None,
    kecamatan: str | None,
    address: str,
    agencies: Sequence[str],
    priority: int,
) -> str:
    """The sentence spoken on the radio for a new incident."""
    opening = f"Perhatian, prioritas {spoken_number(1)}." if priority == 1 else "Perhatian."
    parts = [
        opening,
        f"Kejadian nomor {spoken_number(number)}.",
        _sentence(speakable(category_label(category))),
        _sentence(speakable(place(kelurahan, kecamatan))),
        _sentence(speakable(address)),
    ]
    if agencies:
        parts.append(_sentence("Untuk " + speakable(join_names(list(agencies)))))
    return " ".join(p for p in parts if p)


def post_html(
    number: int,
    category: str,
    kelurahan: str | None,
    kecamatan: str | None,
    address: str,
    description: str,
    agencies: Sequence[str],
    priority: int,
) -> str:
    """The text posted in Mumble channels; every value is escaped (clients render HTML)."""
    e = html.escape
    lines = [f"#{number} <b>{e(category_label(category))}</b> (prioritas {priority})"]
    where = place(kelurahan, kecamatan)
    if where:
        lines.append(e(where))
    if address.strip():
        lines.append(f"Alamat: {e(address.strip())}")
    if description.strip():
        lines.append(f"Keterangan: {e(description.strip())}")
    if agencies:
        lines.append(f"Untuk: {e(join_names(list(agencies)))}")
    lines.append(
        f"<i>Balas: !terima {number} | !status {number} berangkat/tiba/selesai"
        f" | !tolak {number} {e('<alasan>')}</i>"
    )
    return "<br>".join(lines)
