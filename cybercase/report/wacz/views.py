"""The captures of a package's plan (a WARC and its screenshot), and the screenshots as
resources of their own WARC in the WACZ, so that a replay shows what the browser saw
beside what the server sent.
"""

from __future__ import annotations

import hashlib
import io
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import IO

from cybercase import __version__
from cybercase.clock import format_utc
from cybercase.digest import Digest
from cybercase.errors import StorageError
from cybercase.evidence import Case
from cybercase.report.layout import Plan, PlannedFile, item_title
from cybercase.report.names import safe_file_name

VIEWS_WARC = "archive/cybercase-views.warc.gz"
SCREENSHOT_HOST = "screenshots.cybercase.invalid"
WARC_ROLE = "warc"
SCREENSHOT_ROLE = "screenshot"


@dataclass(slots=True)
class _Capture:
    item: str
    warc: PlannedFile
    screenshot: PlannedFile | None
    url: str
    title: str
    started: str


def captures_of(plan: Plan) -> list[_Capture]:
    """The web captures of a plan: each evidence item with a WARC, in item order."""
    found: list[_Capture] = []
    for item_id, item in plan.items.items():
        if item.kind != "evidence":
            continue
        warc = next((f for f in item.files if f.role == WARC_ROLE), None)
        if warc is None:
            continue
        detail = item.view.detail
        url = next(
            (
                str(detail[key])
                for key in ("final_url", "url", "requested_url")
                if isinstance(detail.get(key), str) and detail[key]
            ),
            "",
        )
        shot = next((f for f in item.files if f.role == SCREENSHOT_ROLE), None)
        started = detail.get("started")
        found.append(
            _Capture(
                item_id,
                warc,
                shot,
                url,
                item_title(item.view),
                started if isinstance(started, str) else item.view.created_at,
            )
        )
    return found


def views_warc(case: Case, shots: Sequence[tuple[_Capture, PlannedFile]], out: IO[bytes]) -> None:
    """Screenshots as resource records (SHA-256 digests: the block is the logged PNG)."""
    from warcio.warcwriter import WARCWriter

    writer = WARCWriter(out, gzip=True, warc_version="1.1")
    info_id = f"<urn:uuid:{uuid.uuid4()}>"
    body = (
        f"software: cybercase {__version__}\r\n"
        f"format: WARC File Format 1.1\r\n"
        f"description: screenshots of case {case.meta.id} taken by cybercase's browser, "
        f"as logged in its custody log\r\n"
    ).encode()
    writer.write_record(
        writer.create_warc_record(
            "",
            "warcinfo",
            payload=io.BytesIO(body),
            length=len(body),
            warc_content_type="application/warc-fields",
            warc_headers_dict={
                "WARC-Record-ID": info_id,
                "WARC-Date": format_utc(case.clock.now()),
                "WARC-Filename": VIEWS_WARC.rsplit("/", 1)[-1],
                "WARC-Block-Digest": "sha256:" + hashlib.sha256(body).hexdigest(),
            },
        )
    )
    for capture, shot in shots:
        with case.store.open(Digest.parse(shot.digest)) as fh:
            png = fh.read()
        if "sha256:" + hashlib.sha256(png).hexdigest() != shot.digest:
            raise StorageError(
                f"the screenshot of {capture.item} in the case store does not match its "
                "custody entry; nothing was exported",
                hint="run 'cybercase verify' for the details",
            )
        writer.write_record(
            writer.create_warc_record(
                screenshot_url(capture.item, shot),
                "resource",
                payload=io.BytesIO(png),
                length=len(png),
                warc_content_type=shot.media_type or "image/png",
                warc_headers_dict={
                    "WARC-Record-ID": f"<urn:uuid:{uuid.uuid4()}>",
                    "WARC-Date": shot.at,
                    "WARC-Warcinfo-ID": info_id,
                    "WARC-Block-Digest": shot.digest,
                    "WARC-Payload-Digest": shot.digest,
                    "Cybercase-Item": capture.item,
                    "Cybercase-Page-URI": capture.url,
                },
            )
        )


def screenshot_url(item: str, shot: PlannedFile) -> str:
    """Where replay shows a capture's screenshot (a reserved host: nothing real)."""
    return f"http://{SCREENSHOT_HOST}/{item}/{safe_file_name(shot.name, fallback='screenshot.png')}"
