"""The report as an editable Word document (python-docx): chapter III.B of the seed, written by the system.

Title block, "a. Jumlah Panggilan" (Tabel 2, Grafik 1, the paragraph of computed facts), "b." (Tabel 3,
Grafik 2), "c." (Tabel 4, Grafik 3) and "Catatan data". CPU-bound (matplotlib, lxml): callers run it in
a worker thread. The office finishes the report in Word or LibreOffice, so it is plain styles and real
tables, nothing that only renders in one of them.
"""

from __future__ import annotations

import io
import re
import tempfile
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from docx import Document
from docx.document import Document as DocumentObject
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor
from docx.text.paragraph import Paragraph

from bot.reports import facts
from bot.settings import ReportSettings
from routing import stats
from routing.table import RoutingTable

HEADINGS = {"year": "LAPORAN TAHUNAN", "quarter": "LAPORAN TRIWULAN", "month": "LAPORAN BULANAN",
            "day": "LAPORAN HARIAN"}  # fmt: skip
# Foreign terms the seed sets in italics.
_ITALIC = re.compile(r"(prank|ghost call|Call Taker|Call Center|service level agreement)")
FONT = "Arial"


def charts_png(report: stats.Report) -> list[bytes]:
    """Grafik 1-3 as PNG bytes, drawn by bot.reports.charts (the same pictures as `report --charts`)."""
    from bot.reports.charts import write_charts  # matplotlib loads only when a document is made

    with tempfile.TemporaryDirectory(prefix="grafik-") as tmp:
        return [p.read_bytes() for p in write_charts(report, Path(tmp))]


def _styles(doc: DocumentObject) -> None:
    section = doc.sections[0]
    section.page_width, section.page_height = Cm(21), Cm(29.7)  # A4, as the office prints
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Cm(2.5))
    normal = doc.styles["Normal"]
    normal.font.name = FONT
    normal.font.size = Pt(11)
    for level, size in ((1, 14), (2, 12)):
        style = doc.styles[f"Heading {level}"]
        style.font.name = FONT
        style.font.size = Pt(size)
        style.font.color.rgb = RGBColor(0, 0, 0)
        # The template's theme fonts win over w:ascii; drop them so the heading is in FONT too.
        fonts = style.element.rPr.rFonts if style.element.rPr is not None else None
        if fonts is not None:
            for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
                fonts.attrib.pop(qn(attr), None)


def _text(paragraph: Paragraph, text: str, *, bold: bool = False) -> Paragraph:
    for piece in _ITALIC.split(text):
        if piece:
            run = paragraph.add_run(piece)
            run.bold = bold
            run.italic = bool(_ITALIC.fullmatch(piece))
    return paragraph


def _centred(doc: DocumentObject, text: str, size: int, *, bold: bool = True) -> None:
    p = doc.add_paragraph()
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = p.add_run(text)
    run.bold = bold
    run.font.size = Pt(size)


def _caption(doc: DocumentObject, text: str, *, above: bool = False) -> None:
    p = doc.add_paragraph()
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    p.paragraph_format.keep_with_next = above  # a table's caption stays on the table's page
    _text(p, text, bold=True)


def _body(doc: DocumentObject, text: str) -> None:
    p = _text(doc.add_paragraph(), text)
    p.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY


def _table(doc: DocumentObject, header: Sequence[str], rows: Sequence[Sequence[str]],
           widths_cm: Sequence[float], total: Sequence[str] | None) -> None:  # fmt: skip
    """Header row bold and repeated on each page; figures right-aligned; the totals row bold."""
    body = [*rows, *([total] if total is not None else [])]
    table = doc.add_table(rows=1 + len(body), cols=len(header))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    for column, width in zip(table.columns, widths_cm, strict=True):
        column.width = Cm(width)  # the grid, which LibreOffice reads
        for cell in column.cells:
            cell.width = Cm(width)  # and each cell, which Word reads
    for r, values in enumerate([header, *body]):
        bold = r == 0 or (total is not None and r == len(body))
        for c, value in enumerate(values):
            cell = table.cell(r, c)
            p = cell.paragraphs[0]
            run = p.add_run(value)
            run.bold = bold
            run.font.size = Pt(9)
            if r == 0 or c == 0:
                p.alignment = WD_ALIGN_PARAGRAPH.CENTER
            elif c >= 2:  # every table: No, a name, then figures
                p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    # <w:tblHeader/>: the header row repeats on each page; python-docx has no API for it.
    table.rows[0]._tr.get_or_add_trPr().append(OxmlElement("w:tblHeader"))


def _when(row: stats.Table2Row, period: stats.Period) -> str:
    return period.title if period.kind == "day" else stats.MONTHS_ID[int(row.month[5:7]) - 1]


def _picture(doc: DocumentObject, png: bytes, width_cm: float) -> None:
    doc.add_picture(io.BytesIO(png), width=Cm(width_cm))
    p = doc.paragraphs[-1]
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    p.paragraph_format.keep_with_next = True  # the chart's caption (below it) stays with it


def _table2(doc: DocumentObject, report: stats.Report, name: str) -> None:
    _caption(doc, f"Tabel 2 Jumlah Panggilan Kegiatan {name}", above=True)
    n, p = facts.number_id, facts.percent_id
    rows = [
        [str(i), _when(r, report.period), n(r.incoming), n(r.to_agent), n(r.answered), p(r.percentage),
         n(r.prank_ghost)]
        for i, r in enumerate(report.table2, start=1)
    ]  # fmt: skip
    t = report.table2_total
    total = ["", "TOTAL", n(t.incoming), n(t.to_agent), n(t.answered), p(t.percentage), n(t.prank_ghost)]
    header = ["No", "Waktu", "Total Panggilan Masuk", "Total Panggilan Masuk ke Agent",
              "Total Panggilan Dijawab", "Persentase Panggilan", "Prank & Ghost"]  # fmt: skip
    _table(doc, header, rows, (1.0, 2.6, 2.4, 2.4, 2.4, 2.4, 2.0), total)


def _table3(doc: DocumentObject, report: stats.Report) -> None:
    _caption(doc, "Tabel 3 Jumlah Panggilan Berdasarkan Kategori Kejadian", above=True)
    rows = [[str(i), r.name, facts.number_id(r.count)] for i, r in enumerate(report.table3, start=1)]
    total = ["", "TOTAL", facts.number_id(sum(r.count for r in report.table3))]
    _table(doc, ["No", "Kategori", "Jumlah Insiden"], rows, (1.0, 11.0, 3.0), total)


def _table4(doc: DocumentObject, report: stats.Report) -> None:
    _caption(doc, "Tabel 4 Panggilan Berdasarkan Kategori Lokasi Kejadian", above=True)
    rows = [
        [str(i), r.kecamatan, facts.number_id(r.count), facts.percent_id(r.percentage, fixed=True)]
        for i, r in enumerate(report.table4, start=1)
    ]
    total = ["", "TOTAL", facts.number_id(sum(r.count for r in report.table4)), ""]
    _table(doc, ["No", "Berdasarkan Wilayah", "Jumlah", "Persentase"], rows, (1.0, 7.0, 3.0, 3.0), total)


def build_docx(report: stats.Report, routing: RoutingTable, cfg: ReportSettings, charts: Sequence[bytes],
               made_at: datetime | None = None) -> bytes:  # fmt: skip
    """The document as bytes; charts are Grafik 1-3 as PNG (see charts_png)."""
    period = report.period
    call = facts.call_facts(report, cfg.sla_target)
    doc = Document()
    _styles(doc)
    props = doc.core_properties
    props.title = f"{HEADINGS[period.kind].title()} {cfg.name} {period.title}"
    props.author = cfg.organisation or cfg.name
    props.language = "id-ID"
    if made_at is not None:
        props.created = props.modified = made_at

    _centred(doc, HEADINGS[period.kind], 16)
    _centred(doc, cfg.name.upper(), 14)
    _centred(doc, period.title.upper(), 12)
    if cfg.organisation:
        _centred(doc, cfg.organisation, 11, bold=False)
    if made_at is not None:
        _centred(
            doc,
            f"Disusun otomatis dari data sistem pada {made_at:%d/%m/%Y %H:%M} {made_at.tzname() or ''}",
            9,
            bold=False,
        )

    doc.add_heading(f"B. Rekapitulasi Kegiatan Panggilan Darurat {cfg.name}", level=1)
    _body(doc, f"Berdasarkan data hasil pelaksanaan kegiatan {cfg.name} didapatkan hasil rekapitulasi "
               "sebagai berikut:")  # fmt: skip

    doc.add_heading("a. Jumlah Panggilan", level=2)
    _table2(doc, report, cfg.name)
    _picture(doc, charts[0], 14.5)
    _caption(doc, f"Grafik 1 Jumlah Panggilan Kegiatan {cfg.name}")
    _body(doc, facts.calls_paragraph(call, report, cfg.name))

    doc.add_heading("b. Panggilan Berdasarkan Kategori Kejadian", level=2)
    _table3(doc, report)
    _picture(doc, charts[1], 16)
    _caption(doc, "Grafik 2 Panggilan Darurat Berdasarkan Kategori Kejadian")
    _body(doc, facts.category_paragraph(report, routing, cfg.area))

    doc.add_heading("c. Panggilan Berdasarkan Kategori Lokasi Kejadian", level=2)
    _table4(doc, report)
    _picture(doc, charts[2], 12)
    _caption(doc, "Grafik 3 Berdasarkan Kategori Lokasi Kejadian")
    _body(doc, facts.location_paragraph(report, cfg.area))

    doc.add_heading("Catatan data", level=2)
    for note in facts.data_notes(report, call):
        _text(doc.add_paragraph(style="List Bullet"), note)

    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def render_docx(report: stats.Report, routing: RoutingTable, cfg: ReportSettings,
                made_at: datetime | None = None) -> bytes:  # fmt: skip
    """Charts and document together: what the CLI and the bot call (in a thread)."""
    return build_docx(report, routing, cfg, charts_png(report), made_at)
