"""The index across cases: search, rebuild from nothing or from a damaged file, skipped cases."""

from __future__ import annotations

import hashlib
import shutil
import sqlite3
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cybercase.errors import InvalidInputError
from cybercase.evidence import Signer
from cybercase.investigate.analysis import analyze_case
from cybercase.investigate.index import ZWSP, build_index, index_body, index_path
from cybercase.investigate.index_rows import iter_case_rows
from cybercase.investigate.leads import leads_across
from cybercase.investigate.registry import register_folders
from cybercase.investigate.search import fts_query, search
from tests.investigate.helpers import new_case, seller_files, settings


@pytest.fixture
def two_cases(tmp_path: Path, isolated_home: Path, signer: Signer) -> tuple[Path, Path]:
    first = new_case(tmp_path / "cases" / "one", signer, "WL-A", seller_files())
    analyze_case(first, signer, settings())
    other = Signer.ephemeral("Other Officer")
    second = new_case(
        tmp_path / "cases" / "two",
        other,
        "WL-B",
        {
            "notes.txt": b"Seller on WhatsApp +1 202 555 0147 offers pangolin scales, "
            b"white plastic bangles.\n",
            "poem.txt": b"nothing to see here\n",
        },
    )
    register_folders(isolated_home, [first.root, tmp_path / "cases"])
    return first.root, second.root


def _results(home: Path, *queries: tuple[str | None, str | None, str | None]) -> list[object]:
    found = []
    for words, entity, species in queries:
        result = search(home, settings(), words, entity=entity, species=species)
        found.append(
            [(h.case_id, h.item_id, h.snippet, h.entities, h.species) for h in result.hits]
        )
    return found


QUERIES = (
    ("ivoire", None, None),
    ("象牙", None, None),
    ('"white plastic"', None, None),
    ("pango*", None, None),
    (None, "phone:+1 (202) 555-0147", None),
    (None, None, "Loxodonta africana"),
    ("bangles", None, "pangolin"),
)


def _tree_digest(folder: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            digest.update(str(path.relative_to(folder)).encode() + path.read_bytes())
    return digest.hexdigest()


def test_search_across_cases(two_cases: tuple[Path, Path], isolated_home: Path) -> None:
    first, second = two_cases
    before = (_tree_digest(first), _tree_digest(second))
    (ivoire, chinese, phrase, prefix, phone, species, both) = _results(isolated_home, *QUERIES)
    assert ivoire == [
        (
            "WL-A",
            "E0001",
            "Vends «ivoire» ancien, 450 € ou USD 500. Appelez +1 202-555-0147 ou @bonecraft_deals.",
            [],
            [],
        )
    ]
    assert [(c, i) for c, i, *_ in chinese] == [("WL-A", "E0002")]
    assert "«象牙»" in chinese[0][2]
    assert [(c, i) for c, i, *_ in phrase] == [("WL-B", "E0001")]
    assert [(c, i) for c, i, *_ in prefix] == [("WL-B", "E0001")]
    assert sorted((c, i) for c, i, *_ in phone) == [
        ("WL-A", "E0001"),
        ("WL-A", "E0002"),
        ("WL-B", "E0001"),
    ]
    assert all(e == ["phone:+12025550147"] for *_, e, _ in phone)
    assert sorted((c, i) for c, i, *_ in species) == [
        ("WL-A", "E0001"),
        ("WL-A", "E0002"),
        ("WL-B", "E0001"),
    ]
    assert [(c, i) for c, i, *_ in both] == [("WL-B", "E0001")]
    assert (_tree_digest(first), _tree_digest(second)) == before


def test_rebuild_from_deleted_or_corrupt_index_gives_the_same_results(
    two_cases: tuple[Path, Path], isolated_home: Path
) -> None:
    baseline = _results(isolated_home, *QUERIES)
    target = index_path(isolated_home)
    target.unlink()
    build_index(isolated_home, settings())
    assert _results(isolated_home, *QUERIES) == baseline
    target.write_bytes(b"SQLite format 3\x00" + b"\xff" * 4000)
    build_index(isolated_home, settings())
    assert _results(isolated_home, *QUERIES) == baseline
    with target.open("r+b") as fh:
        fh.seek(4096)
        fh.write(b"\x00" * 4096)
    assert _results(isolated_home, *QUERIES) == baseline


def test_a_case_that_fails_to_open_is_named_and_skipped(
    two_cases: tuple[Path, Path], isolated_home: Path
) -> None:
    _, second = two_cases
    (second / "case.json").write_text("{ not json", encoding="utf-8")
    result = search(isolated_home, settings(), "ivoire")
    assert [(h.case_id, h.item_id) for h in result.hits] == [("WL-A", "E0001")]
    assert [folder for folder, _ in result.skipped] == [str(second)]
    assert "damaged" in result.skipped[0][1]


def test_the_index_follows_a_new_analysis_and_a_new_case(
    two_cases: tuple[Path, Path], isolated_home: Path, tmp_path: Path, signer: Signer
) -> None:
    assert search(isolated_home, settings(), "tembo").hits == []
    new_case(tmp_path / "cases" / "three", signer, "WL-C", {"t.txt": b"tembo wa zamani\n"})
    hits = search(isolated_home, settings(), "tembo").hits
    assert [(h.case_id, h.item_id) for h in hits] == [("WL-C", "E0001")]
    shutil.rmtree(tmp_path / "cases" / "three")
    assert search(isolated_home, settings(), "tembo").hits == []


def test_rows_per_case_for_publishers(two_cases: tuple[Path, Path], isolated_home: Path) -> None:
    build_index(isolated_home, settings())
    rows = {
        case.case_id: [
            (i.item_id, len(i.entities), [h.term for h in i.hits], i.text) for i in items
        ]
        for case, items in iter_case_rows(isolated_home)
    }
    assert set(rows) == {"WL-A", "WL-B"}
    assert rows["WL-A"][1][2] == ["象牙"]
    assert rows["WL-A"][1][3].startswith("手镯") or "象牙" in rows["WL-A"][1][3]
    (only,) = [list(items) for case, items in iter_case_rows(isolated_home, ["WL-B"])]
    hit = next(h for i in only for h in i.hits if h.term == "white plastic")
    assert hit.species == ["Loxodonta africana", "Elephas maximus"] and hit.cites == ["I", "II"]


def test_leads_across_cases(two_cases: tuple[Path, Path], isolated_home: Path) -> None:
    first, _ = two_cases
    report = leads_across(isolated_home, settings(), first)
    phone = next(lead for lead in report.leads if lead.kind == "phone")
    assert phone.value == "+12025550147"
    assert sorted((i.case_id, i.item_id) for i in phone.items) == [
        ("WL-A", "E0001"),
        ("WL-A", "E0002"),
        ("WL-B", "E0001"),
    ]
    assert report.focus == "WL-A"


@pytest.mark.parametrize(
    ("words", "query"),
    [
        ("white gold", '"white" AND "gold"'),
        ('"white gold"', '"white gold"'),
        ("ivor*", '"ivor"*'),
        ('x" OR 1', '"x" AND "OR" AND "1"'),
        ("象牙", '"象\u200b牙"'),
    ],
)
def test_fts_query_is_always_quoted(words: str, query: str) -> None:
    assert fts_query(words) == query


def test_nothing_to_search_for_is_a_usage_error(isolated_home: Path) -> None:
    with pytest.raises(InvalidInputError):
        search(isolated_home, settings(), "  ")


@given(st.text(max_size=40))
def test_any_words_make_a_valid_fts_query(words: str) -> None:
    query = fts_query(words)
    connection = sqlite3.connect(":memory:")
    connection.execute("CREATE VIRTUAL TABLE t USING fts5(body, tokenize='unicode61')")
    connection.execute("INSERT INTO t VALUES (?)", (index_body("white plastic 象牙 " + words),))
    if query:
        rows = connection.execute("SELECT count(*) FROM t WHERE t MATCH ?", (query,)).fetchone()
        assert rows[0] in (0, 1)


@given(st.text(max_size=80))
def test_index_body_only_adds_separators(text: str) -> None:
    assert index_body(text).replace(ZWSP, "") == text.replace(ZWSP, "")
