"""Grafik 1-3 of the annual report as PNG files.

Figures are built with matplotlib's object API on the Agg canvas, never pyplot: no global state, no
display needed, safe to call from a worker thread.
"""

from __future__ import annotations

from pathlib import Path

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from routing import stats

_COLOURS = ("#1f5fa8", "#f28e2b", "#c0392b")


def _month_label(row: stats.Table2Row, period: stats.Period) -> str:
    if period.kind == "day":
        return period.title
    return stats.MONTHS_ID[int(row.month[5:7]) - 1][:3]


def _save(fig: Figure, path: Path) -> None:
    FigureCanvasAgg(fig)
    fig.savefig(path, format="png", dpi=110)


def _empty(ax: Axes) -> None:
    ax.text(0.5, 0.5, "Tidak ada data", ha="center", va="center", transform=ax.transAxes)
    ax.set_axis_off()


def grafik_1(report: stats.Report, path: Path) -> None:
    """Bars per month: calls to agents, answered, prank & ghost (as the seed's Grafik 1)."""
    fig = Figure(figsize=(10, 5))
    ax = fig.add_subplot()
    rows = report.table2
    series = (
        ("Masuk ke Agent", [r.to_agent or 0 for r in rows]),
        ("Dijawab", [r.answered or 0 for r in rows]),
        ("Prank & Ghost", [r.prank_ghost for r in rows]),
    )
    width = 0.27
    for i, (label, values) in enumerate(series):
        xs = [x + (i - 1) * width for x in range(len(rows))]
        bars = ax.bar(xs, values, width, label=label, color=_COLOURS[i])
        ax.bar_label(bars, fontsize=7, padding=1)
    ax.set_xticks(range(len(rows)), [_month_label(r, report.period) for r in rows])
    ax.set_ylabel("Jumlah panggilan")
    ax.set_title(f"Grafik 1 Jumlah Panggilan Call Center 112 Kota Blitar {report.period.title}")
    ax.legend()
    fig.tight_layout()
    _save(fig, path)


def grafik_2(report: stats.Report, path: Path) -> None:
    """Horizontal bars by category, the largest on top."""
    rows = report.table3
    fig = Figure(figsize=(10, max(3.0, 0.35 * len(rows) + 1.2)))
    ax = fig.add_subplot()
    ax.set_title(f"Grafik 2 Panggilan Darurat Berdasarkan Kategori Kejadian {report.period.title}")
    if not rows:
        _empty(ax)
    else:
        ys = range(len(rows))
        bars = ax.barh(ys, [r.count for r in rows], color=_COLOURS[0])
        ax.bar_label(bars, fontsize=8, padding=2)
        ax.set_yticks(ys, [r.name for r in rows], fontsize=8)
        ax.invert_yaxis()
        ax.set_xlabel("Jumlah panggilan")
    fig.tight_layout()
    _save(fig, path)


def grafik_3(report: stats.Report, path: Path) -> None:
    """Pie of calls by kecamatan with count and share, as the seed shows them."""
    rows = [r for r in report.table4 if r.count > 0]
    fig = Figure(figsize=(7, 5))
    ax = fig.add_subplot()
    ax.set_title(f"Grafik 3 Berdasarkan Kategori Lokasi Kejadian {report.period.title}")
    if not rows:
        _empty(ax)
    else:
        labels = [f"{r.kecamatan}\n{r.count} ({str(r.percentage).replace('.', ',')}%)" for r in rows]
        ax.pie([r.count for r in rows], labels=labels, startangle=90, counterclock=False)
        ax.set_aspect("equal")
    fig.tight_layout()
    _save(fig, path)


def write_charts(report: stats.Report, directory: Path) -> list[Path]:
    """Write grafik-1.png, grafik-2.png and grafik-3.png into directory (created if needed)."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = [directory / f"grafik-{n}.png" for n in (1, 2, 3)]
    for draw, path in zip((grafik_1, grafik_2, grafik_3), paths, strict=True):
        draw(report, path)
    return paths
