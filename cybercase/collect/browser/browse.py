"""A recorded browsing session: the investigator browses, every page becomes an item.

Hunchly's and OSIRT's core is recording what the investigator sees while browsing by
hand. :func:`browse` opens a headed Chromium in a persona profile that belongs to
cybercase (``<home>/personas/<name>/``, never the user's own browser profile), routed
through the recording proxy of :mod:`cybercase.collect.browser.traffic`. Each top-level
page the investigator reaches (the main frame navigated to a new URL, once loaded) is
committed as one signed item exactly like a capture's: WARC of the traffic, viewport
screenshot, DOM, URL and UTC times in a ``record.json``. An injected banner says that
recording is on; its button (or Ctrl+Shift+S) makes a full-page screenshot item with an
optional note. Closing the window ends the session with one signed ``browse.ended`` entry.

Secrets: logins stay in the persona profile, not in the case. Cookie and Authorization
values the browser sends are withheld as for every capture; a browse session also
withholds the values of ``Set-Cookie`` (a session cookie is as good as a password) and
the bodies of requests (a login form posts the typed password), each replaced by its keyed
hash and listed in the record's ``redactions``. The DOM is serialised without the banner
and without any ``value`` attribute of password inputs (a typed password lives in the
input's property, which serialisation never includes; a script may copy it to the
attribute). ``keep_secrets`` keeps them all.

The traffic of one item is everything the browser exchanged since the previous item was
made: the navigation to the page, its resources, and whatever the previous page still
loaded or posted after it was captured. Nothing is dropped between items (the proxy
starts the next visit in the same step that ends one); what the browser exchanged after
the last item is committed as a last item with its WARC only.
"""

from __future__ import annotations

import contextlib
import queue
import shutil
import uuid
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cybercase.clock import Clock, SystemClock, format_utc
from cybercase.collect.actions import BROWSE_ENDED, BrowseEndedDetail
from cybercase.collect.browser.browse_scripts import (
    BANNER_SCRIPT,
    BANNER_VISIBILITY,
    CAPTURE_BINDING,
    DOM_SCRIPT,
    MARK_SEEN_SCRIPT,
    SEEN_SCRIPT,
)
from cybercase.collect.browser.find import find_browser
from cybercase.collect.browser.persona import persona_profile
from cybercase.collect.browser.recording import TrafficLog
from cybercase.collect.browser.recording import TrafficSettings as _TrafficSettings
from cybercase.collect.browser.traffic import ContextTraffic, TrafficRecorder
from cybercase.collect.capture import Capturer, _Collected, open_capturer
from cybercase.collect.commit import CaptureRequest, PreparedCapture, commit_captures
from cybercase.collect.config import CaptureSettings
from cybercase.collect.http.hops import new_record_id
from cybercase.collect.item_files import WARC_NAME, write_item_files
from cybercase.collect.record import CaptureRecord, Redaction
from cybercase.collect.stages import StageFile, StageOutput
from cybercase.evidence import Case, EntryDraft, Signer

STAGE_NAME = "browse"


@dataclass(frozen=True, slots=True)
class BrowseOptions:
    """How the session's browser is opened."""

    persona: str = "default"
    proxy: str | None = None
    """The investigator's upstream proxy (``http://``, ``socks5://``, ``socks5h://``)."""
    executable: Path | None = None
    keep_secrets: bool = False
    """Keep cookies, Set-Cookie values and request bodies verbatim (asked for explicitly)."""
    headless: bool = False
    """Only for benchmarks: the session is meant to be seen."""
    width: int = 1280
    height: int = 800
    settle: float = 0.15
    """Seconds to let a loaded page's scripts fetch what they show (contact boxes) before
    it is captured; what arrives later is in the next item's WARC."""
    load_timeout: float = 30.0


@dataclass(slots=True)
class BrowseSummary:
    """What a session committed."""

    items: list[str] = field(default_factory=list)
    pages: int = 0
    full_pages: int = 0
    withheld: list[str] = field(default_factory=list)
    """Which kinds of secret were withheld (header names, ``(request body)``)."""
    seq: int | None = None
    warnings: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """The ``--json`` form."""
        return {
            "items": self.items,
            "pages": self.pages,
            "full_pages": self.full_pages,
            "withheld": self.withheld,
            "seq": self.seq,
            "warnings": self.warnings,
        }


class BrowseSession:
    """The open session: its persistent context and page, for a driver (tests, scripts).

    Playwright's sync API is single-threaded: navigation events and button presses are
    queued by the event handlers and captured by :meth:`pump`, in the session's thread.
    """

    def __init__(
        self,
        case: Case,
        signer: Signer,
        capturer: Capturer,
        traffic: ContextTraffic,
        context: Any,
        options: BrowseOptions,
        clock: Clock,
    ) -> None:
        self.case = case
        self.signer = signer
        self.context = context
        self.options = options
        self.summary = BrowseSummary()
        self._capturer = capturer
        self._traffic = traffic
        self._clock = clock
        self._work = case.store.tmp / case.store.temp_prefix("browse")
        self._work.mkdir(parents=True)
        self._visit_folder = self._new_folder()
        self._events: queue.SimpleQueue[tuple[str, Any, str]] = queue.SimpleQueue()
        self._last_url: str | None = None
        self._redactions: list[Redaction] = []
        self._closed = False
        self._started = clock.now()
        self.page: Any = context.pages[0] if context.pages else context.new_page()
        context.on("page", self._watch)
        context.on("close", lambda _c: setattr(self, "_closed", True))
        for page in context.pages:
            self._watch(page)
        traffic.begin(self._visit_folder)

    # -- events ---------------------------------------------------------------------------

    def _watch(self, page: Any) -> None:
        def navigated(frame: Any) -> None:
            if frame == page.main_frame:
                self._events.put(("page", page, ""))

        page.on("framenavigated", navigated)
        page.on("load", lambda _p: self._events.put(("page", page, "")))

    def request_full_page(self, page: Any, note: str = "") -> None:
        """Queue a full-page capture of ``page`` (what the banner's button does)."""
        self._events.put(("full", page, note))

    @property
    def closed(self) -> bool:
        """Whether the investigator closed the window."""
        return self._closed

    def pump(self) -> None:
        """Capture every page reached and every full-page capture asked for since the last call."""
        while not self._closed:
            try:
                kind, page, note = self._events.get_nowait()
            except queue.Empty:
                return
            if page.is_closed():
                continue
            if kind == "page" and (not page.url.startswith("http") or self._seen(page)):
                continue
            try:
                page.wait_for_load_state("load", timeout=self.options.load_timeout * 1000)
                page.wait_for_timeout(self.options.settle * 1000)
            except Exception as exc:  # noqa: BLE001 - a slow page is captured as it is
                if page.is_closed() or self._closed:
                    return
                self.summary.warnings.append(f"{page.url}: not fully loaded ({type(exc).__name__})")
            url = page.url
            if kind == "page":
                if self._seen(page):
                    continue
                self._last_url = url
            self._capture(page, url, full=kind == "full", note=note or None)

    @staticmethod
    def _seen(page: Any) -> bool:
        """Whether this document was already captured at its current URL."""
        try:
            return bool(page.evaluate(SEEN_SCRIPT) == page.url)
        except Exception:  # noqa: BLE001 - it navigated again meanwhile: that event follows
            return True

    def run_until_closed(self, poll: float = 0.2) -> None:
        """Capture as the investigator browses, until the window is closed."""
        while not self._closed:
            self.pump()
            if not self.context.pages:
                break
            try:
                self.context.pages[0].wait_for_timeout(poll * 1000)
            except Exception:  # noqa: BLE001 - the window was closed meanwhile
                break

    # -- items ----------------------------------------------------------------------------

    def _new_folder(self) -> Path:
        folder = self._work / uuid.uuid4().hex
        folder.mkdir()
        return folder

    def _capture(self, page: Any, url: str, *, full: bool, note: str | None) -> None:
        started = self._clock.now()
        shots = self._new_folder()
        files: list[StageFile] = []
        warnings: list[str] = []
        title: str | None = None
        scrubbed = 0
        try:
            title = page.title()
            page.evaluate(BANNER_VISIBILITY, True)
            name = "screenshot-full.png" if full else "screenshot.png"
            page.screenshot(path=str(shots / name), full_page=full)
            page.evaluate(BANNER_VISIBILITY, False)
            files.append(StageFile("screenshot", name, shots / name, "image/png"))
            dom, scrubbed = page.evaluate(DOM_SCRIPT)
            (shots / "rendered.html").write_text(dom, encoding="utf-8")
            files.append(StageFile("dom", "rendered.html", shots / "rendered.html", "text/html"))
            page.evaluate(MARK_SEEN_SCRIPT)
        except Exception as exc:  # noqa: BLE001 - what was had is kept, the rest said
            warnings.append(f"the page could not be fully captured: {type(exc).__name__}: {exc}")
        following = self._new_folder()
        log = self._traffic.next(following)
        done = self._commit(
            url, title, log, files, warnings, started, full=full, note=note, scrubbed=scrubbed
        )
        shutil.rmtree(self._visit_folder, ignore_errors=True)
        shutil.rmtree(shots, ignore_errors=True)
        self._visit_folder = following
        if done and full:
            self.summary.full_pages += 1
        elif done:
            self.summary.pages += 1

    def _commit(
        self,
        url: str,
        title: str | None,
        log: TrafficLog,
        files: list[StageFile],
        warnings: list[str],
        started: Any,
        *,
        full: bool,
        note: str | None,
        scrubbed: int = 0,
    ) -> bool:
        detail: dict[str, Any] = {
            "session": "browse",
            "persona": self.options.persona,
            "title": title,
            "full_page": full,
            "viewport": [self.options.width, self.options.height],
            "exchanges": len(log.exchanges),
            "password_values_removed_from_dom": scrubbed,
        }
        output = StageOutput(
            files=files,
            warnings=[*log.warnings, *warnings],
            detail=detail,
            exchanges=log.exchanges,
            redactions=log.redactions,
            dns=log.dns,
        )
        future: Future[StageOutput] = Future()
        future.set_result(output)
        got = _Collected()
        self._capturer._finish_stage(STAGE_NAME, future, got)
        prepared = _prepare(self._capturer, url, got, started, self._clock.now(), note)
        result = commit_captures(self.case, self.signer, [prepared])[0]
        self.summary.items.append(result.item_id)
        self._redactions.extend(log.redactions)
        return True

    def finish(self) -> BrowseSummary:
        """Commit what the browser exchanged after the last item, then the summary entry."""
        log = self._traffic.collect()
        if log.exchanges:
            self._commit(
                self._last_url or log.exchanges[-1].hop.url,
                None,
                log,
                [],
                ["the traffic after the last page was captured (the window was closing)"],
                self._clock.now(),
                full=False,
                note="traffic after the last captured page",
            )
        summary = self.summary
        summary.withheld = sorted({r.header for r in self._redactions}, key=str.lower)
        detail = BrowseEndedDetail(
            persona=self.options.persona,
            started=format_utc(self._started),
            ended=format_utc(self._clock.now()),
            pages_captured=summary.pages,
            full_page_captures=summary.full_pages,
            items=summary.items,
            withheld=summary.withheld,
            withheld_values=len(self._redactions),
            secrets_kept=self.options.keep_secrets,
            warnings=summary.warnings,
        )
        with self.case.transaction(self.signer) as tx:
            tx.add(EntryDraft.of(BROWSE_ENDED, detail))
        summary.seq = tx.committed[0].seq
        shutil.rmtree(self._work, ignore_errors=True)
        return summary


def _prepare(
    capturer: Capturer,
    url: str,
    got: _Collected,
    started: Any,
    ended: Any,
    note: str | None,
) -> PreparedCapture:
    """The item of one page: record and WARC as a capture's, from the browser's traffic."""
    case = capturer.case
    capture_id = str(uuid.uuid4())
    redactions = list(got.stage_redactions)
    final = next(
        (
            w
            for w in reversed(got.stage_exchanges)
            if w.hop.url == url and w.hop.status is not None and w.hop.method == "GET"
        ),
        None,
    )
    warcinfo_id = new_record_id()
    record = CaptureRecord(
        capture_id=capture_id,
        case_id=case.meta.id,
        requested_url=url,
        final_url=url,
        outcome="captured",
        message="captured while browsing",
        status=final.hop.status if final is not None else None,
        started=format_utc(started),
        ended=format_utc(ended),
        attempts=[],
        dns=list(got.stage_dns),
        environment=capturer.surroundings.at(started),
        settings=capturer._settings_used,
        redactions=redactions,
        withheld_headers=sorted({r.header for r in redactions}, key=str.lower),
        secrets_kept=capturer.settings.keep_secrets,
        tags=["browse"],
        note=note,
        stages=got.stages,
        warnings=got.warnings,
        warc_filename=WARC_NAME,
        warcinfo_id=warcinfo_id,
    )
    artifacts = [
        *write_item_files(
            case,
            capturer.surroundings,
            record,
            got.stage_exchanges,
            {"session": "browse"},
            warcinfo_id=warcinfo_id,
            final_response_id=final.hop.warc_response_id if final is not None else None,
        ),
        *got.artifacts,
    ]
    return PreparedCapture(CaptureRequest(url=url, note=note), record, artifacts)


def browse(
    case: Case,
    signer: Signer,
    options: BrowseOptions | None = None,
    *,
    driver: Callable[[BrowseSession], None] | None = None,
    clock: Clock | None = None,
) -> BrowseSummary:
    """Open the persona's browser and record until its window is closed.

    ``driver`` (tests, scripts) gets the open session instead of waiting for the window to
    be closed; the session ends when it returns.
    """
    from playwright.sync_api import sync_playwright

    options = options or BrowseOptions()
    clock = clock or SystemClock()
    profile = persona_profile(options.persona)
    executable = find_browser(options.executable)
    settings = CaptureSettings(proxy=options.proxy, keep_secrets=options.keep_secrets)
    capturer = open_capturer(case, signer, settings, persona=options.persona, clock=clock)
    recorder = TrafficRecorder(clock=clock)
    withhold = not options.keep_secrets
    traffic = recorder.start(
        _TrafficSettings(
            proxy=options.proxy,
            keep_secrets=options.keep_secrets,
            withhold_set_cookie=withhold,
            withhold_request_bodies=withhold,
        )
    )
    try:
        with sync_playwright() as playwright:
            context = playwright.chromium.launch_persistent_context(
                str(profile),
                executable_path=str(executable),
                headless=options.headless,
                proxy={"server": traffic.proxy["server"]},
                ignore_https_errors=True,
                viewport={"width": options.width, "height": options.height},
                service_workers="block",
                args=["--no-first-run", "--no-default-browser-check"],
            )
            session: BrowseSession | None = None

            def pressed(source: dict[str, Any], note: str = "") -> None:
                if session is not None:
                    session.request_full_page(source["page"], note)

            context.expose_binding(CAPTURE_BINDING, pressed)
            context.add_init_script(BANNER_SCRIPT)
            session = BrowseSession(case, signer, capturer, traffic, context, options, clock)
            try:
                if driver is not None:
                    driver(session)
                    session.pump()
                else:
                    session.run_until_closed()
            finally:
                # Whatever ended the session (even a crash), its summary is signed.
                if not session.closed:
                    with contextlib.suppress(Exception):
                        session.context.close()
                summary = session.finish()
            return summary
    finally:
        traffic.stop()
        recorder.close()
        capturer.close()
