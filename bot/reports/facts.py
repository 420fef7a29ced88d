"""The figures the report's sentences state, computed from the report data, and those sentences.

Pure: no I/O, no clock. Every number in a sentence comes from the stats.Report it is given. A month
without telephony figures is left out of every telephony fact (never guessed) and named in the notes.
Numbers are written as the seed writes them: 1.777, 95,3%; months in Indonesian.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from routing import stats
from routing.table import RoutingTable

AGENT = "dari panggilan yang masuk ke agent"


def number_id(n: int | None) -> str:
    return "-" if n is None else f"{n:,}".replace(",", ".")


def percent_id(p: float | None, *, fixed: bool = False) -> str:
    """98% for a whole figure, 95,3% otherwise; fixed: always one decimal (40,7%, 20,0%)."""
    if p is None:
        return "-"
    text = f"{p:.1f}" if fixed or p != int(p) else f"{int(p)}"
    return text.replace(".", ",") + "%"


def month_id(month: str) -> str:
    """2023-04 -> April 2023."""
    return f"{stats.MONTHS_ID[int(month[5:7]) - 1]} {month[:4]}"


def join_id(items: Sequence[str]) -> str:
    """a; a dan b; a, b dan c."""
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " dan " + items[-1]


@dataclass(frozen=True, slots=True)
class Extreme:
    months: tuple[str, ...]  # YYYY-MM ascending; more than one when months tie
    value: float


@dataclass(frozen=True, slots=True)
class CallFacts:
    months: tuple[str, ...]  # every month of the period
    missing: tuple[str, ...]  # months without telephony figures
    most_to_agent: Extreme | None
    most_prank_ghost: Extreme | None  # None when the period has no prank or ghost call
    sla_high: Extreme | None
    sla_low: Extreme | None
    sla_period: float | None  # Table 2's TOTAL percentage: the mean of the months' service levels
    sla_target: float
    share_part: int  # prank + ghost in the months that have telephony figures
    share_whole: int | None  # calls to agents in those months
    share: float | None  # share_part / share_whole, a percentage to one decimal


def _extreme(rows: Sequence[stats.Table2Row], value: Callable[[stats.Table2Row], float | None],
             pick: Callable[[Sequence[float]], float]) -> Extreme | None:  # fmt: skip
    known = [(r.month, v) for r in rows if (v := value(r)) is not None]
    if not known:
        return None
    best = pick([v for _, v in known])
    return Extreme(tuple(m for m, v in known if v == best), best)


def call_facts(report: stats.Report, sla_target: float) -> CallFacts:
    rows = report.table2
    with_data = [r for r in rows if r.to_agent is not None]
    prank_rows = rows if any(r.prank_ghost for r in rows) else []
    whole = sum(r.to_agent or 0 for r in with_data) if with_data else None
    part = sum(r.prank_ghost for r in with_data)
    return CallFacts(
        months=tuple(r.month for r in rows),
        missing=tuple(report.telephony_missing),
        most_to_agent=_extreme(with_data, lambda r: r.to_agent, max),
        most_prank_ghost=_extreme(prank_rows, lambda r: r.prank_ghost, max),
        sla_high=_extreme(with_data, lambda r: r.percentage, max),
        sla_low=_extreme(with_data, lambda r: r.percentage, min),
        sla_period=report.table2_total.percentage,
        sla_target=sla_target,
        share_part=part,
        share_whole=whole,
        share=stats.share(part, whole) if whole else None,
    )


def _in_months(e: Extreme, prefix: str = "pada bulan ") -> str:
    return prefix + join_id([month_id(m) for m in e.months])


def _whole_count(value: float) -> str:
    return number_id(int(value))


def _period_span(period: stats.Period) -> str:
    if period.kind == "year":
        return f"Hingga akhir tahun {period.start.year}"
    return f"Selama {period.title}"


def _against_target(sla: float, target: float) -> str:
    word = "melebihi" if sla > target else "memenuhi" if sla == target else "berada di bawah"
    return f"{word} standar yang ditentukan yakni sebesar {percent_id(target)}"


def calls_paragraph(facts: CallFacts, report: stats.Report, name: str) -> str:
    """Section a: the month with most calls to agents, most prank and ghost calls, highest and lowest
    service level, the period's level against the standard, and the prank and ghost share."""
    period = report.period
    single = len(facts.months) == 1
    parts: list[str] = []
    if single:
        t = report.table2[0]
        if t.to_agent is not None:
            parts.append(f"panggilan masuk ke agent (diterima Call Taker) berjumlah {number_id(t.to_agent)}")
        parts.append(f"prank dan ghost call berjumlah {number_id(t.prank_ghost)}")  # its SLA: next sentence
        lead = f"Berdasarkan data yang didapatkan, pada {period.title} "
    else:
        if facts.most_to_agent is not None:
            parts.append(
                "jumlah trafik panggilan masuk dan diterima Call Taker terbanyak ada "
                f"{_in_months(facts.most_to_agent)} dengan total panggilan {_whole_count(facts.most_to_agent.value)}"
            )
        if facts.most_prank_ghost is not None:
            parts.append(
                f"prank dan ghost call terbanyak {_in_months(facts.most_prank_ghost)} dengan total "
                f"{_whole_count(facts.most_prank_ghost.value)}"
            )
        else:
            parts.append("tidak tercatat prank maupun ghost call")
        high, low = facts.sla_high, facts.sla_low
        if high is not None and low is not None:
            text = (
                f"service level agreement (SLA) tertinggi {_in_months(high)} sebesar {percent_id(high.value)}"
            )
            if low.value != high.value:
                text += f", sedangkan yang terendah {_in_months(low)} sebesar {percent_id(low.value)}"
            parts.append(text)
        lead = "Berdasarkan data yang didapatkan, "
    if len(parts) > 1:
        body = ", ".join(parts[:-1]) + ", serta " + parts[-1]
    else:
        body = parts[0]
    out = [lead + body + "."]
    if facts.sla_period is not None:
        counted = len(facts.months) - len(facts.missing)
        basis = ""
        if facts.missing and not single:
            basis = f" (rata-rata SLA dari {counted} bulan yang memiliki data platform telepon)"
        out.append(
            f"{_period_span(period)}, SLA {name} diperoleh sebesar {percent_id(facts.sla_period)}{basis}, "
            f"{_against_target(facts.sla_period, facts.sla_target)}."
        )
    if facts.share is not None and facts.share_whole is not None:
        basis = " pada bulan yang memiliki data platform telepon" if facts.missing else ""
        out.append(
            f"Sedangkan untuk menjadi evaluasi ke depan, jumlah prank dan ghost call sebesar "
            f"{percent_id(facts.share)} {AGENT} ({number_id(facts.share_part)} dari "
            f"{number_id(facts.share_whole)}{basis})."
        )
    else:
        out.append(
            f"Data platform telepon belum tersedia untuk {period.title}, sehingga SLA dan persentase "
            f"prank dan ghost call {AGENT} tidak dihitung."
        )
    return " ".join(out)


@dataclass(frozen=True, slots=True)
class TopCategory:
    names: tuple[str, ...]  # more than one when categories tie
    agencies: tuple[str | None, ...]  # the lead agency of each, None when the centre answers it alone
    count: int
    total: int


def lead_agency(routing: RoutingTable, category: str) -> str | None:
    """The first agency the routing table names for a category, as the report would say it."""
    found = routing.categories.get(category)
    if found is None or not found.agencies:
        return None
    code = found.agencies[0]
    if code in routing.local_groups:
        return f"{code.capitalize()} setempat"  # polsek / puskesmas, chosen by the incident's kecamatan
    agency = routing.agencies.get(code)
    return agency.name if agency else code


def top_category(rows: Sequence[stats.Table3Row], routing: RoutingTable) -> TopCategory | None:
    if not rows:
        return None
    best = max(r.count for r in rows)
    top = [r for r in rows if r.count == best]
    return TopCategory(
        tuple(r.name for r in top),
        tuple(lead_agency(routing, r.category) for r in top),
        best,
        sum(r.count for r in rows),
    )


def _handled(name: str, agency: str | None, figures: str = "") -> str:
    if agency is None:
        return f"{name}{figures}, yang dilayani langsung oleh Call Taker tanpa diteruskan ke instansi"
    return f"{name}{figures} yang diampu oleh {agency}"


def category_paragraph(report: stats.Report, routing: RoutingTable, area: str) -> str:
    top = top_category(report.table3, routing)
    if top is None:
        return f"Belum ada panggilan berkategori kejadian pada {report.period.title}."
    figures = (
        f"{number_id(top.count)} panggilan, {percent_id(stats.share(top.count, top.total))} "
        f"dari {number_id(top.total)} panggilan berkategori"
    )
    if len(top.names) == 1:
        named = _handled(top.names[0], top.agencies[0], f" ({figures})")
    else:
        each = join_id([_handled(n, a) for n, a in zip(top.names, top.agencies, strict=True)])
        named = f"{each}, masing-masing {figures}"
    out = (
        f"Berdasarkan data yang ada, kategori kejadian paling banyak dilaporkan dan ditangani di {area} "
        f"adalah {named}."
    )
    if all(a is None for a in top.agencies):
        routed = [r for r in report.table3 if lead_agency(routing, r.category) is not None]
        if routed:
            r = routed[0]
            out += (
                f" Kategori terbanyak yang diteruskan ke instansi adalah {r.name} "
                f"({number_id(r.count)} panggilan) yang diampu oleh {lead_agency(routing, r.category)}."
            )
    return out


def location_paragraph(report: stats.Report, area: str) -> str:
    rows = [r for r in report.table4 if r.count > 0]
    if not rows:
        return f"Belum ada panggilan dengan lokasi kejadian di {area} pada {report.period.title}."
    best = rows[0].count
    top = [r for r in rows if r.count == best]
    lead = ", masing-masing " if len(top) > 1 else " dengan "
    names = join_id([f"Kecamatan {r.kecamatan}" for r in top])
    return (
        f"Berdasarkan data yang ada, lokasi kejadian paling banyak dilaporkan dan ditangani di {area} "
        f"adalah {names}{lead}{number_id(best)} panggilan ({percent_id(top[0].percentage, fixed=True)} "
        f"dari {number_id(sum(r.count for r in rows))} panggilan berlokasi)."
    )


def data_notes(report: stats.Report, facts: CallFacts) -> list[str]:
    """What the system computed rather than someone typed, and what is missing (said, never guessed)."""
    t = report.table2_total
    summed = [(label, n) for label, n in (("panggilan masuk", t.incoming), ("masuk ke agent", t.to_agent),
              ("dijawab", t.answered), ("prank & ghost", t.prank_ghost)) if n is not None]  # fmt: skip
    notes = [
        "Baris TOTAL Tabel 2 dijumlahkan oleh sistem dari baris-baris bulan, tidak diketik: "
        + ", ".join(f"{label} {number_id(n)}" for label, n in summed)
        + ".",
        "Prank & ghost dihitung dari catatan panggilan per bulan menurut WIB; panggilan masuk, masuk ke agent, "
        "dijawab dan persentase (SLA) adalah angka bulanan platform telepon.",
    ]
    if t.percentage is not None:
        notes.append(
            f"Persentase TOTAL ({percent_id(t.percentage)}) adalah rata-rata SLA bulanan, bukan jumlah "
            "dijawab dibagi jumlah masuk ke agent."
        )
    if facts.share is not None and facts.share_whole is not None:
        notes.append(
            f"Persentase prank dan ghost call ({percent_id(facts.share)}) = {number_id(facts.share_part)} "
            f"dibagi {number_id(facts.share_whole)} panggilan yang masuk ke agent."
        )
    located = sum(r.count for r in report.table4)
    notes.append(
        "Tabel 3 menghitung setiap panggilan berkategori, kejadian maupun informasi "
        f"({number_id(sum(r.count for r in report.table3))}); persentase Tabel 4 dihitung dari "
        f"{number_id(located)} panggilan berlokasi, dibulatkan satu desimal."
    )
    if report.without_location:
        notes.append(
            f"{number_id(report.without_location)} panggilan berkategori tanpa lokasi tidak masuk Tabel 4."
        )
    if report.period.kind == "day":
        notes.append(
            "Angka platform telepon hanya tersedia per bulan, tidak per hari: kolomnya bertanda '-'."
        )
    elif facts.missing:
        notes.append(
            f"Belum ada data platform telepon untuk {join_id([month_id(m) for m in facts.missing])}: angkanya "
            "di Tabel 2 bertanda '-', tidak ditebak, dan tidak ikut dalam TOTAL panggilan masuk, masuk ke agent, "
            "dijawab, SLA, persentase prank dan ghost call, maupun kalimat di atas yang memakai angka tersebut."
        )
    else:
        notes.append("Data platform telepon lengkap untuk setiap bulan periode ini.")
    return notes
