"""The lexicon: cited terms, folded word-bounded matching in every script, errors that name the line."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cybercase.errors import InvalidInputError
from cybercase.investigate.lexicon import fold, load_lexicon

AGENCY = """\
[lexicon]
name = "agency-test"
version = "1"

[[term]]
text = "or blanc"
lang = "fr"
kind = "code"
species = ["loxodonta-africana"]
source = "test fixture: an agency's own list"

[[term]]
text = "白色塑料"
lang = "zh"
kind = "code"
species = ["loxodonta-africana", "elephas-maximus"]
source = "test fixture: an agency's own list"
"""


def test_every_shipped_term_has_a_source_and_known_species() -> None:
    lexicon = load_lexicon()
    assert len(lexicon.terms) >= 50
    for term in lexicon.terms:
        assert term.source.strip()
        assert all(key in lexicon.species for key in term.species)
    for species in lexicon.species.values():
        assert species.cites and species.source
    langs = {term.lang for term in lexicon.terms}
    assert {"en", "fr", "es", "pt", "zh", "vi", "th", "sw"} <= langs


def test_case_and_accent_insensitive() -> None:
    hits = load_lexicon().find("VENDS IVOIRE et une tortue rayonnee")
    assert [(h.matched, h.species) for h in hits] == [
        ("IVOIRE", ("Loxodonta africana", "Elephas maximus")),
        ("tortue rayonnee", ("Astrochelys radiata",)),
    ]
    assert hits[0].cites == ("I", "II")


def test_word_bounded_in_spaced_scripts() -> None:
    lexicon = load_lexicon()
    assert lexicon.find("the ivorybill and ivorycoast") == []
    assert [h.offset for h in lexicon.find("ivorybill, ivory.")] == [11]


@pytest.mark.parametrize(
    ("text", "term", "species"),
    [
        ("出售象牙手镯包邮", "象牙", "Loxodonta africana"),
        ("ขายงาช้างแท้ราคาถูก", "งาช้าง", "Elephas maximus"),
        ("bán sừng tê giác", "sừng tê giác", "Rhinocerotidae"),
        ("nina kakakuona", "kakakuona", "Manidae"),
    ],
)
def test_unspaced_and_other_scripts(text: str, term: str, species: str) -> None:
    hits = load_lexicon().find(text)
    assert any(h.term == term and species in h.species for h in hits), hits
    hit = next(h for h in hits if h.term == term)
    assert text[hit.offset : hit.offset + len(hit.matched)] == hit.matched


def test_french_and_chinese_code_words_tagged_with_their_species(tmp_path: Path) -> None:
    agency = tmp_path / "agency.toml"
    agency.write_text(AGENCY, encoding="utf-8")
    lexicon = load_lexicon([agency])
    french = lexicon.find("Bracelet en OR BLANC véritable, pièce ancienne")
    chinese = lexicon.find("老货白色塑料手镯，非洲料")
    assert [(h.matched, h.kind, h.lang, h.species) for h in french] == [
        ("OR BLANC", "code", "fr", ("Loxodonta africana",))
    ]
    assert [(h.matched, h.kind, h.lang, h.lexicon) for h in chinese] == [
        ("白色塑料", "code", "zh", "agency-test")
    ]
    assert chinese[0].species == ("Loxodonta africana", "Elephas maximus")
    assert lexicon.digest != load_lexicon().digest


def test_shipped_code_words_are_tagged() -> None:
    hits = load_lexicon().find("Bangles in white plastic, also Yellow Materials")
    assert {h.term for h in hits} == {"white plastic", "yellow materials"}
    assert all(h.kind == "code" and "Loxodonta africana" in h.species for h in hits)


def test_resolve_species_by_any_name() -> None:
    lexicon = load_lexicon()
    assert lexicon.resolve_species("loxodonta AFRICANA") == ["Loxodonta africana"]
    assert lexicon.resolve_species("穿山甲") == ["Manidae"]
    assert lexicon.resolve_species("no such animal") == []


def _error(tmp_path: Path, body: str) -> str:
    path = tmp_path / "bad.toml"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(InvalidInputError) as info:
        load_lexicon([path])
    message = info.value.one_line()
    assert "\n" not in message
    assert str(path) in message
    return message


def test_invalid_toml_names_the_line(tmp_path: Path) -> None:
    body = AGENCY.replace('lang = "zh"', 'lang = zh"')
    line = body.splitlines().index('lang = zh"') + 1
    assert f"line {line}" in _error(tmp_path, body)


def test_missing_field_names_the_table_line(tmp_path: Path) -> None:
    lines = AGENCY.splitlines()
    index = len(lines) - 1 - lines[::-1].index('source = "test fixture: an agency\'s own list"')
    body = "\n".join(lines[:index] + lines[index + 1 :]) + "\n"
    second_term = [i for i, line in enumerate(body.splitlines()) if line == "[[term]]"][1] + 1
    message = _error(tmp_path, body)
    assert f"line {second_term}" in message and "term.1.source" in message


def test_bad_value_names_its_line(tmp_path: Path) -> None:
    body = AGENCY.replace('kind = "code"\nspecies = ["loxodonta-africana"]', 'kind = "slang"\nspecies = ["loxodonta-africana"]')
    line = body.splitlines().index('kind = "slang"') + 1
    assert f"line {line}:" in _error(tmp_path, body)


def test_unknown_species_names_its_line(tmp_path: Path) -> None:
    body = AGENCY.replace('species = ["loxodonta-africana"]', 'species = ["loxodonta-afircana"]')
    line = body.splitlines().index('species = ["loxodonta-afircana"]') + 1
    message = _error(tmp_path, body)
    assert f"line {line}:" in message and "loxodonta-afircana" in message


@given(st.text(max_size=60))
def test_hits_point_at_what_they_matched(prefix: str) -> None:
    text = prefix + " ivoire 象牙 Pangolin "
    for hit in load_lexicon().find(text):
        assert text[hit.offset : hit.offset + len(hit.matched)] == hit.matched
        assert fold(hit.matched).split() == fold(hit.term).split() or fold(hit.matched) == fold(
            hit.term
        )
