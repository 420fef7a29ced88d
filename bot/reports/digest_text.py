"""Digest periods (cut in WIB) and the digest as a supervisor reads it, in Bahasa Indonesia.

Pure: no I/O, no clock. The caller passes the local time and the figures read from storage.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Literal

from bot.services.common import esc
from routing import stats
from routing.table import RoutingTable
from storage.records import AssignmentRecord

WindowKind = Literal["hari", "minggu", "bulan", "tahun"]
DAYS_ID = ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu")
HEADINGS = {"hari": "Ringkasan Harian", "minggu": "Laporan Mingguan", "bulan": "Laporan Bulanan",
            "tahun": "Laporan Tahunan"}  # fmt: skip
CALL_TYPES = (("incident", "Kejadian"), ("informasi", "Informasi"), ("prank", "Prank"), ("ghost", "Ghost"))
USAGE = (
    "Format: /laporan hari|minggu|bulan|tahun [periode] [docx], "
    "mis. /laporan hari 2024-03-05, /laporan bulan 2024-03 atau /laporan tahun 2023 docx"
)


@dataclass(frozen=True, slots=True)
class Window:
    kind: WindowKind
    label: str  # 2024-03-05, 2024-W10, 2024-03, 2024
    title: str
    start: datetime  # aware, local midnight, inclusive
    end: datetime  # aware, exclusive

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.label}"


def _midnight(d: date, tz: tzinfo) -> datetime:
    return datetime.combine(d, time(), tzinfo=tz)


def _date_id(d: date) -> str:
    return f"{d.day} {stats.MONTHS_ID[d.month - 1]} {d.year}"


def day_window(d: date, tz: tzinfo) -> Window:
    return Window("hari", d.isoformat(), f"{DAYS_ID[d.weekday()]}, {_date_id(d)}", _midnight(d, tz),
                  _midnight(d + timedelta(days=1), tz))  # fmt: skip


def week_window(any_day: date, tz: tzinfo) -> Window:
    monday = any_day - timedelta(days=any_day.weekday())
    sunday = monday + timedelta(days=6)
    year, week, _ = monday.isocalendar()
    if monday.month == sunday.month:
        span = f"{monday.day}–{_date_id(sunday)}"
    elif monday.year == sunday.year:
        span = f"{monday.day} {stats.MONTHS_ID[monday.month - 1]} – {_date_id(sunday)}"
    else:
        span = f"{_date_id(monday)} – {_date_id(sunday)}"
    return Window("minggu", f"{year}-W{week:02d}", f"Minggu {span}", _midnight(monday, tz),
                  _midnight(sunday + timedelta(days=1), tz))  # fmt: skip


def month_window(year: int, month: int, tz: tzinfo) -> Window:
    period = stats.parse_period(f"{year:04d}-{month:02d}", tz)
    return Window("bulan", period.label, period.title, period.start, period.end)


def year_window(year: int, tz: tzinfo) -> Window:
    period = stats.parse_period(f"{year:04d}", tz)
    return Window("tahun", period.label, period.title, period.start, period.end)


def _previous_month(d: date) -> date:
    return (d.replace(day=1) - timedelta(days=1)).replace(day=1)


def due_windows(now: datetime, send_at: tuple[int, int], monthly: bool) -> list[Window]:
    """The latest scheduled periods whose send time has passed: the day before the last send time and,
    when monthly, the month before the last 1st-of-month send time."""
    tz = now.tzinfo
    assert tz is not None
    today = now.date()
    at = time(*send_at)
    passed_today = now >= datetime.combine(today, at, tzinfo=tz)
    out = [day_window(today - timedelta(days=1 if passed_today else 2), tz)]
    if monthly:
        first = today.replace(day=1)
        passed = now >= datetime.combine(first, at, tzinfo=tz)
        month = _previous_month(first) if passed else _previous_month(_previous_month(first))
        out.append(month_window(month.year, month.month, tz))
    return out


def requested_window(args: str, now: datetime) -> Window:
    """`/laporan hari|minggu|bulan|tahun [periode]`; without a period, the current one so far."""
    tz = now.tzinfo
    assert tz is not None
    parts = args.split()
    if not parts or parts[0].lower() not in HEADINGS or len(parts) > 2:
        raise ValueError(USAGE)
    kind = parts[0].lower()
    text = parts[1] if len(parts) == 2 else None
    try:
        if kind == "hari":
            return day_window(date.fromisoformat(text) if text else now.date(), tz)
        if kind == "minggu":
            return week_window(date.fromisoformat(text) if text else now.date(), tz)
        if kind == "bulan":
            if text is None:
                return month_window(now.year, now.month, tz)
            year, month = (int(p) for p in text.split("-"))
            return month_window(year, month, tz)
        return year_window(int(text) if text else now.year, tz)
    except ValueError:
        raise ValueError(f"Periode tidak dikenal: {text}. {USAGE}") from None


def duration_id(seconds: float) -> str:
    """45 dtk, 3 mnt 5 dtk, 2 jam 5 mnt."""
    s = max(0, round(seconds))
    if s < 60:
        return f"{s} dtk"
    if s < 3600:
        return f"{s // 60} mnt" + (f" {s % 60} dtk" if s % 60 else "")
    return f"{s // 3600} jam" + (f" {s % 3600 // 60} mnt" if s % 3600 // 60 else "")


@dataclass(frozen=True, slots=True)
class AgencyFigures:
    agency: str
    dispatched: int
    acknowledged: int
    declined: int
    ack_median: float | None
    ack_p90: float | None
    arrive_median: float | None
    arrive_p90: float | None


def agency_figures(rows: Sequence[AssignmentRecord]) -> list[AgencyFigures]:
    """Per agency; time to acknowledge counts a skipped-ahead first step (Berangkat/Tiba) as the answer."""
    by_agency: dict[str, list[AssignmentRecord]] = {}
    for row in rows:
        by_agency.setdefault(row.agency, []).append(row)
    out = []
    for agency, items in by_agency.items():
        acks = []
        for r in items:
            first = next(
                (t for t in (r.acknowledged_at, r.en_route_at, r.on_scene_at, r.cleared_at) if t), None
            )
            if first is not None:
                acks.append(first - r.notified_at)
        arrivals = [r.on_scene_at - r.notified_at for r in items if r.on_scene_at]
        declined = sum(1 for r in items if r.state == "declined")
        out.append(AgencyFigures(agency, len(items), len(acks), declined, stats.percentile(acks, 50),
                                 stats.percentile(acks, 90), stats.percentile(arrivals, 50),
                                 stats.percentile(arrivals, 90)))  # fmt: skip
    out.sort(key=lambda f: (-f.dispatched, f.agency))
    return out


@dataclass(frozen=True, slots=True)
class OpenItem:
    number: int
    category: str
    place: str
    created_at: datetime
    overdue: bool
    waiting_for: tuple[str, ...]  # agencies still 'notified'


@dataclass(frozen=True, slots=True)
class DigestData:
    window: Window
    generated_at: datetime
    calls: dict[str, int]
    incidents: dict[tuple[str, str | None], int]
    agencies: list[AgencyFigures]
    open_items: list[OpenItem] = field(default_factory=list)
    repeat_numbers: list[tuple[str, int]] = field(default_factory=list)

    def by_category(self, routing: RoutingTable) -> list[tuple[str, int]]:
        totals: dict[str, int] = {}
        for (code, _), n in self.incidents.items():
            category = routing.categories.get(code)
            name = category.name if category else code
            totals[name] = totals.get(name, 0) + n
        return sorted(totals.items(), key=lambda kv: (-kv[1], kv[0].casefold()))

    def by_kecamatan(self) -> list[tuple[str, int]]:
        totals: dict[str, int] = {}
        for (_, kecamatan), n in self.incidents.items():
            name = kecamatan or "Tanpa lokasi"
            totals[name] = totals.get(name, 0) + n
        return sorted(totals.items(), key=lambda kv: (-kv[1], kv[0].casefold()))


def _pair(median: float | None, p90: float | None) -> str:
    return "-" if median is None or p90 is None else f"{duration_id(median)} / {duration_id(p90)}"


def _span(window: Window, generated: datetime) -> str:
    last = (window.end - timedelta(days=1)).date()
    text = "00:00–24:00 WIB" if window.kind == "hari" else f"{window.start:%d/%m/%Y}–{last:%d/%m/%Y} (WIB)"
    if generated < window.end:
        text += f", s.d. {generated:%d/%m %H:%M} WIB"
    return text


def render_lines(data: DigestData, routing: RoutingTable) -> list[str]:
    w = data.window
    total = sum(data.calls.values())
    pg = data.calls.get("prank", 0) + data.calls.get("ghost", 0)
    lines = [
        f"📊 <b>{HEADINGS[w.kind]} 112 Kota Blitar</b>",
        f"{esc(w.title)} · {_span(w, data.generated_at)}",
        "",
    ]
    lines.append(f"☎️ <b>Panggilan terjawab: {total}</b>")
    lines.append(" · ".join(f"{label} {data.calls.get(code, 0)}" for code, label in CALL_TYPES))
    lines.append(f"Prank + ghost: {pg} dari {total} ({str(stats.share(pg, total)).replace('.', ',')}%)")
    incidents = sum(data.incidents.values())
    lines += ["", f"🚨 <b>Kejadian: {incidents}</b>", "<i>Per kategori</i>"]
    lines += [f"• {esc(name)}: {n}" for name, n in data.by_category(routing)] or ["• -"]
    lines.append("<i>Per kecamatan</i>")
    lines += [f"• {esc(name)}: {n}" for name, n in data.by_kecamatan()] or ["• -"]
    lines += ["", "🏢 <b>Instansi</b> <i>(sejak kartu dikirim; median / p90)</i>"]
    for f in data.agencies:
        lines.append(f"• <b>{esc(routing.agency_short(f.agency))}</b>: dikirim {f.dispatched}, "
                     f"diterima {f.acknowledged}, ditolak {f.declined}")  # fmt: skip
        lines.append(
            f"   terima {_pair(f.ack_median, f.ack_p90)} · tiba {_pair(f.arrive_median, f.arrive_p90)}"
        )
    if not data.agencies:
        lines.append("• Tidak ada penugasan.")
    overdue = sum(1 for item in data.open_items if item.overdue)
    lines += ["", f"📂 <b>Masih terbuka: {len(data.open_items)}</b>, terlambat {overdue} "
                  f"<i>(per {data.generated_at:%d/%m %H:%M} WIB)</i>"]  # fmt: skip
    for item in data.open_items:
        mark = "⚠️ " if item.overdue else ""
        line = f"• {mark}<b>#{item.number}</b> {esc(item.category)} · {esc(item.place)}"
        line += f" · sejak {item.created_at:%d/%m %H:%M}"
        if item.waiting_for:
            line += f" · belum diterima: {esc(', '.join(routing.agency_short(a) for a in item.waiting_for))}"
        lines.append(line)
    lines += ["", "🔁 <b>Nomor prank/ghost berulang</b>"]
    lines += [f"• {esc(masked)}: {n} kali" for masked, n in data.repeat_numbers] or ["• Tidak ada."]
    return lines
