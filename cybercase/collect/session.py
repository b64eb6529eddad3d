"""A capture session: the raw captures, the browser's view, exhibits and trusted time.

This is what ``cybercase capture`` does, as one library call: start one browser for the
whole batch when one is available (and say plainly how to get one when not), capture
every URL as one item (WARC, record, text, images, plus screenshot, PDF, DOM and MHTML),
make the annotated copy of each screenshot once its item id is known, then timestamp by
the default policy (one token for a single URL, one seal for a batch). Nothing here
fails a capture: no browser, a hanging page or an unreachable TSA each become a note.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cybercase.clock import Clock, parse_utc
from cybercase.collect.actions import ITEM_ANNOTATED, AcquiredDetail, AnnotatedDetail
from cybercase.collect.batch import BatchResult, run_batch
from cybercase.collect.commit import Analyse, CaptureResult
from cybercase.collect.config import CaptureSettings
from cybercase.collect.stages import Stage
from cybercase.digest import Digest
from cybercase.errors import BrowserUnavailableError, CaseCorruptError, CybercaseError
from cybercase.evidence import Artifact, Case, EntryDraft, Signer
from cybercase.evidence.details import parse_detail
from cybercase.evidence.timestamps import TimestampOutcome, TsaSettings, timestamp_new_items
from cybercase.progress import Progress

if TYPE_CHECKING:
    from cybercase.collect.browser.feed import FeedOptions
    from cybercase.collect.video import MediaResult
    from cybercase.collect.video_download import VideoLimits

ANNOTATED_NAME = "screenshot-annotated.png"
ANNOTATE_TIMEOUT = 60.0


@dataclass(frozen=True, slots=True)
class BrowserChoice:
    """Whether and which browser renders the pages."""

    enabled: bool = True
    """``--no-browser`` turns it off."""
    executable: Path | None = None
    """``--browser PATH``; ``None`` looks for one (a named browser that fails is an error)."""
    pool_size: int = 4
    """Pages rendered at once (see :func:`browser_pages`)."""
    record_traffic: bool = field(
        default_factory=lambda: os.environ.get(ENV_BROWSER_TRAFFIC, "").lower() != "off"
    )
    """Every request the browser makes into the WARC (through the recording proxy).
    ``CYBERCASE_BROWSER_TRAFFIC=off`` turns it off, for benchmarks only: the browser then
    cannot honour ``--ca-bundle``, and each record says ``traffic_recorded: false``."""
    feed: FeedOptions | None = None
    """``--scroll``: load each page as a feed before capturing it."""


ENV_BROWSER_TRAFFIC = "CYBERCASE_BROWSER_TRAFFIC"


MAX_BROWSER_PAGES = 8


def browser_pages(jobs: int) -> int:
    """Pages the browser renders at once for ``jobs`` captures at once.

    Each capture waits for its page, so fewer pages than jobs would idle the jobs;
    more than 8 buys nothing on an ordinary workstation but memory (each page is a
    renderer process of 50-100 MB).
    """
    return max(1, min(jobs, MAX_BROWSER_PAGES))


@dataclass(slots=True)
class SessionResult:
    """What a capture session did."""

    batch: BatchResult
    browser: str | None = None
    """The browser used (name and version), if any."""
    browser_note: str | None = None
    """Why no browser was used, when none was."""
    annotated: list[str] = field(default_factory=list)
    """Items that received an annotated screenshot."""
    annotation_warnings: list[str] = field(default_factory=list)
    timestamps: TimestampOutcome | None = None
    media: list[MediaResult] = field(default_factory=list)
    """The videos of each page (``--video``)."""

    def to_json(self) -> dict[str, Any]:
        """The closing ``--json`` line."""
        data = self.batch.summary_json()
        data["browser"] = self.browser
        data["browser_note"] = self.browser_note
        data["annotated"] = self.annotated
        if self.annotation_warnings:
            data["annotation_warnings"] = self.annotation_warnings
        data["timestamps"] = self.timestamps.to_json() if self.timestamps else None
        if self.media:
            data["media"] = [m.to_json() for m in self.media]
        return data


@contextmanager
def open_browser(
    choice: BrowserChoice, settings: CaptureSettings
) -> Iterator[tuple[Any, str | None]]:
    """The shared renderer (or ``None``) and, when there is none, a one-line reason."""
    if not choice.enabled:
        yield None, "browser rendering turned off (--no-browser)"
        return
    from cybercase.collect.browser.renderer import Renderer
    from cybercase.collect.browser.stage import render_options_for

    try:
        renderer = Renderer(
            choice.executable,
            pool_size=max(1, choice.pool_size),
            options=render_options_for(
                settings, record_traffic=choice.record_traffic, feed=choice.feed
            ),
        )
    except BrowserUnavailableError as exc:
        if choice.executable is not None:
            raise
        yield None, exc.one_line()
        return
    with renderer:
        yield renderer, None


def capture_urls(
    case: Case,
    signer: Signer,
    urls: Sequence[str],
    settings: CaptureSettings,
    *,
    browser: BrowserChoice | None = None,
    tsa: TsaSettings | None = None,
    batch_id: str | None = None,
    resume: bool = False,
    tags: Sequence[str] = (),
    note: str | None = None,
    persona: str | None = None,
    progress: Progress | None = None,
    on_result: Callable[[CaptureResult], None] | None = None,
    on_browser: Callable[[str | None, str | None], None] | None = None,
    clock: Clock | None = None,
    cancel: threading.Event | None = None,
    videos: VideoLimits | None = None,
    analyse: Analyse | None = None,
) -> SessionResult:
    """Capture URLs into the case with everything a capture should hold (see the module).

    ``analyse`` runs on each capture where it is prepared (see
    :data:`~cybercase.collect.commit.Analyse`); its results come with ``on_result``.
    """
    choice = browser if browser is not None else BrowserChoice()
    case.check_writable(signer)
    with open_browser(choice, settings) as (renderer, browser_note):
        stages: list[Stage] = []
        browser_name = None
        if renderer is not None:
            from cybercase.collect.browser.stage import BrowserStage

            stages.append(BrowserStage(renderer, renderer.options))
            browser_name = f"{renderer.info.name} {renderer.info.version}"
        if on_browser is not None:
            on_browser(browser_name, browser_note)
        annotator = Annotator(case, signer, renderer) if renderer is not None else None

        def committed(item: CaptureResult) -> None:
            if annotator is not None:
                annotator.submit(item)
            if on_result is not None:
                on_result(item)

        batch = run_batch(
            case,
            signer,
            urls,
            settings,
            batch_id=batch_id,
            resume=resume,
            tags=tags,
            note=note,
            persona=persona,
            stages=stages,
            progress=progress,
            on_result=committed,
            clock=clock,
            cancel=cancel,
            analyse=analyse,
        )
        result = SessionResult(batch=batch, browser=browser_name, browser_note=browser_note)
        if annotator is not None:
            result.annotated, result.annotation_warnings = annotator.commit()
    if videos is not None:
        from cybercase.collect.video import collect_videos

        for item in batch.results:
            if item.ok:
                result.media.append(collect_videos(case, signer, item.item_id, settings, videos))
    if tsa is not None and batch.results:
        ids = [r.item_id for r in batch.results]
        result.timestamps = timestamp_new_items(case, signer, ids, tsa)
    return result


class Annotator:
    """Makes the captioned copy of each screenshot, once the item's id is known.

    The caption names the URL, the capture's UTC start time, the case, the item and the
    investigator. Copies are drawn by the shared browser while the batch goes on, then
    logged together: the original screenshot stays the primary, hashed artifact of the
    ``item.acquired`` entry, and each copy's ``item.annotated`` entry names the
    original's hash, so the exhibit can always be traced back to it.
    """

    def __init__(self, case: Case, signer: Signer, renderer: Any) -> None:
        self.case = case
        self.signer = signer
        self.renderer = renderer
        self.jobs: list[tuple[str, Artifact, Future[bytes]]] = []
        self.warnings: list[str] = []

    def submit(self, result: CaptureResult) -> None:
        """Start drawing the copy of a just-committed item's screenshot, if it has one."""
        from cybercase.collect.browser.options import Caption

        shot = next((a for a in result.artifacts if a.role == "screenshot"), None)
        if shot is None:
            return
        view = self.case.item(result.item_id)
        try:
            acquired = parse_detail(
                AcquiredDetail, view.detail, seq=view.created_seq, action=view.created_action
            )
            when = parse_utc(acquired.started)
        except CaseCorruptError:
            when = parse_utc(view.created_at)
        caption = Caption(
            url=result.final_url or result.url,
            utc_time=when,
            case_id=self.case.meta.id,
            item_id=result.item_id,
            investigator=self.signer.name,
        )
        try:
            future = self.renderer.annotate(self.case.read_object(shot.digest), caption)
        except CybercaseError as exc:
            self.warnings.append(f"{result.item_id}: no annotated copy ({exc.message})")
            return
        self.jobs.append((result.item_id, shot, future))

    def commit(self) -> tuple[list[str], list[str]]:
        """Store the finished copies and log them in one commit; returns (items, warnings)."""
        drafts: list[EntryDraft] = []
        for item_id, shot, future in self.jobs:
            try:
                data = future.result(timeout=ANNOTATE_TIMEOUT)
            except (CybercaseError, TimeoutError) as exc:
                self.warnings.append(f"{item_id}: no annotated copy ({exc})")
                continue
            digest: Digest = self.case.store.put_bytes(data, sync=False)
            artifact = Artifact(
                role="screenshot-annotated",
                name=ANNOTATED_NAME,
                digest=str(digest),
                size=len(data),
                media_type="image/png",
            )
            detail = AnnotatedDetail(
                derived_from=shot.digest,
                caption="URL, UTC capture time, case, item, investigator",
                artifacts=[artifact],
            )
            drafts.append(EntryDraft.of(ITEM_ANNOTATED, detail, (item_id,)))
        if drafts:
            self.case.append(self.signer, *drafts)
        return [d.items[0] for d in drafts], self.warnings
