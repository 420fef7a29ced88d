"""The packaged routing table and its validation."""

from __future__ import annotations

import copy
import tomllib
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from routing.model import Location, Priority
from routing.table import RoutingError, RoutingTable, load_routing, validate_agency_codes
from routing.table_parser import PINNED_AGENCIES, PINNED_CATEGORIES

DESIGN_AREA = {
    "Kepanjenkidul": ("Kepanjenkidul", "Kepanjenlor", "Kauman", "Bendo", "Tanggung", "Sentul", "Ngadirejo"),
    "Sananwetan": ("Rembang", "Klampok", "Plosokerep", "Karangtengah", "Sananwetan", "Bendogerit", "Gedog"),
    "Sukorejo": ("Tlumpu", "Karangsari", "Turi", "Blitar", "Sukorejo", "Pakunden", "Tanjungsari"),
}
TABLE3_NAMES = [
    "Permasalahan PJU",
    "Informasi",
    "Permintaan Ambulance",
    "Evakuasi Hewan Liar",
    "Evakuasi & Non Kebakaran",
    "Kecelakaan Ringan",
    "Evakuasi Sarang Tawon",
    "Permasalahan Listrik (Kabel, Tiang, Konsleting, Dsb)",
    "Kebakaran",
    "Pohon Tumbang",
    "Perambasan Pohon",
    "Permintaan Ambulance Wilayah",
    "Gangguan Kamtibmas",
    "Permintaan Ambulance Rumah Sakit",
    "Orang Dengan Gangguan Jiwa (ODGJ)",
    "Penemuan Mayat",
    "Keamanan dan Ketertiban Umum / Masyarakat",
    "Kebencanaan",
    "Kecelakaan Berat",
    "Kriminal",
]


@pytest.fixture(scope="module")
def table() -> RoutingTable:
    return load_routing()


@pytest.fixture
def raw() -> dict[str, Any]:
    text = (resources.files("routing") / "data" / "routing.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


def test_packaged_table_has_pinned_codes(table: RoutingTable) -> None:
    assert set(PINNED_AGENCIES) <= set(table.agencies)
    assert set(PINNED_CATEGORIES) <= set(table.categories)
    assert {"dinsos", "pupr", "dp3ap2kb", "bakesbangpol", "babinsa", "polsek-sukorejo"} <= set(table.agencies)
    assert table.agency_short("satpolpp") == "Satpol PP"
    assert table.agency_short("rsud") == "RSUD Mardi Waluyo"
    assert table.agency_short("polsek-sukorejo") == "Polsek Sukorejo"
    assert table.agency_short("nope") == "nope"


def test_all_twenty_table3_categories_in_order(table: RoutingTable) -> None:
    rows = sorted((c.table3, c.name) for c in table.categories.values() if c.table3 is not None)
    assert [number for number, _ in rows] == list(range(1, 21))
    assert [name for _, name in rows] == TABLE3_NAMES


def test_area_matches_design(table: RoutingTable) -> None:
    assert dict(table.kecamatan) == DESIGN_AREA
    assert len(table.kelurahan_names()) == 21
    assert table.neighbours == ("Garum", "Nglegok", "Kanigoro", "Sanankulon")
    assert {"tertangani", "palsu", "nihil", "dobel", "rujuk"} <= set(table.dispositions)


def test_categories_routes_and_priorities(table: RoutingTable) -> None:
    assert {"damkar", "polres"} <= set(table.route("kebakaran", None))
    assert table.route("kebakaran", None)[0] == "damkar"
    assert table.route("informasi", "Sukorejo") == ()
    assert table.route("pju", None) == ("dishub",)
    assert table.categories["kebakaran"].priority is Priority.LIFE
    assert table.categories["pju"].priority is Priority.SERVICE
    assert table.categories["kecelakaan-berat"].priority is Priority.LIFE


def test_local_groups_resolve_by_kecamatan(table: RoutingTable) -> None:
    assert table.route("odgj", "Sukorejo") == ("satpolpp", "polsek-sukorejo", "puskesmas-sukorejo")
    assert table.route("odgj", "KEPANJEN KIDUL") == (
        "satpolpp",
        "polsek-kepanjenkidul",
        "puskesmas-kepanjenkidul",
    )
    assert table.route("ambulans", "sananwetan")[0] == "puskesmas-sananwetan"
    assert table.route("odgj", None) == ("satpolpp",)
    assert table.route("odgj", "Atlantis") == ("satpolpp",)


def test_route_outside_goes_to_handoff(table: RoutingTable) -> None:
    assert table.route("kebakaran", "garum") == ("112-kab-blitar",)
    assert table.route("informasi", "Garum") == ()


def test_route_by_loose_category_and_unknown(table: RoutingTable) -> None:
    assert table.route("Pohon Tumbang", None) == table.route("pohon-tumbang", None)
    assert table.category(" KEBAKARAN ") is table.categories["kebakaran"]
    assert table.category("") is None
    with pytest.raises(RoutingError) as caught:
        table.route("gempa-bumi", None)
    assert caught.value.key == "categories.gempa-bumi"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("sentul", Location("Sentul", "Kepanjenkidul", False)),
        ("kepanjen kidul", Location("Kepanjenkidul", "Kepanjenkidul", False)),
        ("KEPANJEN KIDUL", Location("Kepanjenkidul", "Kepanjenkidul", False)),
        ("Kepanjenkidul", Location("Kepanjenkidul", "Kepanjenkidul", False)),
        ("  plosokerep ", Location("Plosokerep", "Sananwetan", False)),
        ("Kec. Sukorejo", Location(None, "Sukorejo", False)),
        ("kecamatan sananwetan", Location(None, "Sananwetan", False)),
        ("Garum", Location(None, "Garum", True)),
        ("SANAN KULON", Location(None, "Sanankulon", True)),
        ("Surabaya", None),
        ("", None),
    ],
)
def test_locate(table: RoutingTable, text: str, expected: Location | None) -> None:
    assert table.locate(text) == expected


def test_find_kecamatan(table: RoutingTable) -> None:
    assert table.find_kecamatan("KEPANJEN KIDUL") == "Kepanjenkidul"
    assert table.find_kecamatan("sukorejo") == "Sukorejo"
    assert table.find_kecamatan("Sentul") is None
    assert table.find_kecamatan("Garum") is None


def test_validate_agency_codes(table: RoutingTable) -> None:
    validate_agency_codes(table, ["damkar", "polsek-sukorejo"])
    with pytest.raises(RoutingError, match=r"^agencies\.damkr: kode instansi tidak dikenal$"):
        validate_agency_codes(table, ["damkar", "damkr"])
    with pytest.raises(RoutingError) as caught:
        validate_agency_codes(table, ["x"], key_prefix="mumble.users.budi")
    assert caught.value.key == "mumble.users.budi.x"


def test_extra_agencies_join_the_table(raw: dict[str, Any]) -> None:
    table = RoutingTable.from_mapping(raw, extra_agencies=["dinas-baru", "damkar"])
    assert table.agency_short("dinas-baru") == "dinas-baru"
    assert table.agency_short("damkar") == "Damkar"


def _fails(data: dict[str, Any], key: str, problem: str) -> None:
    with pytest.raises(RoutingError) as caught:
        RoutingTable.from_mapping(data)
    assert (caught.value.key, caught.value.problem) == (key, problem)
    assert str(caught.value) == f"{key}: {problem}"


def test_unknown_agency_in_category(raw: dict[str, Any]) -> None:
    raw["categories"]["pju"]["agencies"] = ["dishub", "x"]
    _fails(raw, "categories.pju.agencies", "kode instansi tidak dikenal: x")


def test_missing_pinned_category_and_agency(raw: dict[str, Any]) -> None:
    data = copy.deepcopy(raw)
    del data["categories"]["pohon-tumbang"]
    _fails(data, "categories.pohon-tumbang", "kategori wajib tidak ada")
    del raw["agencies"]["pln"]
    _fails(raw, "agencies.pln", "instansi wajib tidak ada")


def test_duplicate_kelurahan(raw: dict[str, Any]) -> None:
    raw["kecamatan"]["Sukorejo"].append("SENTUL")
    _fails(raw, "kecamatan.Sukorejo", "kelurahan ganda: SENTUL")


@pytest.mark.parametrize(
    ("mutate", "key"),
    [
        (lambda d: d["agencies"]["damkar"].update(name="  "), "agencies.damkar.name"),
        (lambda d: d["categories"]["pju"].update(priority=4), "categories.pju.priority"),
        (lambda d: d["categories"]["kebakaran"].update(agencies=["damkar"]), "categories.kebakaran.agencies"),
        (lambda d: d["categories"].update({"Bad Code": {"name": "x", "priority": 1}}), "categories.Bad Code"),
        (lambda d: d["local_groups"]["polsek"].pop("Sukorejo"), "local_groups.polsek"),
        (lambda d: d["local_groups"]["polsek"].update(Garum="polres"), "local_groups.polsek.Garum"),
        (lambda d: d["outside"].update(handoff="nope"), "outside.handoff"),
        (lambda d: d["outside"]["kecamatan"].append("Kauman"), "outside.kecamatan"),
        (lambda d: d["dispositions"].update(palsu=""), "dispositions.palsu"),
        (lambda d: d.pop("dispositions"), "dispositions"),
        (lambda d: d.update(extra={}), "extra"),
    ],
)
def test_invalid_tables_name_the_key(raw: dict[str, Any], mutate: Any, key: str) -> None:
    mutate(raw)
    with pytest.raises(RoutingError) as caught:
        RoutingTable.from_mapping(raw)
    assert caught.value.key == key


def test_load_routing_bad_files(tmp_path: Path) -> None:
    with pytest.raises(RoutingError) as caught:
        load_routing(tmp_path / "missing.toml")
    assert caught.value.key == "routing.path"
    broken = tmp_path / "broken.toml"
    broken.write_text("[agencies\n", encoding="utf-8")
    with pytest.raises(RoutingError) as caught:
        load_routing(broken)
    assert caught.value.key == "routing.path"
