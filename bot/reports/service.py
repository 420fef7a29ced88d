"""Reports use cases: check import files against the routing table, build and render the report."""

from __future__ import annotations

import csv
import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from routing import stats
from routing.fields import FieldError, mask_phone, normalise_phone
from routing.table import RoutingTable
from storage.imports import ValidCallRow, ValidTelephonyRow
from storage.reports import Aggregates

CALL_COLUMNS = ("timestamp", "type", "category", "location", "agencies", "phone")
TELEPHONY_COLUMNS = ("month", "incoming", "to_agent", "answered", "percentage")
CALL_TYPES = ("incident", "informasi", "prank", "ghost")


class ImportFileError(Exception):
    """The file as a whole cannot be read (missing, wrong header, not UTF-8)."""


@dataclass(frozen=True, slots=True)
class RowError:
    row: int  # data row number: 1 = first row after the header
    reasons: tuple[str, ...]


def _records(
    path: Path, columns: tuple[str, ...], optional: tuple[str, ...] = ()
) -> Iterator[tuple[int, dict[str, str] | str]]:
    """Yield (data row number, fields by column) or (number, reason) for a row with the wrong width."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as f:
            reader = csv.reader(f)
            header = [h.strip().casefold() for h in next(reader, [])]
            missing = [c for c in columns if c not in header and c not in optional]
            unknown = [h for h in header if h not in columns]
            if missing or unknown:
                raise ImportFileError(
                    f"Header {path.name} harus '{','.join(columns)}'"
                    + (f"; kolom hilang: {', '.join(missing)}" if missing else "")
                    + (f"; kolom tak dikenal: {', '.join(unknown)}" if unknown else "")
                )
            for number, record in enumerate(reader, start=1):
                if not any(cell.strip() for cell in record):
                    continue  # a blank line keeps its number, so later rows match a spreadsheet
                if len(record) != len(header):
                    yield number, f"ada {len(record)} kolom, seharusnya {len(header)}"
                    continue
                yield number, {h: cell.strip() for h, cell in zip(header, record, strict=True)}
    except FileNotFoundError:
        raise ImportFileError(f"Berkas {path} tidak ditemukan.") from None
    except UnicodeDecodeError:
        raise ImportFileError(f"Berkas {path.name} bukan teks UTF-8.") from None
    except csv.Error as exc:
        raise ImportFileError(f"Berkas {path.name} bukan CSV yang sah: {exc}") from None


class _CallChecker:
    """Checks one call row; remembers locations and duplicates across the rows of a file."""

    def __init__(self, routing: RoutingTable) -> None:
        self.routing = routing
        self.agencies = {code.casefold(): code for code in routing.agencies}
        self.places: dict[str, tuple[str | None, str | None] | None] = {}
        self.seen: dict[str, int] = {}

    def place(self, text: str) -> tuple[str | None, str | None] | None:
        key = "".join(text.split()).casefold()
        if key not in self.places:
            # A kelurahan gives its kecamatan; a kecamatan name alone (or a neighbouring one) is kept too.
            loc = self.routing.locate(text)
            self.places[key] = (loc.kelurahan, loc.kecamatan) if loc is not None else None
        return self.places[key]

    def check(self, f: dict[str, str]) -> ValidCallRow | tuple[str, ...]:
        errors: list[str] = []
        at = 0.0
        try:
            moment = datetime.fromisoformat(f["timestamp"])
            if moment.utcoffset() is None:
                errors.append(f"waktu '{f['timestamp']}' tanpa zona waktu (contoh 2023-03-05T21:14:00+07:00)")
            elif not 2000 <= moment.year < 2100:
                errors.append(
                    f"waktu '{f['timestamp']}': tahun harus antara 2000 dan 2099"
                )  # a typo, not history
            else:
                at = moment.timestamp()
        except ValueError:
            errors.append(f"waktu '{f['timestamp']}' bukan ISO 8601 (contoh 2023-03-05T21:14:00+07:00)")
        kind = f["type"].casefold()
        if kind not in CALL_TYPES:
            errors.append(f"tipe '{f['type']}' tidak dikenal (incident, informasi, prank, ghost)")
        category = f["category"].casefold() or None
        if kind in ("prank", "ghost") and category:
            errors.append(f"panggilan {kind} tidak boleh berkategori")
        elif kind in ("incident", "informasi") and not category:
            errors.append(f"kategori wajib untuk {kind}")
        elif category and category not in self.routing.categories:
            errors.append(f"kategori '{f['category']}' tidak dikenal")
        elif kind == "incident" and category == "informasi":
            errors.append("kategori informasi hanya untuk tipe informasi")
        kelurahan = kecamatan = None
        if f["location"]:
            found = self.place(f["location"])
            if found is None:
                errors.append(f"lokasi '{f['location']}' bukan kelurahan atau kecamatan yang dikenal")
            else:
                kelurahan, kecamatan = found
        codes: list[str] = []
        for raw in f["agencies"].split(";"):
            code = self.agencies.get(raw.strip().casefold())
            if raw.strip() and code is None:
                errors.append(f"instansi '{raw.strip()}' tidak dikenal")
            elif code and code not in codes:
                codes.append(code)
        phone: str | None = None
        if f.get("phone"):
            try:
                phone = normalise_phone(f["phone"])  # the bot's own form, so repeat callers match
            except FieldError:
                errors.append(f"nomor telepon '{f['phone']}' tidak sah")
        if errors:
            return tuple(errors)
        normal = "|".join((repr(at), kind, category or "", kelurahan or "", kecamatan or "", ";".join(codes)))
        normal += "|" + (phone or "")
        # The occurrence index keeps two identical rows of one file apart, yet stable on a re-import.
        occurrence = self.seen.get(normal, 0)
        self.seen[normal] = occurrence + 1
        key = hashlib.blake2b(f"{normal}#{occurrence}".encode(), digest_size=16).hexdigest()
        masked = mask_phone(phone) if phone else None
        return ValidCallRow(at, kind, category, kelurahan, kecamatan, ";".join(codes), phone, masked, key)


def read_calls_csv(path: Path, routing: RoutingTable) -> tuple[list[ValidCallRow], list[RowError]]:
    """Every row checked; the caller imports nothing unless the error list is empty."""
    checker = _CallChecker(routing)
    rows: list[ValidCallRow] = []
    errors: list[RowError] = []
    for number, fields in _records(path, CALL_COLUMNS, optional=("phone",)):
        result = (fields,) if isinstance(fields, str) else checker.check(fields)
        if isinstance(result, ValidCallRow):
            rows.append(result)
        else:
            errors.append(RowError(number, result))
    return rows, errors


_INT_RE = re.compile(r"^\d{1,3}(?:([.,])\d{3})?(?:\1\d{3})*$|^\d+$")
_MONTH_RE = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


def _count(text: str) -> int | None:
    """A non-negative count, with Indonesian (5.056) or English (5,056) thousands allowed."""
    return int(re.sub(r"[.,]", "", text)) if _INT_RE.match(text) else None


def read_telephony_csv(path: Path) -> tuple[list[ValidTelephonyRow], list[RowError]]:
    rows: list[ValidTelephonyRow] = []
    errors: list[RowError] = []
    months: set[str] = set()
    for number, fields in _records(path, TELEPHONY_COLUMNS):
        if isinstance(fields, str):
            errors.append(RowError(number, (fields,)))
            continue
        problems: list[str] = []
        month = fields["month"]
        if not _MONTH_RE.match(month):
            problems.append(f"bulan '{month}' harus berbentuk YYYY-MM (contoh 2023-01)")
        elif month in months:
            problems.append(f"bulan {month} muncul dua kali")
        months.add(month)
        counts: dict[str, int] = {}
        for column in ("incoming", "to_agent", "answered"):
            value = _count(fields[column])
            if value is None:
                problems.append(f"{column} '{fields[column]}' bukan bilangan bulat")
            else:
                counts[column] = value
        pct: float | None = None
        try:
            pct = float(fields["percentage"].removesuffix("%").strip().replace(",", "."))
            if not 0 <= pct <= 100:
                problems.append(f"persentase '{fields['percentage']}' harus antara 0 dan 100")
        except ValueError:
            problems.append(f"persentase '{fields['percentage']}' bukan angka")
        if len(counts) == 3 and not counts["answered"] <= counts["to_agent"] <= counts["incoming"]:
            problems.append("harus dijawab ≤ masuk ke agent ≤ panggilan masuk")
        if problems or pct is None:
            errors.append(RowError(number, tuple(problems)))
        else:
            rows.append(
                ValidTelephonyRow(month, counts["incoming"], counts["to_agent"], counts["answered"], pct)
            )
    return rows, errors


def build_report(period: stats.Period, agg: Aggregates, routing: RoutingTable) -> stats.Report:
    months = stats.months_in(period)
    prank_ghost: dict[str, int] = {}
    for day, n in agg.prank_ghost_by_day.items():
        month = stats.month_of_local_day(day)
        prank_ghost[month] = prank_ghost.get(month, 0) + n
    # Telephony figures are per whole month: a day report would pass them off as that day's.
    telephony = {
        m: stats.TelephonyMonth(m, *agg.telephony[m])
        for m in months
        if m in agg.telephony and stats.covers_whole_month(period)
    }
    table2, total = stats.build_table2(months, prank_ghost, telephony)
    by_category: dict[str, int] = {}
    by_kecamatan: dict[str, int] = {}
    without_location = 0
    for (category, kecamatan), n in agg.by_category_kecamatan.items():
        by_category[category] = by_category.get(category, 0) + n
        if kecamatan:
            by_kecamatan[kecamatan] = by_kecamatan.get(kecamatan, 0) + n
        else:
            without_location += n
    names = {code: c.name for code, c in routing.categories.items()}
    missing = [m for m in months if m not in telephony] if stats.covers_whole_month(period) else []
    return stats.Report(
        period=period,
        table2=table2,
        table2_total=total,
        table3=stats.build_table3(by_category, names),
        table4=stats.build_table4(by_kecamatan, always=routing.kecamatan.keys()),
        without_location=without_location,
        telephony_missing=missing,
    )
