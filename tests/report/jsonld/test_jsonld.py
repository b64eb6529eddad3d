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
from cybercase.collect.record import CaptureRecord
from cybercase.evidence import Case
from cybercase.request.lifecycle import derive
from tests.fixtures.report import LEAD_SERIAL, NO_FIX_SERIAL, PLATFORM_REFERENCE, RichIds, RichUrls


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


def test_every_packaged_file_has_a_sha256_hash_facet(package: Path, rich_urls: RichUrls) -> None:
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
    assert exhibits == {f"E000{n}" for n in range(1, 8)} | {"R0001", "R0002"}
    urls = {
        node["uco-core:hasFacet"][0]["uco-observable:fullValue"]
        for node in graph
        if node["@type"] == "uco-observable:URL"
    }
    assert {rich_urls.listing_a, rich_urls.listing_a_final, rich_urls.listing_b} <= urls
    actions = [n for n in graph if n["@type"] == "case-investigation:InvestigativeAction"]
    assert all("uco-action:performer" in a and "uco-action:instrument" in a for a in actions)


def test_captures_say_what_their_records_say(
    package: Path, rich_ids: RichIds, rich_urls: RichUrls
) -> None:
    graph = json.loads((package / "data/case.jsonld").read_text())["@graph"]
    nodes = {n["@id"]: n for n in graph}
    [record_path] = package.glob(f"data/1-collection/{rich_ids.capture}_*/record.json")
    record = CaptureRecord.model_validate_json(record_path.read_bytes())
    [action] = [
        n
        for n in graph
        if n["@type"] == "case-investigation:InvestigativeAction"
        and n["uco-core:name"] == "item.acquired"
        and rich_urls.listing_a in n["uco-core:description"]
    ]
    assert action["uco-action:startTime"]["@value"] == record.started
    assert action["uco-action:endTime"]["@value"] == record.ended
    objects = [
        nodes[o["@id"]]["uco-core:hasFacet"][0]["uco-observable:fullValue"]
        for o in action["uco-action:object"]
    ]
    assert objects == [rich_urls.listing_a, rich_urls.listing_a_final]
    tools = {nodes[i["@id"]]["uco-core:name"] for i in action["uco-action:instrument"]}
    assert tools == {"cybercase", "Chromium"}
    assert "uco-action:performer" in action
    assert nodes[action["uco-action:environment"]["@id"]]["@type"] == "uco-observable:Computer"
    results = [nodes[r["@id"]] for r in action["uco-action:result"]]
    addresses = [
        r["uco-core:hasFacet"][0]["uco-observable:addressValue"]
        for r in results
        if r["@type"] == "uco-observable:IPv4Address"
    ]
    assert addresses == ["127.0.0.1"]
    redirects = [n for n in graph if n.get("uco-core:kindOfRelationship") == "Redirects_To"]
    assert len(redirects) == 1
    # The HTTPS capture names the certificate the server presented.
    certificates = [n for n in graph if n["@type"] == "uco-observable:X509Certificate"]
    assert len(certificates) == 1
    assert certificates[0]["uco-core:name"].startswith("OU=Testing cert")
    # One camera node per serial: both listings' photos point at it.
    cameras = {
        n["uco-core:hasFacet"][0]["uco-observable:serialNumber"]: n
        for n in graph
        if n["@type"] == "uco-observable:DigitalCamera"
    }
    assert set(cameras) == {LEAD_SERIAL, NO_FIX_SERIAL}
    lead = cameras[LEAD_SERIAL]["@id"]
    pictured = [
        n
        for n in graph
        if n["@type"] == "uco-observable:File"
        and any(f.get("uco-observable:camera") == {"@id": lead} for f in n["uco-core:hasFacet"])
    ]
    assert {n["uco-core:hasFacet"][0]["uco-observable:fileName"] for n in pictured} == {
        "001-tusk-a.jpg",
        "001-bangle-b.jpg",
    }
    # The position is a Location in decimal degrees; 0, 0 (no fix) is none.
    [location] = [n for n in graph if n["@type"] == "uco-location:Location"]
    facet = location["uco-core:hasFacet"][0]
    assert facet["uco-location:latitude"]["@value"] == "-1.2925"
    assert facet["uco-location:longitude"]["@value"] == "36.8219"


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
