"""What an item's analysis reads: its text and its images, within size limits.

For a capture, the browser's rendered DOM when a browser ran, else the text extracted from
the served HTML; for an imported file, its text when it is text or HTML. Images: every
``image`` artifact of a capture and every imported image (screenshots excluded), with
their EXIF facts.
"""

from __future__ import annotations

import io
from typing import Any

from pydantic import ValidationError

from cybercase.evidence import Artifact, Case, ItemView
from cybercase.investigate.images import ImageHashes, hash_image
from cybercase.investigate.records import ImageRecord, TextPart

MAX_TEXT_BYTES = 16 * 1024 * 1024
"""Largest text or HTML artifact read for text (larger ones are read up to this size)."""

MAX_IMAGE_BYTES = 64 * 1024 * 1024
"""Largest image read for hashing (a larger one is recorded as not hashed)."""

TEXT_ROLES_BROWSER = ("dom",)

TEXT_ROLES_HTML = ("text",)

IMAGE_ROLES = ("image", "original")


def _read(case: Case, artifact: Artifact, limit: int) -> tuple[bytes, bool]:
    from cybercase.digest import Digest

    with case.store.open(Digest.parse(artifact.digest)) as fh:
        data = fh.read(limit + 1)
    return data[:limit], len(data) > limit


def _html_text(data: bytes, url: str) -> str:
    from cybercase.collect.html import read_page

    read = read_page(
        data,
        content_type="text/html",
        content_encoding=None,
        url=url,
        limit=len(data) + 1,
        raw_truncated=False,
    )
    return read.text


def _capture_images(case: Case, view: ItemView) -> dict[str, dict[str, Any]]:
    """EXIF and URL of each image a capture record lists, by artifact name."""
    record_artifact = next((a for a in view.artifacts if a.role == "record"), None)
    if record_artifact is None:
        return {}
    from cybercase.collect.record import CaptureRecord

    try:
        data, _ = _read(case, record_artifact, MAX_TEXT_BYTES)
        record = CaptureRecord.model_validate_json(data)
    except (ValidationError, OSError):
        return {}
    facts: dict[str, dict[str, Any]] = {}
    for image in record.images:
        if image.artifact is None:
            continue
        info: dict[str, Any] = {"url": image.url}
        exif = image.exif
        if exif is not None:
            camera = " ".join(p for p in (exif.make, exif.model) if p) or None
            info["camera"] = camera
            info["serial"] = exif.serial_number
            if exif.gps_latitude is not None and exif.gps_longitude is not None:
                info["gps"] = (exif.gps_latitude, exif.gps_longitude)
        facts[image.artifact] = info
    return facts


def _imported_exif(data: bytes) -> dict[str, Any]:
    from cybercase.collect.exif import read_exif

    try:
        exif = read_exif(io.BytesIO(data))
    except (OSError, ValueError, KeyError, IndexError, TypeError):
        return {}
    if exif is None:
        return {}
    info: dict[str, Any] = {
        "camera": " ".join(p for p in (exif.make, exif.model) if p) or None,
        "serial": exif.serial_number,
    }
    if exif.gps_latitude is not None and exif.gps_longitude is not None:
        info["gps"] = (exif.gps_latitude, exif.gps_longitude)
    return info


def item_texts(case: Case, view: ItemView, kind: str, url: str) -> list[TextPart]:
    parts: list[TextPart] = []
    if kind == "capture":
        chosen = [a for a in view.artifacts if a.role in TEXT_ROLES_BROWSER]
        chosen = chosen or [a for a in view.artifacts if a.role in TEXT_ROLES_HTML]
        for artifact in chosen[-1:]:
            parts.append(_text_part(case, artifact, url, html=artifact.role == "dom"))
        return parts
    for artifact in view.artifacts:
        media = artifact.media_type.split(";", 1)[0].strip().lower()
        if not (
            media.startswith("text/") or media in ("application/json", "application/xhtml+xml")
        ):
            continue
        parts.append(
            _text_part(case, artifact, url, html=media in ("text/html", "application/xhtml+xml"))
        )
    return parts


def _text_part(case: Case, artifact: Artifact, url: str, *, html: bool) -> TextPart:
    """One artifact's text (at most MAX_TEXT_BYTES of it), from HTML or as plain text."""
    data, cut = _read(case, artifact, MAX_TEXT_BYTES)
    text = _html_text(data, url) if html else data.decode("utf-8", errors="replace")
    return TextPart(artifact=artifact.name, sha256=artifact.digest, text=text, truncated=cut)


def item_images(case: Case, view: ItemView, kind: str) -> list[ImageRecord]:
    facts = _capture_images(case, view) if kind == "capture" else {}
    records: list[ImageRecord] = []
    for artifact in view.artifacts:
        if artifact.role not in IMAGE_ROLES or not artifact.media_type.startswith("image/"):
            continue
        info = dict(facts.get(artifact.name, {}))
        if artifact.size > MAX_IMAGE_BYTES:
            records.append(
                ImageRecord(
                    artifact=artifact.name,
                    sha256=artifact.digest,
                    not_hashed=f"larger than {MAX_IMAGE_BYTES} bytes",
                    **info,
                )
            )
            continue
        data, _ = _read(case, artifact, MAX_IMAGE_BYTES)
        if kind != "capture":
            info.update(_imported_exif(data))
        outcome = hash_image(data)
        if isinstance(outcome, ImageHashes):
            records.append(
                ImageRecord(
                    artifact=artifact.name,
                    sha256=artifact.digest,
                    phash=outcome.phash,
                    pdq=outcome.pdq,
                    algorithm=outcome.algorithm,
                    width=outcome.width,
                    height=outcome.height,
                    **info,
                )
            )
        else:
            records.append(
                ImageRecord(
                    artifact=artifact.name,
                    sha256=artifact.digest,
                    not_hashed=outcome.reason,
                    **info,
                )
            )
    return records
