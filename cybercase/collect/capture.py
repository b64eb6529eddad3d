"""One URL → one evidence item: WARC, capture record, text, images, and one custody entry.

:meth:`Capturer.prepare` does all the work that can fail or take time — fetching, reading
the page, fetching images, waiting for extra stages, writing the WARC — and stores every
artifact in the object store without ``fsync`` (group commit). Nothing counts until
:func:`commit_captures` writes the ``item.acquired`` entries, which first makes the
objects durable; a batch commits several prepared captures in one transaction. Work files
live in a private folder under ``objects/tmp`` and are removed whatever happens.

Every attempted URL becomes an item, whatever its outcome: a 404 is a capture of a removed
listing, a refused connection a logged attempt (docs/capture.md).
"""

from __future__ import annotations

import struct
import threading
import uuid
from collections.abc import Sequence
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from typing import Any

import httpx

from cybercase.clock import Clock, SystemClock, format_utc
from cybercase.collect.commit import (
    Analyse,
    CaptureRequest,
    CaptureResult,
    PreparedCapture,
    commit_captures,
)
from cybercase.collect.config import CaptureSettings
from cybercase.collect.environment import Surroundings, survey
from cybercase.collect.exif import read_exif
from cybercase.collect.html import is_text, media_type, read_page
from cybercase.collect.http.failures import KEPT
from cybercase.collect.http.fetch import Fetcher
from cybercase.collect.http.hops import FetchResult, WireHop, new_record_id
from cybercase.collect.http.urls import check_url
from cybercase.collect.http.wire import CaptureCancelled
from cybercase.collect.item_files import (
    ROLE_IMAGE,
    ROLE_TEXT,
    TEXT_NAME,
    WARC_NAME,
    WorkFolder,
    image_name,
    settings_used,
    write_item_files,
)
from cybercase.collect.record import (
    CaptureRecord,
    DnsLookup,
    Image,
    Outcome,
    Page,
    Redaction,
    StageArtifact,
    StageRecord,
)
from cybercase.collect.redact import Credentials, Redactor, split_credentials
from cybercase.collect.stages import Stage, StageOutput
from cybercase.evidence import Artifact, Case, Signer

STAGE_GRACE = 60.0


@dataclass(slots=True)
class _Collected:
    """Objects and facts gathered while preparing one capture."""

    artifacts: list[Artifact] = field(default_factory=list)
    images: list[Image] = field(default_factory=list)
    image_fetches: list[FetchResult] = field(default_factory=list)
    stages: list[StageRecord] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    stage_exchanges: list[WireHop] = field(default_factory=list)
    stage_redactions: list[Redaction] = field(default_factory=list)
    stage_dns: list[DnsLookup] = field(default_factory=list)
    stage_failures: list[tuple[Outcome, str]] = field(default_factory=list)


def _as_typed(typed: str | None, url: str) -> str | None:
    """The URL as typed, when it differs from the one fetched (never with a user:password)."""
    if typed is None or typed.strip() == url:
        return None
    try:
        if httpx.URL(typed.strip()).userinfo:
            return None
    except (httpx.InvalidURL, ValueError):
        return None
    return typed.strip()


class Capturer:
    """Prepares captures into one case; shared by the threads of a batch."""

    def __init__(
        self,
        case: Case,
        settings: CaptureSettings,
        surroundings: Surroundings,
        *,
        fetcher: Fetcher,
        stages: Sequence[Stage] = (),
        clock: Clock | None = None,
        analyse: Analyse | None = None,
    ) -> None:
        self.case = case
        self.settings = settings
        self.surroundings = surroundings
        self.fetcher = fetcher
        self.stages = list(stages)
        self.clock: Clock = clock or SystemClock()
        self._settings_used = settings_used(settings)
        self.redactor: Redactor = fetcher.redactor
        self.analyse = analyse

    def close(self) -> None:
        """Close the network connections."""
        self.fetcher.close()

    def prepare(self, request: CaptureRequest) -> PreparedCapture:
        """Capture one URL into stored (not yet committed) artifacts."""
        url, credentials = split_credentials(check_url(request.url))
        workdir = WorkFolder(self.case.store.tmp, self.case.store.temp_prefix("capture"))
        try:
            return self._prepare(request, url, credentials, workdir)
        finally:
            workdir.remove()

    def _prepare(
        self,
        request: CaptureRequest,
        url: str,
        credentials: Credentials | None,
        workdir: WorkFolder,
    ) -> PreparedCapture:
        settings = self.settings
        store = self.case.store
        capture_id = str(uuid.uuid4())
        started = self.clock.now()
        pending = []
        for stage in self.stages:
            folder = workdir() / f"stage-{stage.name}"
            folder.mkdir()
            if credentials is None:
                pending.append((stage, stage.start(url, folder)))
            else:
                pending.append((stage, stage.start(url, folder, credentials=credentials)))
        fetched = self.fetcher.fetch(
            url,
            workdir,
            max_body=settings.max_body_bytes,
            text_limit=settings.max_text_bytes,
            label="page-",
            credentials=credentials,
        )
        got = _Collected()
        final = fetched.final_hop
        page: Page | None = None
        text: str | None = None
        if final is not None and final.hop.body is not None and final.text_sample:
            body = final.hop.body
            if is_text(body.content_type):
                read = read_page(
                    final.text_sample,
                    content_type=body.content_type,
                    content_encoding=body.content_encoding,
                    url=final.hop.url,
                    limit=settings.max_text_bytes,
                    raw_truncated=body.truncated is not None,
                )
                page, text = read.page, read.text
                got.warnings.extend(read.warnings)
            final.text_sample = b""
        if page is not None and settings.images and final is not None:
            self._images(page, final, workdir, got, credentials)
        for stage, future in pending:
            self._finish_stage(stage.name, future, got)
        ended = self.clock.now()
        last = fetched.last
        redactions: list[Redaction] = []
        dns: list[DnsLookup] = []
        for attempt in [*fetched.attempts, *(a for f in got.image_fetches for a in f.attempts)]:
            redactions.extend(attempt.redactions)
            got.warnings.extend(attempt.warnings)
            for lookup in attempt.dns:
                if not any(d.host == lookup.host and d.addresses == lookup.addresses for d in dns):
                    dns.append(lookup)
        redactions.extend(got.stage_redactions)
        for lookup in got.stage_dns:
            if not any(d.host == lookup.host and d.addresses == lookup.addresses for d in dns):
                dns.append(lookup)
        if len(fetched.attempts) > 1:
            got.warnings.append(
                f"{len(fetched.attempts)} attempts were made; every one is in the WARC "
                "and the record"
            )
        final_status = (
            final.hop.status
            if final is not None and last.outcome in (*KEPT, "http-error")
            else None
        )
        outcome, message = last.outcome, last.message
        if outcome == "captured" and got.stage_failures:
            # The raw fetch worked but the page could not be seen (e.g. the browser
            # failed on TLS): that is a failed capture, said as such.
            outcome, message = got.stage_failures[0]
            message = f"{message} (the raw fetch worked: {last.message})"
        warcinfo_id = new_record_id()
        record = CaptureRecord(
            capture_id=capture_id,
            case_id=self.case.meta.id,
            requested_url=url,
            requested_as_typed=_as_typed(request.typed, url),
            final_url=final.hop.url if final is not None and final_status is not None else None,
            outcome=outcome,
            message=message,
            status=final_status,
            started=format_utc(started),
            ended=format_utc(ended),
            attempts=[a.model() for a in fetched.attempts],
            dns=dns,
            page=page,
            images=got.images,
            environment=self.surroundings.at(started),
            settings=self._settings_used,
            redactions=redactions,
            withheld_headers=sorted({r.header for r in redactions}, key=str.lower),
            url_credentials=(
                self.redactor.credentials(credentials, kept=settings.keep_secrets)
                if credentials
                else None
            ),
            secrets_kept=settings.keep_secrets,
            batch=request.batch,
            tags=list(request.tags),
            note=request.note,
            stages=got.stages,
            warnings=got.warnings,
            warc_filename=WARC_NAME,
            warcinfo_id=warcinfo_id,
        )
        wires = [
            *(wire for attempt in fetched.attempts for wire in attempt.hops),
            *(
                wire
                for image_fetch in got.image_fetches
                for attempt in image_fetch.attempts
                for wire in attempt.hops
            ),
            *got.stage_exchanges,
        ]
        artifacts = write_item_files(
            self.case,
            self.surroundings,
            record,
            wires,
            {"user-agent": settings.user_agent, "proxy": self._settings_used.proxy or ""},
            warcinfo_id=warcinfo_id,
            final_response_id=final.hop.warc_response_id if final is not None else None,
        )
        if text is not None:
            data = text.encode("utf-8")
            text_digest = store.put_bytes(data, sync=False)
            artifacts.append(
                Artifact(
                    role=ROLE_TEXT,
                    name=TEXT_NAME,
                    digest=str(text_digest),
                    size=len(data),
                    media_type="text/plain; charset=utf-8",
                )
            )
        artifacts.extend(got.artifacts)
        return PreparedCapture(request, record, artifacts, self._analysed(record, artifacts, text))

    def _analysed(
        self, record: CaptureRecord, artifacts: Sequence[Artifact], text: str | None
    ) -> object:
        if self.analyse is None:
            return None
        try:
            return self.analyse(record, artifacts, text)
        except Exception:  # noqa: BLE001 - advice only: the capture is kept whatever it does
            return None

    def _images(
        self,
        page: Page,
        final: WireHop,
        workdir: WorkFolder,
        got: _Collected,
        credentials: Credentials | None,
    ) -> None:
        settings = self.settings
        urls = page.image_urls[: settings.max_images]
        if len(page.image_urls) > len(urls):
            got.warnings.append(
                f"the page references {len(page.image_urls)} images; only the first "
                f"{len(urls)} were fetched (max_images)"
            )
        for number, image_url in enumerate(urls, start=1):
            fetched = self.fetcher.fetch(
                image_url,
                workdir,
                max_body=settings.max_image_bytes,
                retries=0,
                referer=final.hop.url,
                label=f"img{number}-",
                credentials=credentials,
            )
            got.image_fetches.append(fetched)
            last = fetched.final_hop
            hops = [h.hop for a in fetched.attempts for h in a.hops]
            outcome = fetched.last.outcome
            status = last.hop.status if last is not None else None
            body = last.hop.body if last is not None else None
            if outcome not in KEPT or last is None or body is None or last.body is None:
                got.images.append(
                    Image(
                        url=image_url,
                        outcome=outcome,
                        message=fetched.last.message,
                        status=status,
                        hops=hops,
                    )
                )
                continue
            name = image_name(number, last.hop.url, body.content_type)
            with last.body.open() as stream:
                digest = self.case.store.put_stream(stream, sync=False)
            kind = media_type(body.content_type) or "application/octet-stream"
            got.artifacts.append(
                Artifact(
                    role=ROLE_IMAGE, name=name, digest=str(digest), size=body.size, media_type=kind
                )
            )
            exif = None
            exif_error = None
            if body.content_encoding not in (None, "", "identity"):
                exif_error = f"stored as served, with content-encoding {body.content_encoding}"
            else:
                try:
                    with last.body.open() as stream:
                        exif = read_exif(stream)
                except (OSError, ValueError, KeyError, IndexError, struct.error) as exc:
                    exif_error = f"EXIF could not be read: {type(exc).__name__}: {exc}"
            got.images.append(
                Image(
                    url=image_url,
                    outcome=outcome,
                    message=fetched.last.message,
                    status=status,
                    artifact=name,
                    sha256=str(digest),
                    size=body.size,
                    media_type=kind,
                    truncated=body.truncated is not None,
                    exif=exif,
                    exif_error=exif_error,
                    hops=hops,
                )
            )

    def _finish_stage(self, name: str, future: Any, got: _Collected) -> None:
        try:
            output: StageOutput = future.result(timeout=self.settings.total_timeout + STAGE_GRACE)
        except FutureTimeout:
            future.cancel()
            got.warnings.append(f"stage {name} did not finish in time; its output is not kept")
            got.stages.append(StageRecord(name=name, warnings=["did not finish in time"]))
            return
        except CaptureCancelled:
            raise
        except Exception as exc:  # noqa: BLE001 - a failed stage is recorded, never fatal
            message = f"{type(exc).__name__}: {exc}"
            got.warnings.append(f"stage {name} failed: {message}")
            got.stages.append(StageRecord(name=name, warnings=[f"failed: {message}"]))
            return
        recorded: list[StageArtifact] = []
        for item in output.files:
            digest = self.case.store.put_file(item.path, sync=False)
            size = digest.size or 0
            got.artifacts.append(
                Artifact(
                    role=item.role,
                    name=item.name,
                    digest=str(digest),
                    size=size,
                    media_type=item.media_type,
                )
            )
            recorded.append(
                StageArtifact(
                    role=item.role,
                    name=item.name,
                    sha256=str(digest),
                    size=size,
                    media_type=item.media_type,
                )
            )
        got.warnings.extend(f"{name}: {w}" for w in output.warnings)
        got.stage_exchanges.extend(output.exchanges)
        got.stage_redactions.extend(output.redactions)
        got.stage_dns.extend(output.dns)
        if output.failed is not None:
            got.stage_failures.append(output.failed)
        got.stages.append(
            StageRecord(
                name=name, artifacts=recorded, warnings=output.warnings, detail=output.detail
            )
        )


def open_capturer(
    case: Case,
    signer: Signer,
    settings: CaptureSettings,
    *,
    persona: str | None = None,
    stages: Sequence[Stage] = (),
    clock: Clock | None = None,
    cancel: threading.Event | None = None,
    analyse: Analyse | None = None,
) -> Capturer:
    """A capturer for ``case``, with the environment surveyed once."""
    clock = clock or SystemClock()
    fetcher = Fetcher(settings, clock=clock, cancel=cancel)

    def fetch_small(url: str) -> tuple[bytes | None, str | None]:
        folder = WorkFolder(case.store.tmp, case.store.temp_prefix("capture"))
        try:
            return fetcher.fetch_small(url, folder)
        finally:
            folder.remove()

    surroundings = survey(
        investigator_name=signer.name,
        investigator_key=signer.fingerprint,
        persona=persona,
        ntp_server=settings.ntp_server,
        egress_lookup_url=settings.egress_lookup_url,
        fetch_small=fetch_small,
    )
    return Capturer(
        case, settings, surroundings, fetcher=fetcher, stages=stages, clock=clock, analyse=analyse
    )


def capture_url(
    case: Case,
    signer: Signer,
    url: str,
    settings: CaptureSettings | None = None,
    *,
    tags: Sequence[str] = (),
    note: str | None = None,
    persona: str | None = None,
    stages: Sequence[Stage] = (),
    clock: Clock | None = None,
) -> CaptureResult:
    """Capture one URL as one committed item (the library's simplest entry point)."""
    capturer = open_capturer(
        case, signer, settings or CaptureSettings(), persona=persona, stages=stages, clock=clock
    )
    try:
        prepared = capturer.prepare(CaptureRequest(url=url, tags=tuple(tags), note=note, typed=url))
    finally:
        capturer.close()
    return commit_captures(case, signer, [prepared])[0]
