"""The digest's one chart: calls by type and incidents by category, as a PNG in memory.

Same conventions as bot/reports/charts.py (matplotlib's object API on the Agg canvas, never pyplot), so it is
safe to draw in a worker thread.
"""

from __future__ import annotations

import io

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from bot.reports.charts import _COLOURS, _empty
from bot.reports.digest_text import CALL_TYPES, DigestData
from routing.table import RoutingTable

MAX_CATEGORIES = 10


def digest_png(data: DigestData, routing: RoutingTable) -> bytes:
    categories = data.by_category(routing)[:MAX_CATEGORIES]
    fig = Figure(figsize=(10, 4.5))
    calls_ax, cat_ax = fig.subplots(1, 2, gridspec_kw={"width_ratios": (2, 3)})
    fig.suptitle(f"112 Kota Blitar · {data.window.title}")
    labels = [label for _, label in CALL_TYPES]
    values = [data.calls.get(code, 0) for code, _ in CALL_TYPES]
    colours = [_COLOURS[0], _COLOURS[0], _COLOURS[2], _COLOURS[2]]
    calls_ax.set_title("Panggilan per jenis")
    bars = calls_ax.bar(labels, values, color=colours)
    calls_ax.bar_label(bars, fontsize=8, padding=1)
    calls_ax.set_ylabel("Jumlah panggilan")
    calls_ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    cat_ax.set_title("Kejadian per kategori")
    if not categories:
        _empty(cat_ax)
    else:
        ys = range(len(categories))
        hbars = cat_ax.barh(ys, [n for _, n in categories], color=_COLOURS[1])
        cat_ax.bar_label(hbars, fontsize=8, padding=2)
        cat_ax.set_yticks(ys, [name for name, _ in categories], fontsize=8)
        cat_ax.invert_yaxis()
        cat_ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    fig.tight_layout()
    FigureCanvasAgg(fig)
    out = io.BytesIO()
    fig.savefig(out, format="png", dpi=100)
    return out.getvalue()
