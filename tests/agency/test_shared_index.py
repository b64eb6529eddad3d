"""The shared index on a real PostgreSQL 15 returns the same items as the local index."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from cybercase.agency.shared_index import fold, publish_index, tsquery_for
from cybercase.agency.shared_search import search_shared
from cybercase.evidence import Signer
from cybercase.investigate.registry import register_folders
from cybercase.investigate.search import search
from cybercase.request import RequestConfig
from tests.conftest import Cli
from tests.fixtures.agency import PgServer
from tests.investigate.helpers import THREE_WAYS, new_case, seller_files, settings

QUERIES: list[dict[str, Any]] = [
    {"query": "ivoire"},
    {"query": "IVOIRE ancien"},
    {"query": '"ivoire ancien"'},
    {"query": "ivoi*"},
    {"query": "象牙"},
    {"query": "bangle"},
    {"query": "carved bangle"},
    {"query": "nothing-like-this"},
    {"query": "deals"},
    {"entity": f"phone:{THREE_WAYS[0]}"},
    {"entity": "handle:@bonecraft_deals"},
    {"species": "Loxodonta africana"},
    {"query": "ivory", "species": "Loxodonta africana"},
]


def build_cases(tmp_path: Path, signer: Signer, home: Path) -> None:
    new_case(tmp_path / "cases" / "a", signer, "WL-A", seller_files())
    new_case(
        tmp_path / "cases" / "b",
        signer,
        "WL-B",
        {
            "post.txt": b"Carved ivory bangle, pangolin scales 3kg, WhatsApp +1 202-555-0147\n",
            "other.txt": "Café crème, nothing to see; élan vital.\n".encode(),
            "deals.txt": b"bonecraft deals and ivoire\n",
        },
    )
    register_folders(home, [tmp_path / "cases"])


def keys(hits: Any) -> list[tuple[str, str]]:
    return sorted((h.case_id, h.item_id) for h in hits)


def test_search_through_postgresql_returns_the_local_index_items(
    pg_server: PgServer, signer: Signer, isolated_home: Path, tmp_path: Path
) -> None:
    build_cases(tmp_path, signer, isolated_home)
    db = pg_server.new_database()
    report = publish_index(isolated_home, settings(), db)
    assert sorted(report.cases) == [("WL-A", 2), ("WL-B", 3)]
    found_any = 0
    for spec in QUERIES:
        query = spec.get("query")
        entity, species = spec.get("entity"), spec.get("species")
        local = search(isolated_home, settings(), query, entity=entity, species=species)
        shared = search_shared(db, settings(), query, entity=entity, species=species)
        assert keys(shared.hits) == keys(local.hits), spec
        found_any += bool(local.hits)
    assert found_any >= len(QUERIES) - 2, "the queries must find something to compare"


def test_publishing_again_replaces_a_case_rows(
    pg_server: PgServer, signer: Signer, isolated_home: Path, tmp_path: Path
) -> None:
    build_cases(tmp_path, signer, isolated_home)
    db = pg_server.new_database()
    publish_index(isolated_home, settings(), db)
    extra = tmp_path / "late.txt"
    extra.write_bytes(b"rhino horn powder\n")
    from cybercase.evidence import Case

    Case.open(tmp_path / "cases" / "b").add_files(signer, [extra])
    again = publish_index(isolated_home, settings(), db, ["WL-B"])
    assert again.cases == [("WL-B", 4)]
    hits = search_shared(db, settings(), "rhino").hits
    assert keys(hits) == [("WL-B", "E0004")]
    assert keys(search_shared(db, settings(), "ivoire").hits) == keys(
        search(isolated_home, settings(), "ivoire").hits
    )


def test_cli_index_to_and_search_db(
    cli: Cli, pg_server: PgServer, signer: Signer, isolated_home: Path, tmp_path: Path
) -> None:
    build_cases(tmp_path, signer, isolated_home)
    db = pg_server.new_database()
    published = cli("index", "--to", db, "--json")
    assert published.code == 0, published.stderr
    found = cli("search", "pangolin", "--db", db, "--json")
    assert found.code == 0, found.stderr
    data: Any = found.json()
    assert [(h["case"], h["item"]) for h in data["hits"]] == [("WL-B", "E0001")]
    empty = pg_server.new_database()
    unpublished = cli("search", "pangolin", "--db", empty)
    assert unpublished.code == 2
    assert "published" in unpublished.stderr


@pytest.mark.parametrize(
    ("text", "expected"),
    [("Éléphant IVOIRE", "elephant ivoire"), ("a-b.c", "a b c"), ("象牙", "象 牙")],
)
def test_fold(text: str, expected: str) -> None:
    assert fold(text).split() == expected.split()


def test_tsquery_quotes_everything() -> None:
    assert tsquery_for("it's & | ! (x)") == "('it' <-> 's') & 'x'"
    assert tsquery_for("ivor*") == "'ivor':*"
    assert tsquery_for('"white gold"') == "('white' <-> 'gold')"


def test_requests_and_deadlines_are_published_and_listed_across_cases(
    pg_server: PgServer,
    signer: Signer,
    isolated_home: Path,
    tmp_path: Path,
    request_config: RequestConfig,
    cli: Cli,
) -> None:
    """`request list --db --due` gives what `request list --due` gives in each case."""
    from datetime import UTC, datetime, timedelta

    from cybercase.clock import SteppingClock
    from cybercase.evidence import Case
    from cybercase.request import create_request, mark_sent
    from tests.fixtures.requests import preservation_spec

    start = datetime.now(UTC) - timedelta(days=80)
    case = Case.create(
        tmp_path / "cases" / "old", case_id="WL-OLD", title="t", agency="NWCU", signer=signer,
        offence="x",
        clock=SteppingClock(start),
    )  # fmt: skip
    for days in (None, 200):
        create_request(case, signer, preservation_spec(days=days), config=request_config, pdf=None)
    for rid in ("R0001", "R0002"):
        mark_sent(case, signer, rid, via="email")
    new_case(tmp_path / "cases" / "quiet", signer, "WL-QUIET", {"a.txt": b"nothing due\n"})
    register_folders(isolated_home, [tmp_path / "cases"])
    db = pg_server.new_database()
    report = publish_index(isolated_home, settings(), db)
    assert report.requests == 2
    local = cli("request", "list", "--due", "14", "--json", "--case", case.root)
    shared = cli("request", "list", "--due", "14", "--json", "--db", db)
    assert shared.code == 0, shared.stderr
    local_rows: Any = local.json()
    shared_rows: Any = shared.json()
    assert [(r["id"], r["deadline"]) for r in local_rows] == [
        (r["id"], r["deadline"]) for r in shared_rows
    ]
    assert [r["case"] for r in shared_rows] == ["WL-OLD"]
    assert shared_rows[0]["deadline"]["kind"] == "extension"
    assert 2 < shared_rows[0]["days_left"] < 4
    everything: Any = cli("request", "list", "--json", "--db", db).json()
    assert sorted(r["id"] for r in everything) == ["R0001", "R0002"]
