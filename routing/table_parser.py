"""Turns the raw routing mapping (parsed TOML) into checked parts, naming the key of the first problem."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from routing.errors import RoutingError
from routing.model import Agency, Category, Priority
from routing.naming import is_code, name_key

PINNED_AGENCIES = ("damkar", "polres", "bpbd", "satpolpp", "pln", "dinkes", "dishub", "dlh", "pmi", "rsud")
PINNED_CATEGORIES = ("kebakaran", "pju", "ambulans", "pohon-tumbang", "informasi")
FIRE_AGENCIES = ("damkar", "polres")
"""DESIGN.md section 2: `kebakaran` reaches at least these."""

SECTIONS = ("agencies", "categories", "local_groups", "kecamatan", "outside", "dispositions")


@dataclass(frozen=True, slots=True)
class TableParts:
    agencies: dict[str, Agency]
    categories: dict[str, Category]
    local_groups: dict[str, dict[str, str]]
    kecamatan: dict[str, tuple[str, ...]]
    neighbours: tuple[str, ...]
    handoff: str | None
    dispositions: dict[str, str]


def parse_table(data: Mapping[str, Any], extra_agencies: Iterable[str] = ()) -> TableParts:
    if not isinstance(data, Mapping):
        raise RoutingError("routing", "harus berupa tabel")
    _only_keys(data, SECTIONS, "")
    agencies = _agencies(_section(data, "agencies"), extra_agencies)
    kecamatan = _kecamatan(_section(data, "kecamatan"))
    neighbours, handoff = _outside(_section(data, "outside", required=False), kecamatan, agencies)
    groups = _local_groups(_section(data, "local_groups", required=False), kecamatan, agencies)
    categories = _categories(_section(data, "categories"), agencies, groups)
    dispositions = _dispositions(_section(data, "dispositions"))
    return TableParts(agencies, categories, groups, kecamatan, neighbours, handoff, dispositions)


def _agencies(section: Mapping[str, Any], extra: Iterable[str]) -> dict[str, Agency]:
    agencies: dict[str, Agency] = {}
    for code, entry in section.items():
        key = f"agencies.{code}"
        _check_code(code, key)
        fields = _table(entry, key)
        _only_keys(fields, ("name", "short"), key)
        name = _text(fields.get("name"), f"{key}.name")
        short = _text(fields["short"], f"{key}.short") if "short" in fields else name
        agencies[code] = Agency(code, name, short)
    for code in extra:
        _check_code(code, f"agencies.{code}")
        agencies.setdefault(code, Agency(code, code, code))
    for code in PINNED_AGENCIES:
        if code not in agencies:
            raise RoutingError(f"agencies.{code}", "instansi wajib tidak ada")
    return agencies


def _kecamatan(section: Mapping[str, Any]) -> dict[str, tuple[str, ...]]:
    if not section:
        raise RoutingError("kecamatan", "tidak boleh kosong")
    result: dict[str, tuple[str, ...]] = {}
    kecamatan_keys: set[str] = set()
    kelurahan_keys: set[str] = set()
    for kecamatan, names in section.items():
        key = f"kecamatan.{kecamatan}"
        canonical = _text(kecamatan, key)
        if name_key(canonical) in kecamatan_keys:
            raise RoutingError(key, "nama kecamatan ganda")
        kecamatan_keys.add(name_key(canonical))
        kelurahan = _text_list(names, key)
        if not kelurahan:
            raise RoutingError(key, "daftar kelurahan tidak boleh kosong")
        for name in kelurahan:
            if name_key(name) in kelurahan_keys:
                raise RoutingError(key, f"kelurahan ganda: {name}")
            kelurahan_keys.add(name_key(name))
        result[canonical] = tuple(kelurahan)
    return result


def _outside(
    section: Mapping[str, Any], kecamatan: Mapping[str, tuple[str, ...]], agencies: Mapping[str, Agency]
) -> tuple[tuple[str, ...], str | None]:
    _only_keys(section, ("kecamatan", "handoff"), "outside")
    neighbours = _text_list(section.get("kecamatan", []), "outside.kecamatan")
    taken = {name_key(k) for k in kecamatan} | {name_key(k) for names in kecamatan.values() for k in names}
    for name in neighbours:
        if name_key(name) in taken:
            raise RoutingError("outside.kecamatan", f"nama ganda: {name}")
        taken.add(name_key(name))
    handoff = section.get("handoff")
    if handoff is not None:
        handoff = _text(handoff, "outside.handoff")
        if handoff not in agencies:
            raise RoutingError("outside.handoff", f"kode instansi tidak dikenal: {handoff}")
    return tuple(neighbours), handoff


def _local_groups(
    section: Mapping[str, Any], kecamatan: Mapping[str, tuple[str, ...]], agencies: Mapping[str, Agency]
) -> dict[str, dict[str, str]]:
    canonical = {name_key(k): k for k in kecamatan}
    groups: dict[str, dict[str, str]] = {}
    for group, entry in section.items():
        key = f"local_groups.{group}"
        _check_code(group, key)
        if group in agencies:
            raise RoutingError(key, "nama kelompok sama dengan kode instansi")
        members: dict[str, str] = {}
        for place, code in _table(entry, key).items():
            place_name = canonical.get(name_key(place))
            if place_name is None:
                raise RoutingError(f"{key}.{place}", "kecamatan tidak dikenal")
            if code not in agencies:
                raise RoutingError(f"{key}.{place}", f"kode instansi tidak dikenal: {code}")
            members[place_name] = code
        for place_name in kecamatan:
            if place_name not in members:
                raise RoutingError(key, f"kecamatan belum dipetakan: {place_name}")
        groups[group] = members
    return groups


def _categories(
    section: Mapping[str, Any], agencies: Mapping[str, Agency], groups: Mapping[str, object]
) -> dict[str, Category]:
    categories: dict[str, Category] = {}
    rows: set[int] = set()
    keys: set[str] = set()
    for code, entry in section.items():
        key = f"categories.{code}"
        _check_code(code, key)
        if name_key(code) in keys:
            raise RoutingError(key, "kode kategori ganda")
        keys.add(name_key(code))
        fields = _table(entry, key)
        _only_keys(fields, ("name", "priority", "agencies", "table3"), key)
        name = _text(fields.get("name"), f"{key}.name")
        priority = fields.get("priority")
        if isinstance(priority, bool) or priority not in (1, 2, 3):
            raise RoutingError(f"{key}.priority", "harus 1, 2 atau 3")
        targets = _text_list(fields.get("agencies", []), f"{key}.agencies")
        for index, target in enumerate(targets):
            if target not in agencies and target not in groups:
                raise RoutingError(f"{key}.agencies", f"kode instansi tidak dikenal: {target}")
            if target in targets[:index]:
                raise RoutingError(f"{key}.agencies", f"kode instansi ganda: {target}")
        row = fields.get("table3")
        if row is not None and (isinstance(row, bool) or not isinstance(row, int) or row < 1 or row in rows):
            raise RoutingError(f"{key}.table3", "harus nomor baris unik (1 ke atas)")
        if row is not None:
            rows.add(row)
        categories[code] = Category(code, name, Priority(priority), tuple(targets), row)
    for code in PINNED_CATEGORIES:
        if code not in categories:
            raise RoutingError(f"categories.{code}", "kategori wajib tidak ada")
    for code in FIRE_AGENCIES:
        if code not in categories["kebakaran"].agencies:
            raise RoutingError("categories.kebakaran.agencies", f"harus memuat {code}")
    return categories


def _dispositions(section: Mapping[str, Any]) -> dict[str, str]:
    if not section:
        raise RoutingError("dispositions", "tidak boleh kosong")
    result: dict[str, str] = {}
    for code, label in section.items():
        _check_code(code, f"dispositions.{code}")
        result[code] = _text(label, f"dispositions.{code}")
    return result


def _section(data: Mapping[str, Any], name: str, *, required: bool = True) -> Mapping[str, Any]:
    if name not in data:
        if required:
            raise RoutingError(name, "bagian wajib tidak ada")
        return {}
    return _table(data[name], name)


def _table(value: object, key: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise RoutingError(key, "harus berupa tabel")
    return value


def _only_keys(fields: Mapping[str, Any], allowed: Iterable[str], key: str) -> None:
    for name in fields:
        if name not in allowed:
            raise RoutingError(f"{key}.{name}" if key else name, "kunci tidak dikenal")


def _text(value: object, key: str) -> str:
    if value is None:
        raise RoutingError(key, "wajib diisi")
    if not isinstance(value, str):
        raise RoutingError(key, "harus berupa teks")
    if not value.strip():
        raise RoutingError(key, "tidak boleh kosong")
    return value.strip()


def _text_list(value: object, key: str) -> list[str]:
    if not isinstance(value, list):
        raise RoutingError(key, "harus berupa daftar")
    return [_text(item, key) for item in value]


def _check_code(code: object, key: str) -> None:
    if not isinstance(code, str) or not is_code(code):
        raise RoutingError(key, "kode tidak valid (huruf kecil, angka dan tanda hubung)")
