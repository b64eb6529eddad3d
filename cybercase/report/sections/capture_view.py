"""A capture as the report shows it, read from ``record.json`` through its own model.

The record is :class:`cybercase.collect.record.CaptureRecord` (its JSON Schema is
``docs/schema/capture-record.schema.json``); the browser's own facts are the ``browser``
stage's detail, a :class:`cybercase.collect.browser.result.BrowserRecord`; the captioned
copy of the screenshot comes from a later ``item.annotated`` entry naming the item. A
record that does not validate is never guessed around: the view says so and keeps only
what the signed custody entry itself says (URL, outcome, times).

Nothing here writes HTML: the templates do, autoescaped. The HTML section and
``case.jsonld`` both read captures through :func:`capture_view`, so they cannot disagree.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Sequence
from urllib.parse import urlsplit

from pydantic import ValidationError

from cybercase.collect.actions import AnnotatedDetail
from cybercase.collect.browser.result import BrowserRecord
from cybercase.collect.record import CaptureRecord, Certificate, Exif
from cybercase.errors import CaseCorruptError
from cybercase.evidence import CustodyEntry
from cybercase.report.layout import ItemPlan, PlannedFile, item_title
from cybercase.report.sections.capture_model import (
    ANNOTATED_ROLE,
    BROWSER_STAGE,
    FAILURES,
    MAX_RECORD_BYTES,
    RECORD_ROLE,
    REMOVED_STATUSES,
    AnnotatedCopy,
    BrowserView,
    CaptureView,
    GpsPosition,
    HopView,
    ImageView,
    Outcome,
    TlsView,
)
from cybercase.report.sections.interface import text


def read_record(
    plan: ItemPlan, read_file: Callable[[PlannedFile], bytes]
) -> tuple[CaptureRecord | None, str | None]:
    """The item's capture record, or why there is none that can be trusted to be one."""
    planned = next((f for f in plan.files if f.role == RECORD_ROLE), None)
    if planned is None:
        return None, "the custody log names no record.json for this capture"
    if planned.size > MAX_RECORD_BYTES:
        return None, "record.json is too large to be a capture record"
    try:
        data = read_file(planned)
    except OSError as exc:
        return None, f"record.json cannot be read ({exc.strerror or exc})"
    try:
        return CaptureRecord.model_validate_json(data), None
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "the file"
        return None, (
            "record.json is not a capture record this version of cybercase can read "
            f"({where}: {first['msg']}); the facts shown come from the custody log"
        )


_EXIF_TIME = re.compile(r"^(\d{4}):(\d{2}):(\d{2})(?:[ T](\d{2}:\d{2}:\d{2}))?\s*$")


def camera_time(raw: str | None) -> str | None:
    """EXIF's ``2025:10:28 14:03:11`` as people write it (``2025-10-28 14:03:11``).

    The camera's own clock, with no time zone: it is shown, never converted to UTC.
    Anything else is shown as written.
    """
    if raw is None:
        return None
    match = _EXIF_TIME.match(raw)
    if match is None:
        return raw
    year, month, day, clock = match.groups()
    return f"{year}-{month}-{day}" + (f" {clock}" if clock else "")


def _outcome(code: str, status: int | None, message: str) -> Outcome:
    message = message.removeprefix(f"{code}: ")
    if code == "captured":
        return Outcome("captured", code, message, f"Captured: {message}.", None)
    if code == "truncated":
        return Outcome(
            "truncated",
            code,
            message,
            f"Captured only in part: {message.removeprefix('incomplete: ')}. The part received "
            "is kept exactly as sent; the rest of the page was not.",
            "incomplete: cut at the size limit",
        )
    if code == "http-error" and status in REMOVED_STATUSES:
        return Outcome(
            "removed",
            code,
            message,
            f"The page was not there: {message}. A removed listing answers this way; this "
            "capture is the record of that answer, kept exactly as the server sent it.",
            f"HTTP {status}: page not there (removed listing)",
        )
    if code == "http-error":
        return Outcome(
            "http-error",
            code,
            message,
            f"The server answered with an error: {message}. Its answer is kept as sent.",
            f"HTTP {status}: server error" if status else "server error",
        )
    words = FAILURES.get(code, code)
    return Outcome(
        "failed",
        code,
        message,
        f"Nothing was captured: {words}. Error: {message}. The attempt is recorded as evidence.",
        f"not captured: {words}",
    )


def _remote(ip: str | None, port: int | None) -> str | None:
    if not ip:
        return None
    try:
        shown = f"[{ip}]" if ipaddress.ip_address(ip).version == 6 else ip
    except ValueError:
        shown = ip
    return f"{shown}:{port}" if port is not None else shown


def _hops(record: CaptureRecord) -> list[HopView]:
    found: list[HopView] = []
    for attempt in record.attempts:
        for hop in attempt.hops:
            location = next((v for k, v in hop.response_headers if k.lower() == "location"), None)
            error = f"{hop.error.outcome}: {hop.error.message}" if hop.error else None
            remote = _remote(hop.remote_ip, hop.remote_port)
            found.append(HopView(attempt.number, hop, remote, error, location))
    return found


def _dns_note(record: CaptureRecord) -> str | None:
    if record.dns:
        return None
    if record.settings.proxy:
        return "none: the connection went through a proxy, which resolved the names itself"
    hosts = {h.hop.url for h in _hops(record)} or {record.requested_url}

    def literal(url: str) -> bool:
        try:
            ipaddress.ip_address(urlsplit(url).hostname or "")
        except ValueError:
            return False
        return True

    if all(literal(u) for u in hosts):
        return "none needed: the URL names an IP address"
    return "none recorded"


def _clock(record: CaptureRecord) -> str:
    clock = record.environment.clock
    base = f"system clock read {clock.system_utc} (UTC) at the start"
    if clock.ntp_status == "checked" and clock.ntp_offset_ms is not None:
        return (
            f"{base}; measured offset {clock.ntp_offset_ms:+.1f} ms against NTP server "
            f"{clock.ntp_server} (system minus NTP)"
        )
    if clock.ntp_status == "failed":
        return f"{base}; the NTP check against {clock.ntp_server} failed: {clock.ntp_error}"
    return f"{base}; offset not checked (no NTP server was configured)"


def _egress(record: CaptureRecord) -> str:
    egress = record.environment.egress
    if egress.status == "checked":
        return f"{egress.address} (looked up through {egress.lookup_url})"
    if egress.status == "failed":
        return f"the lookup through {egress.lookup_url} failed: {egress.error}"
    return "not checked (no lookup was configured; no outside service is called by default)"


def _redaction(record: CaptureRecord) -> str:
    creds = ""
    if record.url_credentials is not None:
        creds = (
            " The URL given carried a user name and password: they were sent to "
            f"{record.url_credentials.sent_to} only and are in no stored URL"
            + (
                "."
                if record.url_credentials.status == "kept"
                else f"; their keyed hash is {record.url_credentials.digest}."
            )
        )
    if record.secrets_kept:
        return (
            "Kept verbatim at the investigator's request (--keep-secrets): the cookie, "
            "Authorization and extra header values they sent are in the WARC and in this "
            "record." + creds
        )
    if record.redactions:
        keyed = all(r.algorithm == "hmac-sha256" for r in record.redactions)
        how = (
            "a keyed hash (HMAC-SHA256 under the investigator's own redaction key) of the "
            "value: the alteration is declared here, and only the investigator can confirm a "
            "value against it ('cybercase key check-secret')"
            if keyed
            else "the SHA-256 of the value: the alteration is declared here, and a value can "
            "be matched against its hash without being disclosed"
        )
        names = ", ".join(record.withheld_headers or sorted({r.header for r in record.redactions}))
        return (
            f"{len(record.redactions)} secret value(s) the investigator sent ({names}) were "
            f"replaced, in the WARC's request records and in this record, by a placeholder "
            f"naming {how}." + creds
        )
    return (
        "No cookie, Authorization or extra header value was sent with the raw capture, so "
        "nothing in the WARC or in this record was replaced." + creds
    )


def _camera(exif: Exif) -> str | None:
    make, model = (exif.make or "").strip(), (exif.model or "").strip()
    if make and model.lower().startswith(make.lower()):
        return model
    return " ".join(p for p in (make, model) if p) or None


def _serial(exif: Exif | None) -> str | None:
    value = (exif.serial_number or "").strip() if exif is not None else ""
    return value or None


def _images(record: CaptureRecord, plan: ItemPlan) -> list[ImageView]:
    by_digest = {f.digest: f for f in plan.files if f.role == "image"}
    found: list[ImageView] = []
    for image in record.images:
        exif = image.exif
        gps = None
        if exif is not None and exif.gps_latitude is not None and exif.gps_longitude is not None:
            gps = GpsPosition(exif.gps_latitude, exif.gps_longitude, exif.gps_altitude_m)
        found.append(
            ImageView(
                image=image,
                file=by_digest.get(image.sha256 or ""),
                gps=gps,
                camera=_camera(exif) if exif else None,
                serial=_serial(exif),
                taken=camera_time(exif.datetime_original) if exif else None,
            )
        )
    return found


def _browser(record: CaptureRecord) -> BrowserView | None:
    stage = next((s for s in record.stages if s.name == BROWSER_STAGE), None)
    if stage is None:
        return None
    if not stage.detail:
        said = "; ".join(stage.warnings) or "no reason recorded"
        return BrowserView(None, list(stage.warnings), f"the browser view was not made: {said}", 0)
    try:
        browser = BrowserRecord.model_validate(stage.detail)
    except ValidationError:
        return BrowserView(
            None, list(stage.warnings), "the browser's facts in record.json cannot be read", 0
        )
    failed = sum(1 for r in browser.requests if r.failure or (r.status or 0) >= 400)
    return BrowserView(browser, list(stage.warnings), None, failed)


def _annotated(
    plan: ItemPlan, screenshot: PlannedFile | None, entries: Sequence[CustodyEntry]
) -> AnnotatedCopy | None:
    copy = next((f for f in plan.files if f.role == ANNOTATED_ROLE), None)
    if copy is None:
        return None
    entry = next((e for e in entries if e.seq == copy.seq), None)
    derived: str | None = None
    if entry is not None:
        try:
            derived = entry.detail_as(AnnotatedDetail).derived_from
        except CaseCorruptError:
            derived = None  # a report is made of what reads; verify says what does not
    if derived is None or screenshot is None:
        return AnnotatedCopy(copy, None)
    return AnnotatedCopy(copy, derived == screenshot.digest)


def capture_view(
    plan: ItemPlan,
    read_file: Callable[[PlannedFile], bytes],
    entries: Sequence[CustodyEntry] = (),
) -> CaptureView:
    """The view of one capture item (``entries``: the custody entries naming it)."""
    view = plan.view
    detail = view.detail
    record, problem = read_record(plan, read_file)
    screenshot = next((f for f in plan.files if f.role == "screenshot"), None)
    annotated = _annotated(plan, screenshot, entries)
    warc = next((f for f in plan.files if f.role == "warc"), None)
    text_file = next((f for f in plan.files if f.role == "text"), None)
    if record is None:
        status = detail.get("status")
        return CaptureView(
            item_id=plan.id,
            title=item_title(view),
            requested_url=text(detail.get("url")) or text(detail.get("requested_url")),
            final_url=text(detail.get("final_url")),
            started=text(detail.get("started")),
            ended=text(detail.get("ended")),
            outcome=_outcome(
                text(detail.get("outcome")) or "captured",
                status if isinstance(status, int) else None,
                text(detail.get("message")) or "as the custody log records it",
            ),
            record=None,
            problem=problem,
            hops=[],
            tls=[],
            certificates=[],
            server_addresses=[],
            via_proxy=False,
            dns_note=None,
            clock=None,
            egress=None,
            redaction=None,
            redactions=[],
            images=[],
            browser=None,
            screenshot=screenshot,
            annotated=annotated,
            warc=warc,
            text_file=text_file,
        )
    hops = _hops(record)
    tls = [TlsView(h.hop.url, h.hop.tls) for h in hops if h.hop.tls is not None]
    certificates: dict[str, Certificate] = {}
    for session in tls:
        for cert in session.facts.peer_chain:
            certificates.setdefault(cert.sha256_fingerprint, cert)
    addresses = list(dict.fromkeys(h.remote for h in hops if h.remote))
    title = (record.page.title if record.page else None) or item_title(view)
    return CaptureView(
        item_id=plan.id,
        title=" ".join(title.split()) or item_title(view),
        requested_url=record.requested_url,
        final_url=record.final_url,
        started=record.started,
        ended=record.ended,
        outcome=_outcome(record.outcome, record.status, record.message),
        record=record,
        problem=None,
        hops=hops,
        tls=tls,
        certificates=list(certificates.values()),
        server_addresses=addresses,
        via_proxy=any(h.hop.via_proxy for h in hops),
        dns_note=_dns_note(record),
        clock=_clock(record),
        egress=_egress(record),
        redaction=_redaction(record),
        redactions=list(record.redactions),
        images=_images(record, plan),
        browser=_browser(record),
        screenshot=screenshot,
        annotated=annotated,
        warc=warc,
        text_file=text_file,
    )
