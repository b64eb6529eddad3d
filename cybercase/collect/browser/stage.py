"""The browser as a capture stage: what was seen, in the same item as what was served.

A :class:`BrowserStage` submits each URL to one shared :class:`Renderer` when the raw
capture of that URL begins; its screenshot, PDF, rendered DOM and MHTML join the item
before the single ``item.acquired`` commit, and the browser's own facts (request list,
browser version, identity used) go into the capture record. The browser sees the page
with the same user agent, proxy, headers and cookies as the raw fetch, and everything it
loads goes through the recording proxy (:mod:`cybercase.collect.browser.traffic`) into
the item's WARC, with the raw fetch's trust (``--ca-bundle``). A page the browser could
not show because of TLS, while the raw fetch worked, fails the capture.
"""

from __future__ import annotations

import dataclasses
from concurrent.futures import Future
from pathlib import Path
from typing import TYPE_CHECKING

from cybercase.collect.browser.feed import FeedOptions
from cybercase.collect.browser.options import RenderOptions
from cybercase.collect.browser.renderer import Renderer
from cybercase.collect.browser.result import RenderResult
from cybercase.collect.config import CaptureSettings
from cybercase.collect.record import Outcome
from cybercase.collect.stages import StageFile, StageOutput
from cybercase.errors import CybercaseError

if TYPE_CHECKING:
    from cybercase.collect.redact import Credentials

BROWSER_STAGE = "browser"


def render_options_for(
    settings: CaptureSettings, *, record_traffic: bool = True, feed: FeedOptions | None = None
) -> RenderOptions:
    """The browser identity, trust and limits matching the raw fetch's settings.

    ``record_traffic`` sends every request through the recording proxy, so that all the
    browser loaded is raw HTTP in the WARC and ``--ca-bundle`` reaches the browser;
    without it (benchmarks only) a CA bundle cannot be honoured by the browser.
    """
    return RenderOptions(
        user_agent=settings.user_agent,
        proxy=settings.proxy,
        headers=dict(settings.headers),
        cookies_file=settings.cookies_file,
        insecure=settings.insecure,
        # Loading a feed has its own time limit, on top of the page's.
        page_timeout=min(90.0, settings.total_timeout) + (feed.max_time if feed else 0.0),
        navigation_timeout=min(30.0, settings.total_timeout),
        record_traffic=record_traffic,
        ca_bundle=settings.ca_bundle if record_traffic else None,
        keep_secrets=settings.keep_secrets,
        keep_headers=tuple(settings.keep_headers),
        max_body_bytes=settings.max_body_bytes,
        feed=feed,
    )


def stage_output(result: RenderResult) -> StageOutput:
    """A render result as the capture pipeline takes it."""
    traffic = result.traffic
    failed: tuple[Outcome, str] | None = None
    if result.tls_failure is not None:
        failed = (
            "tls-failure",
            f"the browser could not show the page: {result.tls_failure}",
        )
    return StageOutput(
        files=[StageFile(f.role, f.name, f.path, f.media_type) for f in result.files],
        warnings=list(result.warnings),
        detail=result.record().model_dump(mode="json"),
        exchanges=list(traffic.exchanges) if traffic else [],
        redactions=list(traffic.redactions) if traffic else [],
        dns=list(traffic.dns) if traffic else [],
        failed=failed,
    )


class BrowserStage:
    """Renders every captured URL in the shared browser."""

    name = BROWSER_STAGE

    def __init__(self, renderer: Renderer, options: RenderOptions) -> None:
        self.renderer = renderer
        self.options = options

    def start(
        self, url: str, workdir: Path, *, credentials: Credentials | None = None
    ) -> Future[StageOutput]:
        """Submit the page; the returned future gives the stage's files."""
        out: Future[StageOutput] = Future()
        options = self.options
        if credentials is not None:
            options = dataclasses.replace(options, credentials=credentials)
        try:
            inner = self.renderer.submit(url, workdir / "browser", options=options)
        except CybercaseError as exc:
            out.set_exception(exc)
            return out

        def done(finished: Future[RenderResult]) -> None:
            if finished.cancelled():
                out.cancel()
                return
            error = finished.exception()
            if error is not None:
                out.set_exception(error)
                return
            out.set_result(stage_output(finished.result()))

        inner.add_done_callback(done)
        return out
