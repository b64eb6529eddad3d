"""case.jsonld: CASE/UCO that case-utils' case_validate accepts, describing every file."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from cybercase.clock import format_utc
from cybercase.evidence import Case
from cybercase.request.lifecycle import derive
from tests.fixtures.report import PLATFORM_REFERENCE, RichIds


def case_validate() -> str:
    found = shutil.which("case_validate", path=str(Path(sys.executable).parent))
    if found is None:
        pytest.skip("case-utils is not installed (pip install -e '.[test]')")
    return found


def test_case_validate_accepts_the_graph(package: Path) -> None:
    run = subprocess.run(
        [case_validate(), str(package / "data/case.jsonld")], capture_output=True, text=True
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "Conforms: True" in run.stdout


def test_case_validate_rejects_a_broken_graph(package: Path, tmp_path: Path) -> None:
    """The validator is really checking: a wrong type on a hash value is refused."""
    document = json.loads((package / "data/case.jsonld").read_text())
    for node in document["@graph"]:
        if node["@type"] == "uco-observable:File":
            facet = node["uco-core:hasFacet"][0]
            facet["uco-observable:sizeInBytes"] = {"@type": "xsd:string", "@value": "big"}
            break
    broken = tmp_path / "broken.jsonld"
    broken.write_text(json.dumps(document))
    run = subprocess.run([case_validate(), str(broken)], capture_output=True, text=True)
    assert run.returncode == 1


def test_every_packaged_file_has_a_sha256_hash_facet(package: Path) -> None:
    document = json.loads((package / "data/case.jsonld").read_text())
    graph = document["@graph"]
    hashes = {
        facet["uco-observable:hash"][0]["uco-types:hashValue"]["@value"]
        for node in graph
        if node["@type"] == "uco-observable:File"
        for facet in node["uco-core:hasFacet"]
        if facet["@type"] == "uco-observable:ContentDataFacet"
        and facet["uco-observable:hash"][0]["uco-types:hashMethod"] == "SHA256"
    }
    with (package / "data/3-preservation/hashes.csv").open(newline="") as fh:
        listed = {row["sha256"] for row in csv.DictReader(fh)}
    assert listed and listed == hashes
    types = {node["@type"] for node in graph}
    assert {
        "case-investigation:Investigation",
        "case-investigation:InvestigativeAction",
        "case-investigation:ProvenanceRecord",
        "uco-observable:URL",
        "uco-identity:Person",
        "uco-tool:Tool",
    } <= types
    exhibits = {
        node["case-investigation:exhibitNumber"]
        for node in graph
        if node["@type"] == "case-investigation:ProvenanceRecord"
    }
    assert exhibits == {"E0001", "E0002", "E0003", "E0004", "E0005", "R0001", "R0002"}
    urls = {
        node["uco-core:hasFacet"][0]["uco-observable:fullValue"]
        for node in graph
        if node["@type"] == "uco-observable:URL"
    }
    assert "https://market.example/listing/77" in urls
    actions = [n for n in graph if n["@type"] == "case-investigation:InvestigativeAction"]
    assert all("uco-action:performer" in a and "uco-action:instrument" in a for a in actions)


def test_requests_are_actions_with_their_derived_state(
    package: Path, rich_case: Case, rich_ids: RichIds
) -> None:
    graph = json.loads((package / "data/case.jsonld").read_text())["@graph"]
    by_id = {node["@id"]: node for node in graph}
    exhibit = {
        node["@id"]: node["case-investigation:exhibitNumber"]
        for node in graph
        if node["@type"] == "case-investigation:ProvenanceRecord"
    }
    requests = {
        node["uco-core:name"]: node
        for node in graph
        if node.get("uco-core:name", "").endswith((rich_ids.preservation, rich_ids.disclosure))
    }
    preservation = requests[f"preservation request {rich_ids.preservation}"]
    status = derive(rich_ids.preservation, rich_case.entries())
    assert status is not None and status.expires_at is not None
    assert preservation["uco-action:actionStatus"] == "Ongoing"
    assert PLATFORM_REFERENCE in preservation["uco-core:description"]
    assert format_utc(status.expires_at) in preservation["uco-core:description"]
    [org] = [by_id[r["@id"]] for r in preservation["uco-action:participant"]]
    assert org["@type"] == "uco-identity:Organization"
    assert org["uco-core:name"] == "Example Marketplace Ltd"
    results = [exhibit[r["@id"]] for r in preservation["uco-action:result"]]
    assert results == list(rich_ids.returned)
    steps = [by_id[r["@id"]] for r in preservation["uco-action:subaction"]]
    assert [s["uco-core:name"] for s in steps] == [
        "request.created",
        "request.sent",
        "response.received",
        "request.extended",
    ]
    urls = {
        by_id[r["@id"]]["uco-core:hasFacet"][0]["uco-observable:fullValue"]
        for r in preservation["uco-action:object"]
        if by_id[r["@id"]]["@type"] == "uco-observable:URL"
    }
    assert "https://market.example/listing/991" in urls
    disclosure = requests[f"disclosure request {rich_ids.disclosure}"]
    assert disclosure["uco-action:actionStatus"] == "Pending"
    assert f"follows {rich_ids.preservation}" in disclosure["uco-core:description"]
