"""Where a point lies: the nearest kelurahan centre (routing/data/kelurahan_centres.toml), or outside.

Pure: the table is data, the lookup is arithmetic. The centres are approximate (see the data file)."""

from __future__ import annotations

import math
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any

from routing.errors import RoutingError
from routing.model import Kelurahan
from routing.table import RoutingTable

EARTH_RADIUS_KM = 6371.0


@dataclass(frozen=True, slots=True)
class Centre:
    kelurahan: Kelurahan
    lat: float
    lon: float


@dataclass(frozen=True, slots=True)
class Centres:
    centres: tuple[Centre, ...]
    max_km: float


@dataclass(frozen=True, slots=True)
class Place:
    """kelurahan None: farther than max_km from every centre, outside Kota Blitar."""

    kelurahan: Kelurahan | None
    distance_km: float


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle (haversine) distance."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def locate_point(centres: Centres, lat: float, lon: float) -> Place:
    best: Centre | None = None
    best_km = math.inf
    for centre in centres.centres:
        km = distance_km(lat, lon, centre.lat, centre.lon)
        if km < best_km:
            best, best_km = centre, km
    if best is None or best_km > centres.max_km:
        return Place(None, best_km)
    return Place(best.kelurahan, best_km)


def osm_link(lat: float, lon: float, zoom: int = 17) -> str:
    return f"https://www.openstreetmap.org/?mlat={lat:.5f}&mlon={lon:.5f}#map={zoom}/{lat:.5f}/{lon:.5f}"


def centres_from_mapping(data: Mapping[str, Any], table: RoutingTable) -> Centres:
    """Every kelurahan of the routing table needs exactly one centre; names are matched as elsewhere."""
    max_km = data.get("max_km")
    if not isinstance(max_km, int | float) or isinstance(max_km, bool) or max_km <= 0:
        raise RoutingError("kelurahan_centres.max_km", "harus angka lebih dari 0 (km)")
    raw = data.get("centres")
    if not isinstance(raw, Mapping):
        raise RoutingError("kelurahan_centres.centres", "tabel [centres] tidak ada")
    found: dict[str, Centre] = {}
    for name, point in raw.items():
        key = f"kelurahan_centres.centres.{name}"
        kelurahan = table.find_kelurahan(name)
        if kelurahan is None:
            raise RoutingError(key, "kelurahan tidak dikenal di tabel routing")
        if kelurahan.name in found:
            raise RoutingError(key, "kelurahan disebut dua kali")
        if not (isinstance(point, list) and len(point) == 2 and all(_number(v) for v in point)):
            raise RoutingError(key, "harus [lintang, bujur]")
        lat, lon = float(point[0]), float(point[1])
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise RoutingError(key, "lintang/bujur di luar jangkauan")
        found[kelurahan.name] = Centre(kelurahan, lat, lon)
    missing = [k.name for k in table.all_kelurahan() if k.name not in found]
    if missing:
        raise RoutingError("kelurahan_centres.centres", "tidak ada titik untuk: " + ", ".join(missing))
    return Centres(tuple(found.values()), float(max_km))


def load_centres(table: RoutingTable) -> Centres:
    raw = (resources.files("routing") / "data" / "kelurahan_centres.toml").read_text(encoding="utf-8")
    return centres_from_mapping(tomllib.loads(raw), table)


def _number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
