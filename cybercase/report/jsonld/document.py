"""``case.jsonld``: the case in CASE/UCO, the cyber-investigation exchange format.

The graph holds the investigation; one investigative action per custody entry that
acquired, imported or received something (performer, instrument, time, and the files
and URLs it produced), a provenance record per item (its exhibit number and files),
every packaged file with its size and SHA-256 hash facet, the investigators and the
tool. Each request to a platform is one more investigative action spanning its life
(its status derived from the log as ``cybercase request show`` derives it, the platform
as a participant organisation, the URLs it names, the items the platform returned as
results, and its custody entries as sub-actions). A web capture's action says what its
capture record says (:mod:`cybercase.report.jsonld.capture`): its real start and end,
the redirect chain's URLs, the tools and the collecting computer, the server addresses
and certificates; the photos it kept carry their EXIF, camera and position. Identifiers
are UUIDs derived from the case and the content, so exporting the same case twice gives
the same graph. The output validates with case-utils' ``case_validate`` (CASE 1.x).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from cybercase import __version__
from cybercase.clock import format_utc
from cybercase.evidence import CaseMeta, CustodyEntry
from cybercase.evidence.log.state import ITEM_ACQUIRED, KeyRecord
from cybercase.report.jsonld.nodes import Ids, integer, ref, sha256_hash, time_value
from cybercase.report.layout import Plan, PlannedFile, item_title
from cybercase.report.sections.generic import describe
from cybercase.request.lifecycle import RequestStatus, derive_all

CONTEXT = {
    "kb": "http://example.org/kb/",
    "case-investigation": "https://ontology.caseontology.org/case/investigation/",
    "uco-action": "https://ontology.unifiedcyberontology.org/uco/action/",
    "uco-core": "https://ontology.unifiedcyberontology.org/uco/core/",
    "uco-identity": "https://ontology.unifiedcyberontology.org/uco/identity/",
    "uco-location": "https://ontology.unifiedcyberontology.org/uco/location/",
    "uco-observable": "https://ontology.unifiedcyberontology.org/uco/observable/",
    "uco-tool": "https://ontology.unifiedcyberontology.org/uco/tool/",
    "uco-types": "https://ontology.unifiedcyberontology.org/uco/types/",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
}
URL_KEYS = ("requested_url", "final_url", "url")
"""Where a capture-like entry names the URLs it was about."""
ACTION_STATUS = {"draft": "Pending", "sent": "Ongoing", "closed": "Finalized"}
"""Request phases in UCO's ActionStatusTypeVocab."""


def _file_node(ids: Ids, planned: PlannedFile) -> dict[str, Any]:
    node_id = ids("File", planned.path)
    return {
        "@id": node_id,
        "@type": "uco-observable:File",
        "uco-core:name": planned.path.rsplit("/", 1)[-1],
        "uco-core:hasFacet": [
            {
                "@id": ids("FileFacet", planned.path),
                "@type": "uco-observable:FileFacet",
                "uco-observable:fileName": planned.path.rsplit("/", 1)[-1],
                "uco-observable:filePath": f"data/{planned.path}",
                "uco-observable:sizeInBytes": integer(planned.size),
            },
            {
                "@id": ids("ContentDataFacet", planned.path),
                "@type": "uco-observable:ContentDataFacet",
                "uco-observable:mimeType": planned.media_type,
                "uco-observable:sizeInBytes": integer(planned.size),
                "uco-observable:hash": [sha256_hash(ids("Hash", planned.path), planned.digest)],
            },
        ],
    }


def _is_web_url(value: str) -> bool:
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.netloc)


def _request_action(
    ids: Ids,
    status: RequestStatus,
    plan: Plan,
    actions: dict[int, str],
    people: dict[str, str],
    tool_id: str,
    url_node: Callable[[str], str],
    graph: list[dict[str, Any]],
) -> str:
    """The request as one action over its life; returns its node id."""
    view = plan.items[status.id].view
    addressee = view.detail.get("addressee")
    organisation = addressee if isinstance(addressee, str) and addressee else status.platform
    org_id = ids("Organization", organisation)
    if not any(node["@id"] == org_id for node in graph):
        graph.append(
            {
                "@id": org_id,
                "@type": "uco-identity:Organization",
                "uco-core:name": organisation,
                "uco-core:description": f"platform {status.platform}: holder of the data",
            }
        )
    facts = [f"{status.type} request {status.id} to {organisation}", f"status {status.phase}"]
    if status.follows:
        facts.append(f"follows {status.follows}")
    if status.reference:
        facts.append(f"platform reference {status.reference}")
    if status.expires_at is not None:
        facts.append(f"data preserved until {format_utc(status.expires_at)}")
    if status.outcome:
        facts.append(f"outcome {status.outcome}")
    returned = [i for r in status.responses for i in r.items if i in plan.items]
    node: dict[str, Any] = {
        "@id": ids("RequestAction", status.id),
        "@type": "case-investigation:InvestigativeAction",
        "uco-core:name": f"{status.type} request {status.id}",
        "uco-core:description": "; ".join(facts),
        "uco-action:actionStatus": ACTION_STATUS.get(status.phase, "Unknown"),
        "uco-action:startTime": time_value(format_utc(status.created_at)),
        "uco-action:instrument": ref(tool_id),
        "uco-action:participant": [ref(org_id)],
        "uco-action:object": [ref(ids("ProvenanceRecord", status.id))]
        + [ref(url_node(t)) for t in status.targets if _is_web_url(t)],
    }
    if status.closed_at is not None:
        node["uco-action:endTime"] = time_value(format_utc(status.closed_at))
    if view.actor_key in people:
        node["uco-action:performer"] = ref(people[view.actor_key])
    if returned:
        node["uco-action:result"] = [ref(ids("ProvenanceRecord", i)) for i in returned]
    steps = [actions[seq] for seq in status.entry_seqs if seq in actions]
    if steps:
        node["uco-action:subaction"] = [ref(step) for step in steps]
    graph.append(node)
    return str(node["@id"])


def build_graph(
    meta: CaseMeta,
    plan: Plan,
    entries: list[CustodyEntry],
    keys: list[KeyRecord],
    read_file: Callable[[PlannedFile], bytes] | None = None,
) -> dict[str, Any]:
    """The JSON-LD document (a dict ready for ``json.dumps``).

    ``read_file`` gives a packaged file's bytes; with it, captures are described from
    their records (without it, only from the custody log).
    """
    ids = Ids(meta.id)
    graph: list[dict[str, Any]] = []
    known: set[str] = set()

    def add(node: dict[str, Any]) -> str:
        node_id = str(node["@id"])
        if node_id not in known:
            known.add(node_id)
            graph.append(node)
        return node_id

    tool_id = add(
        {
            "@id": ids("Tool", "cybercase", __version__),
            "@type": "uco-tool:Tool",
            "uco-core:name": "cybercase",
            "uco-tool:version": __version__,
            "uco-tool:toolType": "evidence capture and preservation",
        }
    )
    people: dict[str, str] = {}
    for key in keys:
        people[key.fingerprint] = ids("Person", key.fingerprint)
        graph.append(
            {
                "@id": people[key.fingerprint],
                "@type": "uco-identity:Person",
                "uco-core:name": key.name,
                "uco-core:description": f"investigator key sha256:{key.fingerprint}",
            }
        )
    files: dict[str, str] = {}
    file_nodes: dict[str, dict[str, Any]] = {}
    for planned in plan.files:
        node = _file_node(ids, planned)
        files[planned.path] = add(node)
        file_nodes[planned.path] = node

    def url_node(value: str) -> str:
        return add(
            {
                "@id": ids("URL", value),
                "@type": "uco-observable:URL",
                "uco-core:hasFacet": [
                    {
                        "@id": ids("URLFacet", value),
                        "@type": "uco-observable:URLFacet",
                        "uco-observable:fullValue": value,
                    }
                ],
            }
        )

    captures: dict[str, Any] = {}
    if read_file is not None:
        # Imported here: reading capture records pulls in the collect layer.
        from cybercase.report.jsonld.capture import (
            add_photo_facts,
            capture_views,
            enrich_capture_action,
        )

        by_item: dict[str, list[CustodyEntry]] = {}
        for entry in entries:
            for item_id in entry.items:
                by_item.setdefault(item_id, []).append(entry)
        captures = capture_views(plan.items, read_file, by_item)
        add_photo_facts(ids, captures, file_nodes, graph)

    investigation_objects: list[dict[str, str]] = []
    for item_id, item in plan.items.items():
        record_id = ids("ProvenanceRecord", item_id)
        graph.append(
            {
                "@id": record_id,
                "@type": "case-investigation:ProvenanceRecord",
                "case-investigation:exhibitNumber": item_id,
                "uco-core:description": item_title(item.view),
                "uco-core:object": [ref(files[f.path]) for f in item.files],
            }
        )
        investigation_objects.append(ref(record_id))
    actions: dict[int, str] = {}
    by_seq: dict[int, list[PlannedFile]] = {}
    for planned in plan.files:
        by_seq.setdefault(planned.seq, []).append(planned)
    for entry in entries:
        produced = by_seq.get(entry.seq, [])
        touched = [i for i in entry.items if i in plan.items]
        if not produced and not touched:
            continue
        action_id = ids("InvestigativeAction", entry.seq)
        objects = [
            ref(url_node(value))
            for key in URL_KEYS
            if isinstance(value := entry.detail.get(key), str) and value
        ]
        results = [ref(files[f.path]) for f in produced]
        results += [ref(ids("ProvenanceRecord", i)) for i in touched]
        action: dict[str, Any] = {
            "@id": action_id,
            "@type": "case-investigation:InvestigativeAction",
            "uco-core:name": entry.action,
            "uco-core:description": f"custody log entry {entry.seq} ({entry.hash}): "
            + describe(entry),
            "uco-action:startTime": time_value(entry.at),
            "uco-action:instrument": ref(tool_id),
            "uco-action:result": results,
        }
        if entry.actor_key in people:
            action["uco-action:performer"] = ref(people[entry.actor_key])
        if objects:
            action["uco-action:object"] = objects
        if entry.action == ITEM_ACQUIRED and len(entry.items) == 1 and entry.items[0] in captures:
            enrich_capture_action(ids, action, captures[entry.items[0]], url_node, add)
        graph.append(action)
        investigation_objects.append(ref(action_id))
        actions[entry.seq] = action_id
    for request_id, status in derive_all(entries).items():
        if request_id not in plan.items:
            continue
        request_node = _request_action(ids, status, plan, actions, people, tool_id, url_node, graph)
        investigation_objects.append(ref(request_node))
    description = meta.title + (f" — {meta.offence}" if meta.offence else "")
    investigation: dict[str, Any] = {
        "@id": ids("Investigation", meta.id),
        "@type": "case-investigation:Investigation",
        "uco-core:name": meta.id,
        "uco-core:description": description,
        "case-investigation:focus": ", ".join(meta.species) or meta.title,
        "uco-core:object": investigation_objects,
    }
    graph.insert(0, investigation)
    return {"@context": CONTEXT, "@graph": graph}


def render_jsonld(
    meta: CaseMeta,
    plan: Plan,
    entries: list[CustodyEntry],
    keys: list[KeyRecord],
    read_file: Callable[[PlannedFile], bytes] | None = None,
) -> bytes:
    """``case.jsonld``'s bytes."""
    document = build_graph(meta, plan, entries, keys, read_file)
    return (json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
