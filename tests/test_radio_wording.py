"""What the radio says and posts (pure)."""

from __future__ import annotations

import re

import pytest

from radio_bridge.wording import announcement, join_names, post_html, speakable, spoken_number


@pytest.mark.parametrize(
    ("n", "words"),
    [(0, "nol"), (7, "tujuh"), (11, "sebelas"), (17, "tujuh belas"), (42, "empat puluh dua"),
     (100, "seratus"), (2023, "dua ribu dua puluh tiga")],
)  # fmt: skip
def test_spoken_number(n: int, words: str) -> None:
    assert spoken_number(n) == words


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("Jl. Kenari 17", "Jalan Kenari tujuh belas"),
        ("Jln Merdeka", "Jalan Merdeka"),
        ("Jl Mawar", "Jalan Mawar"),
        ("Gg. Melati No. 5", "Gang Melati nomor lima"),
        ("RT 03/RW 05", "er te tiga er we lima"),
        ("RT/RW 03/05", "er te tiga er we lima"),
        ("RT.3 RW.12", "er te tiga er we dua belas"),
        ("PJU padam", "pe je u padam"),
        ("ODGJ mengamuk", "o de ge je mengamuk"),
        ("BPBD dan PLN", "be pe be de dan pe el en"),
        ("Damkar", "Damkar"),
        ("#42", "nomor empat puluh dua"),
        ("lihat #42.", "lihat nomor empat puluh dua."),
        ("No.12A", "nomor dua belas A"),
        ("telp 0812", "telp nol delapan satu dua"),
        ("12.500 liter", "dua belas ribu lima ratus liter"),
        ("2,5 meter", "dua koma lima meter"),
        ("Satpol PP", "Satpol pe pe"),
    ],
)
def test_speakable(text: str, said: str) -> None:
    assert speakable(text) == said


def test_speakable_leaves_no_digits_or_abbreviations() -> None:
    said = speakable("Jl. Kenari No. 17 RT 03/RW 05 Kel. Sentul #42")
    assert not re.search(r"\d|Jl\.|No\.|#", said)


def test_join_names() -> None:
    assert join_names([]) == ""
    assert join_names(["Damkar"]) == "Damkar"
    assert join_names(["Damkar", "Polres"]) == "Damkar dan Polres"
    assert join_names(["Damkar", "Polres", "PLN"]) == "Damkar, Polres dan PLN"


def test_announcement_example() -> None:
    said = announcement(42, "Kebakaran", "Sentul", "Kepanjenkidul", "Jl. Kenari 17", ["Damkar", "Polres"], 2)
    assert said == (
        "Perhatian. Kejadian nomor empat puluh dua. Kebakaran. "
        "Kelurahan Sentul, Kecamatan Kepanjenkidul. Jalan Kenari tujuh belas. Untuk Damkar dan Polres."
    )


def test_announcement_priority_one_and_missing_parts() -> None:
    said = announcement(7, "pohon-tumbang", None, None, "Jl. Merdeka", ["BPBD", "PLN", "Damkar"], 1)
    assert said.startswith("Perhatian, prioritas satu. Kejadian nomor tujuh. Pohon tumbang.")
    assert "Kelurahan" not in said and "Kecamatan" not in said
    assert said.endswith("Untuk be pe be de, pe el en dan Damkar.")


def test_post_html_starts_with_the_number_and_escapes_everything() -> None:
    text = post_html(
        42,
        "Kebakaran",
        "Sentul",
        "Kepanjenkidul",
        "Jl. Kenari 17 <b>",
        "api & <script>",
        ["Damkar", "Polres"],
        1,
    )
    assert text.startswith("#42")
    assert re.search(r"#(\d+)", text).group(1) == "42"  # type: ignore[union-attr]
    assert "<script>" not in text and "&lt;script&gt;" in text and "&amp;" in text
    assert "Jl. Kenari 17 &lt;b&gt;" in text
    assert "Sentul" in text and "Kepanjenkidul" in text and "Damkar dan Polres" in text
    assert "!terima 42" in text


def test_post_html_first_hash_is_the_incident_even_if_text_has_hashes() -> None:
    text = post_html(5, "pju", None, "Sukorejo", "Tiang #12", "lampu #3 mati", [], 3)
    assert re.search(r"#(\d+)", text).group(1) == "5"  # type: ignore[union-attr]
    assert "PJU" in text
