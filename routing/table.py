"""The routing table: category -> agencies, places, dispositions; loaded from routing/data/routing.toml."""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any

from routing.errors import RoutingError
from routing.model import Agency, Category, Kelurahan, Location
from routing.naming import name_key, split_place_prefix
from routing.table_parser import TableParts, parse_table

__all__ = ["RoutingError", "RoutingTable", "load_routing", "validate_agency_codes"]

PACKAGED_TABLE = "data/routing.toml"


class RoutingTable:
    """A validated, read-only routing table. Build it with ``from_mapping`` or ``load_routing``."""

    agencies: Mapping[str, Agency]
    categories: Mapping[str, Category]
    kecamatan: Mapping[str, tuple[str, ...]]
    """Kecamatan -> its kelurahan, in DESIGN.md order."""
    neighbours: tuple[str, ...]
    """Neighbouring Kabupaten Blitar kecamatan: locations there are handed off."""
    handoff: str | None
    """Agency code that receives hand-offs (Call Center 112 Kabupaten Blitar), if any."""
    local_groups: Mapping[str, Mapping[str, str]]
    """Group name (``polsek``, ``puskesmas``) -> kecamatan -> agency code."""
    dispositions: Mapping[str, str]
    """Disposition code -> Indonesian label, for closing incidents."""

    def __init__(self, parts: TableParts) -> None:
        self.agencies = MappingProxyType(dict(parts.agencies))
        self.categories = MappingProxyType(dict(parts.categories))
        self.kecamatan = MappingProxyType(dict(parts.kecamatan))
        self.neighbours = parts.neighbours
        self.handoff = parts.handoff
        self.local_groups = MappingProxyType({g: MappingProxyType(m) for g, m in parts.local_groups.items()})
        self.dispositions = MappingProxyType(dict(parts.dispositions))
        self._kelurahan = {
            name_key(name): Kelurahan(name, kecamatan)
            for kecamatan, names in parts.kecamatan.items()
            for name in names
        }
        self._kecamatan = {name_key(name): name for name in parts.kecamatan}
        self._neighbours = {name_key(name): name for name in parts.neighbours}
        self._category_keys = {name_key(c.name): c for c in reversed(parts.categories.values())}
        self._category_keys.update({name_key(code): c for code, c in parts.categories.items()})

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], extra_agencies: Iterable[str] = ()) -> RoutingTable:
        """Validate everything and build the table; the first problem raises RoutingError naming its key."""
        return cls(parse_table(data, extra_agencies))

    def category(self, text: str) -> Category | None:
        """By code (or, failing that, by name), case-, space- and hyphen-insensitive."""
        key = name_key(text)
        return self._category_keys.get(key) if key else None

    def locate(self, text: str) -> Location | None:
        """A kelurahan (preferred), a kecamatan, or a neighbouring kecamatan (``outside=True``).

        "Kec. Sukorejo" / "Kecamatan Sukorejo" asks for the kecamatan only; "Kel. ..." for a kelurahan only.
        """
        kind, rest = split_place_prefix(text)
        key = name_key(rest)
        if not key:
            return None
        kelurahan = self._kelurahan.get(key)
        if kelurahan is not None and kind != "kecamatan":
            return Location(kelurahan.name, kelurahan.kecamatan, outside=False)
        if kind == "kelurahan":
            return None
        if key in self._kecamatan:
            return Location(None, self._kecamatan[key], outside=False)
        if key in self._neighbours:
            return Location(None, self._neighbours[key], outside=True)
        return None

    def find_kecamatan(self, text: str) -> str | None:
        """Canonical name of a city kecamatan: "KEPANJEN KIDUL" -> "Kepanjenkidul"; neighbours give None."""
        return self._kecamatan.get(name_key(split_place_prefix(text)[1]))

    def find_kelurahan(self, text: str) -> Kelurahan | None:
        return self._kelurahan.get(name_key(split_place_prefix(text)[1]))

    def is_neighbour(self, text: str) -> bool:
        return name_key(split_place_prefix(text)[1]) in self._neighbours

    def route(self, category: str, kecamatan: str | None) -> tuple[str, ...]:
        """Concrete agency codes for a category, lead first, without duplicates.

        Local groups resolve by kecamatan and are skipped when it is None or unknown. A neighbouring
        kecamatan routes to the hand-off agency alone (nothing for a category without agencies).
        An unknown category raises RoutingError.
        """
        found = self.category(category)
        if found is None:
            raise RoutingError(f"categories.{category}", "kategori tidak dikenal")
        if not found.agencies:
            return ()
        if kecamatan is not None and self.is_neighbour(kecamatan):
            return (self.handoff,) if self.handoff else ()
        place = self.find_kecamatan(kecamatan) if kecamatan is not None else None
        codes: list[str] = []
        for target in found.agencies:
            group = self.local_groups.get(target)
            code = target if group is None else (group[place] if place is not None else None)
            if code is not None and code not in codes:
                codes.append(code)
        return tuple(codes)

    def kelurahan_names(self) -> list[str]:
        """All kelurahan, kecamatan by kecamatan, in DESIGN.md order."""
        return [name for names in self.kecamatan.values() for name in names]

    def all_kelurahan(self) -> list[Kelurahan]:
        return [Kelurahan(name, kec) for kec, names in self.kecamatan.items() for name in names]

    def agency_short(self, code: str) -> str:
        """Short (card, spoken) name of an agency, or the code itself if unknown."""
        agency = self.agencies.get(code)
        return agency.short if agency is not None else code

    def disposition(self, text: str) -> str | None:
        """The disposition code for user input ("TERTANGANI " -> "tertangani"), or None."""
        code = text.strip().casefold()
        return code if code in self.dispositions else None


def load_routing(path: str | Path | None = None, extra_agencies: Iterable[str] = ()) -> RoutingTable:
    """Read and validate a routing table; None reads the packaged routing/data/routing.toml.

    An unreadable or non-TOML file raises RoutingError with key "routing.path"; a table that reads but
    is wrong raises RoutingError naming the bad key (e.g. "categories.kebakaran.agencies").
    ``extra_agencies`` are agency codes known elsewhere (settings): they join the table as agencies
    named by their code unless the table already has them.
    """
    where = str(path) if path is not None else f"routing/{PACKAGED_TABLE}"
    try:
        if path is None:
            raw = (resources.files("routing") / "data" / "routing.toml").read_bytes()
        else:
            raw = Path(path).read_bytes()
    except OSError as error:
        raise RoutingError(
            "routing.path", f"berkas tidak bisa dibaca: {where} ({error.strerror or error})"
        ) from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise RoutingError("routing.path", f"berkas bukan TOML yang valid: {where} ({error})") from None
    return RoutingTable.from_mapping(data, extra_agencies)


def validate_agency_codes(table: RoutingTable, codes: Iterable[str], key_prefix: str = "agencies") -> None:
    """Every code must name an agency of the table (e.g. the ``[agencies.<code>]`` settings tables)."""
    for code in codes:
        if code not in table.agencies:
            raise RoutingError(f"{key_prefix}.{code}", "kode instansi tidak dikenal")
