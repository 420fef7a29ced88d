"""The prank & ghost heatmap (weekday x hour, WIB) as PNG, with matplotlib's object API on Agg
(no pyplot, no global state, safe in a worker thread), like bot/reports/charts.py."""

from __future__ import annotations

import io
from pathlib import Path

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from routing.prank import DAYS_ID, PrankPatterns


def heatmap_figure(p: PrankPatterns, title: str) -> Figure:
    fig = Figure(figsize=(11, 4))
    ax = fig.add_subplot()
    image = ax.imshow([list(row) for row in p.grid], aspect="auto", cmap="OrRd", vmin=0)
    ax.set_xticks(range(24), [f"{h:02d}" for h in range(24)], fontsize=8)
    ax.set_yticks(range(7), list(DAYS_ID))
    ax.set_xlabel("Jam (WIB)")
    ax.set_title(f"Pola Prank & Ghost per Jam dan Hari {title} (total {p.total})")
    top = max(max(row) for row in p.grid) or 1
    for d, row in enumerate(p.grid):
        for h, n in enumerate(row):
            if n:  # white on the darkest cells so every number stays readable
                ax.text(
                    h,
                    d,
                    str(n),
                    ha="center",
                    va="center",
                    fontsize=7,
                    color="white" if n > 0.6 * top else "black",
                )
    fig.colorbar(image, ax=ax, label="Panggilan")
    fig.tight_layout()
    FigureCanvasAgg(fig)
    return fig


def heatmap_png(p: PrankPatterns, title: str) -> bytes:
    buf = io.BytesIO()
    heatmap_figure(p, title).savefig(buf, format="png", dpi=100)
    return buf.getvalue()


def write_heatmap(p: PrankPatterns, title: str, directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "grafik-prank-ghost.png"
    path.write_bytes(heatmap_png(p, title))
    return path
