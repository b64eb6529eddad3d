"""The collect layer's custody details: typed, and byte for byte what earlier versions wrote.

Each ``old_*`` function below is the hand-built dict the writer made before the models
existed, copied verbatim; the models must give the same canonical JSON (the bytes that
are hashed and signed), including the keys that were written as ``null``.
"""

from __future__ import annotations

from typing import Any

import pytest

from cybercase.collect.actions import (
    BROWSE_ENDED,
    CAPTURE_KIND,
    ITEM_ACQUIRED,
    ITEM_ANNOTATED,
    ITEM_MEDIA,
    AcquiredDetail,
    AnnotatedDetail,
    BrowseEndedDetail,
    MediaDetail,
    MediaLimits,
    VideoDetail,
)
from cybercase.collect.capture import capture_url
from cybercase.collect.commit import CaptureRequest, PreparedCapture
from cybercase.collect.config import CaptureSettings
from cybercase.collect.record import BatchRef, CaptureRecord
from cybercase.collect.video import VideoFetch
from cybercase.collect.video_download import VideoLimits
from cybercase.evidence import Artifact, Case, EntryDraft, Signer
from cybercase.evidence.details import registered_actions
from cybercase.evidence.log.entry import canonical_json
from tests.fixtures.servers import LocalServer

ART = Artifact(role="warc", name="capture.warc.gz", digest="sha256:" + "ab" * 32, size=12)


def old_acquired(record: CaptureRecord, artifacts: list[Artifact]) -> dict[str, Any]:
    """PreparedCapture.detail() as it was written by hand."""
    detail: dict[str, Any] = {
        "kind": "capture",
        "capture_id": record.capture_id,
        "url": record.requested_url,
        **({"url_as_typed": record.requested_as_typed} if record.requested_as_typed else {}),
        "final_url": record.final_url,
        "outcome": record.outcome,
        "status": record.status,
        "message": record.message,
        "started": record.started,
        "ended": record.ended,
    }
    if record.url_credentials is not None:
        detail["url_credentials"] = record.url_credentials.status
    if record.withheld_headers:
        detail["withheld_headers"] = list(record.withheld_headers)
    if record.page and record.page.title:
        detail["title"] = record.page.title[:300]
    if record.batch:
        detail["batch"] = record.batch.model_dump()
    if record.tags:
        detail["tags"] = list(record.tags)
    if record.note:
        detail["note"] = record.note
    if record.environment.persona:
        detail["persona"] = record.environment.persona
    if record.warnings:
        detail["warnings"] = len(record.warnings)
    detail["artifacts"] = [a.model_dump() for a in artifacts]
    return detail


def same_bytes(new: dict[str, Any], old: dict[str, Any]) -> None:
    assert canonical_json(new) == canonical_json(old)
    assert set(new) == set(old)


def record_of(case: Case, item_id: str) -> tuple[CaptureRecord, list[Artifact]]:
    view = case.item(item_id)
    record = next(a for a in view.artifacts if a.role == "record")
    return CaptureRecord.model_validate_json(case.read_object(record.digest)), view.artifacts


def test_every_collect_action_is_registered() -> None:
    names = {a.name: a for a in registered_actions() if a.layer == "collect"}
    assert names.keys() >= {ITEM_ACQUIRED, ITEM_ANNOTATED, ITEM_MEDIA, BROWSE_ENDED}
    assert names[ITEM_ACQUIRED].model is AcquiredDetail
    assert ITEM_ACQUIRED == "item.acquired" and ITEM_ANNOTATED == "item.annotated"


@pytest.mark.parametrize("path", ["/page", "/missing", "/echo"])
def test_an_acquired_entry_is_what_the_hand_built_detail_was(
    case: Case, signer: Signer, http_server: LocalServer, path: str
) -> None:
    """Real captures (a page with a title, a 404, a text page): log = model = old dict."""
    settings = CaptureSettings(retries=0, images=False)
    result = capture_url(
        case, signer, http_server.url(path), settings, tags=["lead", "kenya"], note="seen"
    )
    record, artifacts = record_of(case, result.item_id)
    written = case.item(result.item_id).detail
    same_bytes(written, old_acquired(record, artifacts))
    request = CaptureRequest(url=record.requested_url)
    same_bytes(PreparedCapture(request, record, artifacts).detail(), written)
    entry = next(e for e in case.item_entries(result.item_id) if e.action == ITEM_ACQUIRED)
    same_bytes(entry.detail_as(AcquiredDetail).to_detail(), written)


def test_an_acquired_detail_with_every_optional_field(
    case: Case, signer: Signer, http_server: LocalServer
) -> None:
    settings = CaptureSettings(retries=0, images=False)
    result = capture_url(case, signer, http_server.url("/page"), settings, persona="anna")
    record, artifacts = record_of(case, result.item_id)
    full = record.model_copy(
        update={
            "requested_as_typed": " HTTP://127.0.0.1/page ",
            "batch": BatchRef(id="batch-1", index=2, total=3),
            "withheld_headers": ["Cookie"],
            "warnings": ["one", "two"],
        }
    )
    assert full.environment.persona == "anna"
    request = CaptureRequest(url=full.requested_url)
    same_bytes(PreparedCapture(request, full, artifacts).detail(), old_acquired(full, artifacts))


def test_a_failed_capture_writes_null_status_and_final_url(
    case: Case, signer: Signer, tmp_path: object
) -> None:
    settings = CaptureSettings(retries=0, images=False, connect_timeout=2)
    result = capture_url(case, signer, "http://127.0.0.1:9/nothing-listens", settings)
    written = case.item(result.item_id).detail
    assert written["status"] is None and written["final_url"] is None
    record, artifacts = record_of(case, result.item_id)
    same_bytes(written, old_acquired(record, artifacts))


def test_an_agency_queue_reference_reads_back() -> None:
    detail = AcquiredDetail(
        capture_id="c1",
        url="https://a.example/",
        final_url=None,
        outcome="dns-failure",
        status=None,
        message="no such host",
        started="2026-03-01T09:00:00.000000Z",
        ended="2026-03-01T09:00:01.000000Z",
        artifacts=[ART],
        queue={"key": "k1", "job": 7},
    )
    assert detail.kind == CAPTURE_KIND
    assert AcquiredDetail.model_validate(detail.to_detail()) == detail


def test_an_annotated_entry_is_what_the_hand_built_detail_was() -> None:
    old = {
        "derived_from": "sha256:" + "cd" * 32,
        "caption": "URL, UTC capture time, case, item, investigator",
        "artifacts": [ART.model_dump()],
    }
    new = AnnotatedDetail(
        derived_from="sha256:" + "cd" * 32,
        caption="URL, UTC capture time, case, item, investigator",
        artifacts=[ART],
    )
    same_bytes(new.to_detail(), old)
    same_bytes(EntryDraft.of(ITEM_ANNOTATED, new, ("E0001",)).detail, old)


def test_a_media_entry_is_what_the_hand_built_detail_was() -> None:
    stored = VideoFetch("https://v.example/a.mp4", "stored", "downloaded with yt-dlp")
    stored.artifacts = [ART.model_copy(update={"role": "video", "name": "video-1.mp4"})]
    stored.info = {"id": "a", "title": "A", "duration": 12.5, "ext": "mp4", "cookies": "x"}
    failed = VideoFetch("https://v.example/b.m3u8", "too-large", "the video is over 10 bytes")
    limits = VideoLimits(max_videos=2, max_bytes=10, max_time=300.0)
    fetched = [stored, failed]
    old = {
        "videos": [f.to_json() for f in fetched],
        "not_fetched": ["https://v.example/c.mp4"],
        "limits": {
            "max_videos": limits.max_videos,
            "max_bytes": limits.max_bytes,
            "max_time": limits.max_time,
        },
        "tool": "yt-dlp 2025.01.01",
        "withheld": "cookies and extra headers were not given to yt-dlp; request "
        "headers and local paths were removed from the info JSON",
        "artifacts": [a.model_dump() for f in fetched for a in f.artifacts],
    }
    assert old["videos"][1]["digest"] is None
    new = MediaDetail(
        videos=[VideoDetail.model_validate(f.to_json()) for f in fetched],
        not_fetched=["https://v.example/c.mp4"],
        limits=MediaLimits(max_videos=2, max_bytes=10, max_time=300.0),
        tool="yt-dlp 2025.01.01",
        withheld=old["withheld"],
        artifacts=[a for f in fetched for a in f.artifacts],
    )
    same_bytes(new.to_detail(), old)
    assert MediaDetail.model_validate(old) == new


def test_a_browse_ended_entry_is_what_the_hand_built_detail_was() -> None:
    old = {
        "persona": "default",
        "started": "2026-03-01T09:00:00.000000Z",
        "ended": "2026-03-01T09:30:00.000000Z",
        "pages_captured": 3,
        "full_page_captures": 1,
        "items": ["E0001", "E0002", "E0003", "E0004"],
        "withheld": ["Cookie", "Set-Cookie"],
        "withheld_values": 9,
        "secrets_kept": False,
        "warnings": [],
    }
    same_bytes(BrowseEndedDetail(**old).to_detail(), old)
