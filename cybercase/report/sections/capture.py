"""A web capture: what was asked for and served, when, from where, over which TLS.

The capture's ``record`` artifact (``record.json``) is read defensively: every field may
be absent or malformed, and a missing one is shown as not recorded rather than
guessed. GPS positions from image EXIF are shown as leads to check, as text, never as
links to an online map (the report must not reach out to anything).
"""

from __future__ import annotations

from typing import Any

from cybercase.report.layout import item_title
from cybercase.report.sections.generic import base_data
from cybercase.report.sections.interface import ItemContext, Section, mapping, sequence, text

RECORD_ROLES = ("record",)
CAPTURE_ROLES = frozenset({"warc", "record", "screenshot", "dom", "pdf", "mhtml"})


def _tls(record: dict[str, Any]) -> dict[str, Any] | None:
    tls = mapping(record.get("tls"))
    if not tls:
        return None
    certificates = [
        {
            "subject": text(c.get("subject")),
            "issuer": text(c.get("issuer")),
            "not_after": text(c.get("not_after")),
            "sha256": text(c.get("sha256")),
        }
        for c in (mapping(c) for c in sequence(tls.get("certificates")))
    ]
    return {
        "protocol": text(tls.get("protocol")),
        "cipher": text(tls.get("cipher")),
        "certificates": certificates,
    }


def _exif(record: dict[str, Any]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for image in (mapping(i) for i in sequence(record.get("images"))):
        exif = mapping(image.get("exif"))
        if not exif:
            continue
        gps = mapping(exif.get("gps"))
        lat, lon = gps.get("latitude"), gps.get("longitude")
        position = (
            f"{lat:.6f}, {lon:.6f}"
            if isinstance(lat, int | float) and isinstance(lon, int | float)
            else None
        )
        found.append(
            {
                "image": text(image.get("url")) or text(image.get("name")) or "(image)",
                "gps": position,
                "make": text(exif.get("make")),
                "model": text(exif.get("model")),
                "serial": text(exif.get("serial")),
                "datetime_original": text(exif.get("datetime_original")),
            }
        )
    return found


class CaptureSection:
    """An item captured from the web (it has a record, a WARC or a screenshot)."""

    name = "capture"

    def matches(self, item: ItemContext) -> bool:
        """Any item with one of the capture roles."""
        return any(f.role in CAPTURE_ROLES for f in item.plan.files)

    def render(self, item: ItemContext) -> Section:
        """The capture's facts from its record, then the common data."""
        record = item.read_json(*RECORD_ROLES)
        detail = item.plan.view.detail
        data = base_data(item)
        hops = [
            {
                "url": text(h.get("url")),
                "status": text(h.get("status")),
                "ip": text(h.get("remote_ip")),
            }
            for h in (mapping(h) for h in sequence(record.get("hops")))
        ]
        screenshot = item.first("screenshot")
        data["images"] = [f for f in data["images"] if f is not screenshot]
        data["capture"] = {
            "title": text(record.get("title")) or text(detail.get("title")),
            "requested_url": text(record.get("requested_url"))
            or text(detail.get("requested_url"))
            or text(detail.get("url")),
            "final_url": text(record.get("final_url")) or text(detail.get("final_url")),
            "started": text(record.get("started")),
            "ended": text(record.get("ended")),
            "hops": hops,
            "server_ips": sorted({h["ip"] for h in hops if h["ip"]}),
            "tls": _tls(record),
            "exif": _exif(record),
            "has_record": bool(record),
            "screenshot": screenshot,
        }
        title = data["capture"]["title"] or item_title(item.plan.view)
        return Section("capture.html.j2", title, data)
