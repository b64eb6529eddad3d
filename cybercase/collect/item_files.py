"""An item's files: their roles and names, the writer of its WARC and record, its work folder.

A capture and a browsing session's page store the same files the same way, so a
reader (report, monitor, replay) finds them by role whichever wrote them.
"""

from __future__ import annotations

import mimetypes
import re
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from urllib.parse import unquote, urlsplit

from cybercase.collect.config import CaptureSettings
from cybercase.collect.environment import Surroundings, python_build
from cybercase.collect.html import media_type
from cybercase.collect.http.hops import WireHop, new_record_id
from cybercase.collect.record import CaptureRecord, SettingsUsed
from cybercase.collect.warc import WARC_MEDIA_TYPE, WarcBuilder
from cybercase.evidence import Artifact, Case
from cybercase.evidence.fsio import storage_error

ROLE_WARC = "warc"
ROLE_RECORD = "record"
ROLE_TEXT = "text"
ROLE_IMAGE = "image"
WARC_NAME = "capture.warc.gz"
RECORD_NAME = "record.json"
TEXT_NAME = "text.txt"
_SAFE = re.compile(r"[^A-Za-z0-9._-]+")


def settings_used(settings: CaptureSettings) -> SettingsUsed:
    """The settings as recorded (the proxy's password and header values left out)."""
    proxy = settings.proxy
    if proxy and "@" in proxy:
        scheme, _, rest = proxy.partition("://")
        proxy = f"{scheme}://***@{rest.rsplit('@', 1)[1]}"
    return SettingsUsed(
        user_agent=settings.user_agent,
        proxy=proxy,
        extra_header_names=sorted(settings.headers),
        cookies_file=settings.cookies_file.name if settings.cookies_file else None,
        connect_timeout=settings.connect_timeout,
        read_timeout=settings.read_timeout,
        total_timeout=settings.total_timeout,
        max_body_bytes=settings.max_body_bytes,
        max_redirects=settings.max_redirects,
        insecure=settings.insecure,
        keep_secrets=settings.keep_secrets,
        kept_header_names=sorted(settings.keep_headers),
        images=settings.images,
        retries=settings.retries,
    )


def write_item_files(
    case: Case,
    surroundings: Surroundings,
    record: CaptureRecord,
    wires: Sequence[WireHop],
    info: Mapping[str, str],
    *,
    warcinfo_id: str,
    final_response_id: str | None,
) -> list[Artifact]:
    """The WARC (warcinfo, every exchange, the record as metadata) and the record itself.

    Both are stored unsynced: :func:`commit_captures` syncs the store before the entry
    that names them. A capture and a browsing session's page write their files alike;
    ``info`` adds what only one of them knows to the warcinfo record.
    """
    store = case.store
    record_bytes = record.to_bytes()
    with store.writer(sync=False) as sink:
        builder = WarcBuilder(sink, filename=WARC_NAME)
        builder.warcinfo(
            warcinfo_id,
            record.started,
            {
                "software": f"cybercase {surroundings.software.get('cybercase', '')}",
                "format": "WARC File Format 1.1",
                "conformsTo": "https://iipc.github.io/warc-specifications/specifications/"
                "warc-format/warc-1.1/",
                "python": python_build(),
                "case": case.meta.id,
                "capture-id": record.capture_id,
                "investigator": surroundings.investigator.name,
                "investigator-key": surroundings.investigator.key,
                "persona": surroundings.persona or "",
                "hostname": surroundings.machine.hostname,
                **info,
            },
        )
        for wire in wires:
            builder.exchange(wire, warcinfo_id)
        builder.metadata(
            record_uri(record.capture_id),
            new_record_id(),
            record.ended,
            record_bytes,
            final_response_id,
            warcinfo_id,
        )
    warc = sink.digest()
    record_digest = store.put_bytes(record_bytes, sync=False)
    return [
        Artifact(
            role=ROLE_WARC,
            name=WARC_NAME,
            digest=str(warc),
            size=warc.size or 0,
            media_type=WARC_MEDIA_TYPE,
        ),
        Artifact(
            role=ROLE_RECORD,
            name=RECORD_NAME,
            digest=str(record_digest),
            size=len(record_bytes),
            media_type="application/json",
        ),
    ]


def record_uri(capture_id: str) -> str:
    """The metadata record's target: a URN, so replay tools never serve it for the page."""
    return f"urn:cybercase:capture-record:{capture_id}"


def image_name(number: int, url: str, content_type: str | None) -> str:
    """``images/003-photo.jpg``: numbered, from the URL's last segment, safe everywhere."""
    last = unquote(urlsplit(url).path.rsplit("/", 1)[-1])
    stem = _SAFE.sub("_", last).strip("._")[:60] or "image"
    if "." not in stem:
        ext = mimetypes.guess_extension(media_type(content_type)) if content_type else None
        stem += ext or ".bin"
    return f"images/{number:03d}-{stem}"


class WorkFolder:
    """The capture's private folder under ``objects/tmp``, made only if something needs it."""

    def __init__(self, parent: Path, prefix: str = ".capture-") -> None:
        self._parent = parent
        self._prefix = prefix
        self._path: Path | None = None

    def __call__(self) -> Path:
        """The folder (created on first use)."""
        if self._path is None:
            try:
                self._parent.mkdir(parents=True, exist_ok=True)
                self._path = Path(tempfile.mkdtemp(prefix=self._prefix, dir=self._parent))
            except OSError as exc:
                raise storage_error("make a work folder in", self._parent, exc) from exc
        return self._path

    def remove(self) -> None:
        """Delete it and everything in it."""
        if self._path is not None:
            shutil.rmtree(self._path, ignore_errors=True)
            self._path = None
