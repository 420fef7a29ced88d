"""The nearest-centre lookup of a point (routing/geo.py over routing/data/kelurahan_centres.toml)."""

from __future__ import annotations

import pytest

from routing.errors import RoutingError
from routing.geo import centres_from_mapping, distance_km, load_centres, locate_point, osm_link
from routing.table import load_routing

TABLE = load_routing()
CENTRES = load_centres(TABLE)


def test_every_kelurahan_has_one_centre_and_finds_itself() -> None:
    assert sorted(c.kelurahan.name for c in CENTRES.centres) == sorted(TABLE.kelurahan_names())
    assert len(CENTRES.centres) == 21
    for centre in CENTRES.centres:
        place = locate_point(CENTRES, centre.lat, centre.lon)
        assert place.kelurahan == centre.kelurahan and place.distance_km == 0


def test_the_centres_lie_in_kota_blitar_and_are_distinct() -> None:
    for centre in CENTRES.centres:
        assert distance_km(centre.lat, centre.lon, -8.10, 112.17) < 5, centre
    points = {(c.lat, c.lon) for c in CENTRES.centres}
    assert len(points) == 21


def test_kecamatan_come_from_the_routing_table() -> None:
    place = locate_point(CENTRES, -8.0801, 112.1621)
    assert place.kelurahan is not None
    assert (place.kelurahan.name, place.kelurahan.kecamatan) == ("Sentul", "Kepanjenkidul")
    east = locate_point(CENTRES, -8.0860, 112.1990)
    assert east.kelurahan is not None and east.kelurahan.kecamatan == "Sananwetan"


@pytest.mark.parametrize(("lat", "lon"), [(-8.02, 112.17), (-8.10, 112.26), (-8.20, 112.17), (6.2, 106.8)])
def test_a_point_far_from_every_centre_is_outside(lat: float, lon: float) -> None:
    place = locate_point(CENTRES, lat, lon)
    assert place.kelurahan is None and place.distance_km > CENTRES.max_km


def test_distance_is_haversine() -> None:
    assert distance_km(0, 0, 0, 1) == pytest.approx(111.19, abs=0.01)
    assert distance_km(-8.1, 112.17, -8.1, 112.17) == 0


def test_osm_link() -> None:
    assert osm_link(-8.08, 112.162) == (
        "https://www.openstreetmap.org/?mlat=-8.08000&mlon=112.16200#map=17/-8.08000/112.16200"
    )


@pytest.mark.parametrize(
    ("data", "key"),
    [
        ({"centres": {}}, "kelurahan_centres.max_km"),
        ({"max_km": 2}, "kelurahan_centres.centres"),
        ({"max_km": 2, "centres": {"Atlantis": [0, 0]}}, "kelurahan_centres.centres.Atlantis"),
        ({"max_km": 2, "centres": {"Sentul": [0]}}, "kelurahan_centres.centres.Sentul"),
        ({"max_km": 2, "centres": {"Sentul": [-91, 0]}}, "kelurahan_centres.centres.Sentul"),
        ({"max_km": 2, "centres": {"Sentul": [0, 0], "SENTUL": [0, 0]}}, "kelurahan_centres.centres.SENTUL"),
        ({"max_km": 2, "centres": {"Sentul": [-8.08, 112.16]}}, "kelurahan_centres.centres"),  # 20 missing
    ],
)
def test_a_bad_table_names_its_key(data: dict[str, object], key: str) -> None:
    with pytest.raises(RoutingError) as caught:
        centres_from_mapping(data, TABLE)
    assert caught.value.key == key
