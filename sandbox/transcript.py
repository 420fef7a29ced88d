"""The session's transcript: every chat and radio post, as JSON and as Markdown a person can read."""

from __future__ import annotations

import html
import re
from datetime import datetime
from typing import Any

from bot.settings import Settings

_TAG = re.compile(r"<[^>]+>")


def plain(fragment: str) -> str:
    return html.unescape(_TAG.sub("", fragment.replace("<br>", "\n")))


def as_json(state: dict[str, Any]) -> dict[str, Any]:
    chats = []
    for chat in state["chats"]:
        if not chat["messages"]:
            continue
        messages = [{"id": m["id"], "sender": m["sender"], "date": m["date"], "text": plain(m["html"]),
                     "buttons": [b["text"] for row in m.get("buttons", []) for b in row],
                     "edits": m.get("edits", 0), **({"service": m["service"]} if m.get("service") else {}),
                     **({"location": m["location"]} if m.get("location") else {}),
                     **({"document": m["document"]["name"]} if m.get("document") else {}),
                     **({"photo": True} if m.get("photo") else {})}
                    for m in chat["messages"]]  # fmt: skip
        chats.append({"id": chat["id"], "title": chat["title"], "kind": chat["kind"], "messages": messages})
    radio = [{"channel": p["channel"], "sender": p["sender"], "at": p["at"], "text": plain(p["html"]),
              **({"audio_seconds": p["seconds"]} if p.get("audio") else {})}
             for p in state["radio"]["feed"]]  # fmt: skip
    return {"latihan": True, "chats": chats, "radio": radio, "faults": state["faults"]["log"],
            **({"scenario": state["scenario"]} if state.get("scenario") else {})}  # fmt: skip


def as_markdown(state: dict[str, Any], settings: Settings) -> str:
    data = as_json(state)
    tz = settings.tz

    def when(ts: float | None) -> str:
        return datetime.fromtimestamp(ts or 0, tz).strftime("%H:%M:%S") if ts else "--:--:--"

    lines = ["# Transkrip latihan 112 Kota Blitar", "", "LATIHAN: bukan kejadian nyata.", ""]
    for chat in data["chats"]:
        lines += [f"## {chat['title']}", ""]
        for m in chat["messages"]:
            body = m.get("service") or m["text"] or ("[lokasi]" if m.get("location") else "")
            if m.get("document"):
                body += f" [berkas: {m['document']}]"
            if m.get("photo"):
                body += " [gambar]"
            text = body.replace("\n", "\n  > ")
            lines.append(
                f"- **{when(m['date'])} {m['sender']}**" + (" (diubah)" if m["edits"] else "") + f": {text}"
            )
            if m["buttons"]:
                lines.append("  " + " ".join(f"[{b}]" for b in m["buttons"]))
        lines.append("")
    if data["radio"]:
        lines += ["## Radio (Mumble)", ""]
        for p in data["radio"]:
            audio = f" (suara {p['audio_seconds']} s)" if "audio_seconds" in p else ""
            lines.append(f"- **{when(p['at'])} [{p['channel']}] {p['sender']}**: {p['text']}{audio}")
        lines.append("")
    if data["faults"]:
        lines += ["## Gangguan yang disimulasikan", "", *[f"- {f}" for f in data["faults"]], ""]
    return "\n".join(lines)
