"""Telegram's HTML parse mode, strict enough to refuse what the real server refuses.

The point is to catch bots that forget to escape user text: Telegram rejects the whole
message when the markup is malformed, so the fake must too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

# Tag name -> entity type; None means the type depends on attributes.
_TAGS: dict[str, str | None] = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": None,
    "a": None,
    "code": "code",
    "pre": "pre",
    "blockquote": None,
    "tg-emoji": "custom_emoji",
}
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_ENTITY_RE = re.compile(r"&(#x[0-9a-fA-F]+|#[0-9]+|[a-zA-Z]+);")
_ATTR_RE = re.compile(r"""\s+([a-zA-Z_-]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+)))?""")


class HtmlError(ValueError):
    """Raised with the text Telegram puts after "can't parse entities: "."""


@dataclass
class _Open:
    name: str
    attrs: dict[str, str]
    offset: int  # in UTF-16 code units, as Telegram counts entity offsets
    byte_offset: int


@dataclass
class ParsedHtml:
    text: str
    entities: list[dict[str, Any]] = field(default_factory=list)


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _unescape(raw: str) -> str:
    def repl(match: re.Match[str]) -> str:
        body = match.group(1)
        if body.startswith("#x"):
            return chr(int(body[2:], 16))
        if body.startswith("#"):
            return chr(int(body[1:]))
        # Telegram leaves unknown named entities as literal text.
        return _NAMED_ENTITIES.get(body, match.group(0))

    return _ENTITY_RE.sub(repl, raw)


def _entity_for(tag: _Open, length: int) -> dict[str, Any] | None:
    if length == 0:
        return None  # Telegram drops empty entities instead of failing
    kind = _TAGS[tag.name]
    entity: dict[str, Any] = {"offset": tag.offset, "length": length}
    if tag.name == "a":
        entity["type"] = "text_link"
        entity["url"] = tag.attrs.get("href", "")
    elif tag.name == "span":
        entity["type"] = "spoiler"
    elif tag.name == "blockquote":
        entity["type"] = "expandable_blockquote" if "expandable" in tag.attrs else "blockquote"
    elif tag.name == "tg-emoji":
        entity["type"] = "custom_emoji"
        entity["custom_emoji_id"] = tag.attrs.get("emoji-id", "")
    else:
        assert kind is not None
        entity["type"] = kind
        language = tag.attrs.get("class", "")
        if tag.name == "code" and language.startswith("language-"):
            entity["language"] = language.removeprefix("language-")
    return entity


def _check_start_tag(name: str, attrs: dict[str, str], byte_offset: int) -> None:
    if name not in _TAGS:
        raise HtmlError(f'Unsupported start tag "{name}" at byte offset {byte_offset}')
    if name == "span" and attrs.get("class") != "tg-spoiler":
        raise HtmlError(f'Tag "span" must have class "tg-spoiler" at byte offset {byte_offset}')
    if name == "tg-emoji" and "emoji-id" not in attrs:
        raise HtmlError(f'Tag "tg-emoji" must have attribute "emoji-id" at byte offset {byte_offset}')


def parse_html(raw: str) -> ParsedHtml:
    """Return the plain text and entities Telegram would store, or raise HtmlError."""
    out: list[str] = []
    out_len = 0  # UTF-16 length of the text emitted so far
    stack: list[_Open] = []
    entities: list[dict[str, Any]] = []
    pos = 0

    def byte_at(index: int) -> int:
        return len(raw[:index].encode("utf-8"))

    while pos < len(raw):
        lt = raw.find("<", pos)
        chunk = raw[pos:] if lt == -1 else raw[pos:lt]
        if chunk:
            # A bare ">" or "&" is tolerated by Telegram; only "<" opens a tag.
            plain = _unescape(chunk)
            out.append(plain)
            out_len += _utf16_len(plain)
        if lt == -1:
            break
        byte_offset = byte_at(lt)
        gt = raw.find(">", lt)
        if gt == -1:
            raise HtmlError(f"Unclosed start tag at byte offset {byte_offset}")
        inner = raw[lt + 1 : gt]
        if inner.startswith("/"):
            name = inner[1:].strip().lower()
            if not stack:
                raise HtmlError(f"Unexpected end tag at byte offset {byte_offset}")
            top = stack.pop()
            if top.name != name:
                raise HtmlError(
                    f'Unmatched end tag at byte offset {byte_offset}, expected "</{top.name}>", '
                    f'found "</{name}>"'
                )
            entity = _entity_for(top, out_len - top.offset)
            if entity is not None and top.name == "pre" and entities:
                # <pre><code class="language-x"> is one pre entity carrying the language.
                inner_code = entities[-1]
                if inner_code["type"] == "code" and inner_code["offset"] == entity["offset"]:
                    entities.pop()
                    if "language" in inner_code:
                        entity["language"] = inner_code["language"]
            if entity is not None:
                entities.append(entity)
        else:
            match = re.match(r"[a-zA-Z][a-zA-Z0-9-]*", inner)
            if match is None:
                # "a < b" lands here: the name starts with a space or a digit.
                raise HtmlError(f'Unsupported start tag "{inner[:16]}" at byte offset {byte_offset}')
            name = match.group(0).lower()
            rest = inner[match.end() :]
            attrs: dict[str, str] = {}
            consumed = 0
            for attr in _ATTR_RE.finditer(rest):
                if attr.start() != consumed:
                    break
                value = attr.group(2) or attr.group(3) or attr.group(4) or ""
                attrs[attr.group(1).lower()] = _unescape(value)
                consumed = attr.end()
            if rest[consumed:].strip():
                raise HtmlError(f'Can\'t parse tag "{name}" attributes at byte offset {byte_offset}')
            _check_start_tag(name, attrs, byte_offset)
            stack.append(_Open(name, attrs, out_len, byte_offset))
        pos = gt + 1

    if stack:
        raise HtmlError(f'Can\'t find end tag corresponding to start tag "{stack[-1].name}"')
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return ParsedHtml(text="".join(out), entities=entities)
