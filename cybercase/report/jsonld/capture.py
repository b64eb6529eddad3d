"""The captures in ``case.jsonld``: what each capture action did, and the photos' EXIF.

A capture's investigative action takes its times from the capture record (when the
capture started and ended, not when the log entry was written), its objects are the URLs
of the redirect chain (linked ``Redirects_To``), its instruments the cybercase version
that captured and the browser that rendered, its environment the collecting computer,
and its results, besides the files, the server addresses connected to and the TLS
certificates presented. A photo's EXIF goes where UCO has a place for it: an
``EXIFFacet`` on the image file, the camera as a ``DigitalCamera`` with its serial
number (one node per serial, so two items photographed with the same camera point to the
same node), and the position as a ``Location`` of a "photograph taken" action, which
says it is only what the EXIF claims. A 0, 0 position (no fix) is not made a location.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from cybercase.evidence import CustodyEntry
from cybercase.report.jsonld.nodes import Ids, decimal_value, ref, sha256_hash, time_value
from cybercase.report.layout import ItemPlan, PlannedFile
from cybercase.report.sections.capture_model import CaptureView, ImageView, is_capture
from cybercase.report.sections.capture_view import capture_view

Node = dict[str, Any]


def _exif_entries(image: ImageView) -> list[tuple[str, str]]:
    exif = image.exif
    if exif is None:
        return []
    entries: dict[str, str] = dict(exif.tags)
    if image.gps is not None:
        entries["GPSLatitude (decimal degrees, north positive)"] = str(image.gps.latitude)
        entries["GPSLongitude (decimal degrees, east positive)"] = str(image.gps.longitude)
    return sorted((k, v) for k, v in entries.items() if k and v)


def _camera(ids: Ids, image: ImageView, graph: list[Node], seen: set[str]) -> str | None:
    """The camera node of a photo with a serial number (created once per serial)."""
    exif = image.exif
    if exif is None or image.serial is None:
        return None
    camera_id = ids("DigitalCamera", image.serial)
    if camera_id in seen:
        return camera_id
    seen.add(camera_id)
    facet: Node = {
        "@id": ids("DeviceFacet", image.serial),
        "@type": "uco-observable:DeviceFacet",
        "uco-observable:serialNumber": image.serial,
    }
    if exif.model:
        facet["uco-observable:model"] = exif.model
    if exif.make:
        maker = ids("Organization", "camera maker", exif.make)
        if maker not in seen:
            seen.add(maker)
            graph.append(
                {
                    "@id": maker,
                    "@type": "uco-identity:Organization",
                    "uco-core:name": exif.make,
                    "uco-core:description": "camera maker, as a photo's EXIF names it",
                }
            )
        facet["uco-observable:manufacturer"] = ref(maker)
    graph.append(
        {
            "@id": camera_id,
            "@type": "uco-observable:DigitalCamera",
            "uco-core:name": " ".join(p for p in ("camera", image.camera, image.serial) if p),
            "uco-core:description": "the camera body a photo's EXIF names (a lead, not proof: "
            "EXIF can be edited or copied)",
            "uco-core:hasFacet": [facet],
        }
    )
    return camera_id


def add_photo_facts(
    ids: Ids,
    views: Mapping[str, CaptureView],
    file_nodes: Mapping[str, Node],
    graph: list[Node],
) -> None:
    """EXIF facets on the image files, cameras, locations and "photograph taken" actions."""
    seen: set[str] = set()
    taken: dict[str, Node] = {}
    for view in views.values():
        for image in view.images:
            if image.file is None or image.exif is None:
                continue
            node = file_nodes.get(image.file.path)
            if node is None:
                continue
            path = image.file.path
            entries = _exif_entries(image)
            camera_id = _camera(ids, image, graph, seen)
            facets: list[Node] = node["uco-core:hasFacet"]
            if entries:
                facets.append(
                    {
                        "@id": ids("EXIFFacet", path),
                        "@type": "uco-observable:EXIFFacet",
                        "uco-observable:exifData": {
                            "@id": ids("EXIFData", path),
                            "@type": "uco-types:ControlledDictionary",
                            "uco-types:entry": [
                                {
                                    "@id": ids("EXIFEntry", path, key),
                                    "@type": "uco-types:ControlledDictionaryEntry",
                                    "uco-types:key": key,
                                    "uco-types:value": value,
                                }
                                for key, value in entries
                            ],
                        },
                    }
                )
            if camera_id is not None:
                facets.append(
                    {
                        "@id": ids("RasterPictureFacet", path),
                        "@type": "uco-observable:RasterPictureFacet",
                        "uco-observable:camera": ref(camera_id),
                    }
                )
            if camera_id is None and image.gps is None and image.taken is None:
                continue
            photo = image.image.sha256 or path
            action = taken.get(photo)
            if action is None:
                action = _photo_action(ids, image, photo, camera_id, graph, seen)
                taken[photo] = action
                graph.append(action)
            action["uco-action:result"].append(ref(node["@id"]))


def _photo_action(
    ids: Ids, image: ImageView, photo: str, camera_id: str | None, graph: list[Node], seen: set[str]
) -> Node:
    claims = []
    if image.camera or image.serial:
        claims.append(f"camera {image.camera or 'unnamed'}, serial {image.serial or 'none'}")
    if image.taken:
        claims.append(f"DateTimeOriginal {image.taken} (the camera's clock, no time zone)")
    if image.gps is not None:
        where = image.gps.text
        claims.append(f"GPS {where} (no fix: not a place)" if image.gps.no_fix else f"GPS {where}")
    action: Node = {
        "@id": ids("PhotographTaken", photo),
        "@type": "uco-action:Action",
        "uco-core:name": "photograph taken",
        "uco-core:description": "as the photo's EXIF claims it, unverified: " + "; ".join(claims),
        "uco-action:result": [],
    }
    if camera_id is not None:
        action["uco-action:instrument"] = [ref(camera_id)]
    if image.gps is not None and not image.gps.no_fix:
        location = ids("Location", image.gps.latitude, image.gps.longitude)
        if location not in seen:
            seen.add(location)
            coordinates: Node = {
                "@id": ids("LatLongCoordinatesFacet", image.gps.latitude, image.gps.longitude),
                "@type": "uco-location:LatLongCoordinatesFacet",
                "uco-location:latitude": decimal_value(image.gps.latitude),
                "uco-location:longitude": decimal_value(image.gps.longitude),
            }
            if image.gps.altitude_m is not None:
                coordinates["uco-location:altitude"] = decimal_value(image.gps.altitude_m)
            graph.append(
                {
                    "@id": location,
                    "@type": "uco-location:Location",
                    "uco-core:name": f"GPS {image.gps.text}",
                    "uco-core:description": "a position from a photo's EXIF: a lead to check",
                    "uco-core:hasFacet": [coordinates],
                }
            )
        action["uco-action:location"] = [ref(location)]
    return action


def _address_node(ids: Ids, address: str) -> Node:
    version = 6 if ipaddress.ip_address(address).version == 6 else 4
    return {
        "@id": ids("IPAddress", address),
        "@type": f"uco-observable:IPv{version}Address",
        "uco-core:hasFacet": [
            {
                "@id": ids("IPAddressFacet", address),
                "@type": f"uco-observable:IPv{version}AddressFacet",
                "uco-observable:addressValue": address,
            }
        ],
    }


def enrich_capture_action(
    ids: Ids,
    action: Node,
    view: CaptureView,
    url_node: Callable[[str], str],
    add: Callable[[Node], str],
) -> None:
    """Make an ``item.acquired`` action say what the capture itself recorded.

    ``add`` puts a node in the graph once (by its ``@id``) and returns its id.
    """
    record = view.record
    if record is None:
        return
    action["uco-action:startTime"] = time_value(record.started)
    action["uco-action:endTime"] = time_value(record.ended)
    environment = record.environment
    action["uco-core:description"] = (
        f"{action['uco-core:description']}. Capture of {record.requested_url}: "
        f"{view.outcome.headline} Investigator {environment.investigator.name}"
        f"{f', persona {environment.persona}' if environment.persona else ''}; "
        f"{view.clock}."
    )
    urls = [record.requested_url, *(h.hop.url for h in view.hops)]
    objects = [ref(url_node(u)) for u in dict.fromkeys(urls)]
    action["uco-action:object"] = objects
    for attempt in record.attempts:
        for hop, following in zip(attempt.hops, attempt.hops[1:], strict=False):
            source, target = url_node(hop.url), url_node(following.url)
            add(
                {
                    "@id": ids("Redirect", hop.url, following.url),
                    "@type": "uco-observable:ObservableRelationship",
                    "uco-core:source": ref(source),
                    "uco-core:target": ref(target),
                    "uco-core:kindOfRelationship": "Redirects_To",
                    "uco-core:isDirectional": True,
                }
            )
    software = environment.software
    tool = add(
        {
            "@id": ids("Tool", "cybercase", software.get("cybercase", "unknown")),
            "@type": "uco-tool:Tool",
            "uco-core:name": "cybercase",
            "uco-tool:version": software.get("cybercase", "unknown"),
            "uco-tool:toolType": "evidence capture and preservation",
        }
    )
    instruments = [ref(tool)]
    browser = view.browser.record if view.browser is not None else None
    if browser is not None:
        instruments.append(
            ref(
                add(
                    {
                        "@id": ids("Tool", browser.browser, browser.browser_version),
                        "@type": "uco-tool:Tool",
                        "uco-core:name": browser.browser,
                        "uco-tool:version": browser.browser_version,
                        "uco-tool:toolType": f"headless web browser ({browser.driver})",
                    }
                )
            )
        )
    action["uco-action:instrument"] = instruments
    machine = environment.machine
    computer = (machine.hostname, machine.platform)
    action["uco-action:environment"] = ref(
        add(
            {
                "@id": ids("Computer", *computer),
                "@type": "uco-observable:Computer",
                "uco-core:name": machine.hostname,
                "uco-core:description": f"the collecting machine: {machine.os}",
                "uco-core:hasFacet": [
                    {
                        "@id": ids("ComputerSpecificationFacet", *computer),
                        "@type": "uco-observable:ComputerSpecificationFacet",
                        "uco-observable:hostname": machine.hostname,
                    }
                ],
            }
        )
    )
    results: list[dict[str, str]] = action["uco-action:result"]
    for step in view.hops:
        if step.hop.remote_ip:
            try:
                node = _address_node(ids, step.hop.remote_ip)
            except ValueError:
                continue
            address = ref(add(node))
            if address not in results:
                results.append(address)
    for cert in view.certificates:
        results.append(
            ref(
                add(
                    {
                        "@id": ids("X509Certificate", cert.sha256_fingerprint),
                        "@type": "uco-observable:X509Certificate",
                        "uco-core:name": cert.subject,
                        "uco-core:hasFacet": [
                            {
                                "@id": ids("X509CertificateFacet", cert.sha256_fingerprint),
                                "@type": "uco-observable:X509CertificateFacet",
                                "uco-observable:subject": cert.subject,
                                "uco-observable:issuer": cert.issuer,
                                "uco-observable:serialNumber": cert.serial_number,
                                "uco-observable:validityNotBefore": time_value(cert.not_before),
                                "uco-observable:validityNotAfter": time_value(cert.not_after),
                                "uco-observable:thumbprintHash": sha256_hash(
                                    ids("Hash", "certificate", cert.sha256_fingerprint),
                                    cert.sha256_fingerprint,
                                ),
                            }
                        ],
                    }
                )
            )
        )


def capture_views(
    items: Mapping[str, ItemPlan],
    read_file: Callable[[PlannedFile], bytes],
    entries_by_item: Mapping[str, Sequence[CustodyEntry]],
) -> dict[str, CaptureView]:
    """The view of every capture item (``items``: the plan's items by id)."""
    return {
        item_id: capture_view(plan, read_file, entries_by_item.get(item_id, []))
        for item_id, plan in items.items()
        if plan.kind == "evidence" and is_capture(plan)
    }
