"""The captures of a case as a WACZ 1.1.1 file, for replay in ReplayWeb.page.

A prosecutor or a defence expert wants to *see* a capture as a web page. WACZ is the
web-archiving package for that (a zip of WARCs, CDXJ indexes, a page list and a
Frictionless ``datapackage.json``), and ReplayWeb.page opens it offline. Layout::

    archive/E0001.warc.gz            each capture's WARC, byte for byte the logged object
    archive/cybercase-views.warc.gz  screenshots as WARC resource records
    indexes/index.cdx                CDXJ over every response and resource record
    pages/pages.jsonl                one page per capture (title, capture time), one per screenshot
    datapackage.json                 SHA-256 and size of every file above; who signed
    datapackage-digest.json          its hash, signed locally (see :mod:`.wacz_sign`)

Every file sits exactly one folder deep (``wacz validate`` names files by their last two
path parts). WARCs are stored uncompressed in the zip so replay can read records by
range. The copies are hashed while they are written and compared with the custody log:
a WACZ never holds bytes other than the ones logged. Screenshots get an address under
``screenshots.cybercase.invalid`` (a reserved name no server answers), so they can be
opened in replay without posing as something a website served.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from cybercase import __version__
from cybercase.digest import Digest, hash_file
from cybercase.errors import InvalidInputError, StorageError, VerificationFailedError
from cybercase.evidence import Case, EntryDraft, Signer
from cybercase.evidence.fsio import storage_error
from cybercase.evidence.timestamps.tsa_client import TsaClient, TsaSettings
from cybercase.progress import NullProgress, Progress
from cybercase.report.actions import CASE_EXPORTED, CaseExported
from cybercase.report.layout import Plan, plan_package, response_items
from cybercase.report.layout import select_items as choose_items
from cybercase.report.names import safe_file_name
from cybercase.report.wacz.index import index_warc
from cybercase.report.wacz.sign import key_binding, sign_datapackage
from cybercase.report.wacz.views import VIEWS_WARC, captures_of, screenshot_url, views_warc
from cybercase.report.zipfiles import durable_zip

WACZ_VERSION = "1.1.1"


DATAPACKAGE = "datapackage.json"


DIGEST_FILE = "datapackage-digest.json"


INDEX_PATH = "indexes/index.cdx"


PAGES_PATH = "pages/pages.jsonl"


REPLAY_FOLDER = "replay"
"""Where an exported package holds its WACZ (``data/replay/`` once bagged)."""


_CHUNK = 1024 * 1024
"""Bytes copied into the zip at a time."""


@dataclass(frozen=True, slots=True)
class WaczPage:
    """One entry of ``pages/pages.jsonl``."""

    item: str
    url: str
    ts: str
    """Capture time, ISO 8601 UTC (the WARC-Date of the page's response)."""
    title: str
    kind: str = "capture"
    """``capture`` or ``screenshot``."""

    @property
    def timestamp14(self) -> str:
        """The 14-digit time replay tools put in their addresses."""
        return "".join(ch for ch in self.ts if ch.isdigit())[:14]

    def to_json(self) -> dict[str, str]:
        """The JSON line."""
        return {
            "id": f"{self.item}-{self.kind}",
            "url": self.url,
            "ts": self.ts,
            "title": self.title,
        }


@dataclass(slots=True)
class WaczResult:
    """What was written."""

    path: Path
    digest: Digest
    public_key: str
    """The WACZ signing key, base64 SubjectPublicKeyInfo DER (ECDSA P-384)."""
    timestamped: bool
    items: list[str]
    pages: list[WaczPage]
    files: int
    notes: list[str] = field(default_factory=list)

    def detail(self) -> dict[str, Any]:
        """What the custody log records about the WACZ."""
        return {
            "wacz": str(self.digest),
            "wacz_bytes": self.digest.size,
            "wacz_public_key": self.public_key,
            "wacz_timestamped": self.timestamped,
            "wacz_items": self.items,
        }


class _HashingZipWriter:
    """Writes members into the zip, hashing each in the same pass."""

    def __init__(self, archive: zipfile.ZipFile, date: tuple[int, int, int, int, int, int]):
        self.archive = archive
        self.date = date
        self.resources: list[dict[str, Any]] = []

    def _info(self, path: str, stored: bool) -> zipfile.ZipInfo:
        info = zipfile.ZipInfo(path, self.date)
        info.compress_type = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
        info.external_attr = 0o644 << 16
        return info

    def add_stream(self, path: str, source: IO[bytes], *, stored: bool, size_hint: int) -> Digest:
        # The size is given up front so that zip64 extras are written only when needed:
        # ReplayWeb.page finds a member's data with the central directory's extra length,
        # and a local-only zip64 extra shifts every record it reads by 20 bytes.
        info = self._info(path, stored)
        info.file_size = size_hint
        hasher = hashlib.sha256()
        size = 0
        with self.archive.open(info, "w") as dst:
            while chunk := source.read(_CHUNK):
                hasher.update(chunk)
                size += len(chunk)
                dst.write(chunk)
        digest = Digest(hex=hasher.hexdigest(), size=size)
        self._listed(path, digest)
        return digest

    def add_bytes(
        self, path: str, data: bytes, *, stored: bool = False, listed: bool = True
    ) -> None:
        self.archive.writestr(self._info(path, stored), data)
        if listed:
            self._listed(path, Digest.of_bytes(data))

    def _listed(self, path: str, digest: Digest) -> None:
        self.resources.append(
            {
                "name": path.rsplit("/", 1)[-1].lower(),
                "path": path,
                "hash": str(digest),
                "bytes": digest.size,
            }
        )


def write_wacz(
    case: Case,
    signer: Signer,
    plan: Plan,
    target: Path,
    *,
    tsa: TsaClient | None = None,
    progress: Progress | None = None,
) -> WaczResult:
    """Write the plan's captures as a signed WACZ at ``target`` (atomically)."""
    progress = progress or NullProgress()
    captures = captures_of(plan)
    if not captures:
        raise InvalidInputError(
            "no web captures to put in a WACZ",
            hint="a WACZ holds captured web pages; capture one with 'cybercase capture URL'",
        )
    now = case.clock.now()
    created = now.strftime("%Y-%m-%dT%H:%M:%SZ")
    software = f"cybercase {__version__}"
    target.parent.mkdir(parents=True, exist_ok=True)
    pages: list[WaczPage] = []
    lines: list[str] = []
    with (
        durable_zip(target, "WACZ") as part,
        zipfile.ZipFile(part, "x", allowZip64=True) as archive,
    ):
        writer = _HashingZipWriter(archive, now.timetuple()[:6])
        progress.start("Writing the WACZ", sum(c.warc.size for c in captures))
        names: set[str] = set()
        for capture in captures:
            name = safe_file_name(f"{capture.item}.warc.gz")
            names.add(name.lower())
            with case.store.open(Digest.parse(capture.warc.digest)) as fh:
                got = writer.add_stream(
                    f"archive/{name}", fh, stored=True, size_hint=capture.warc.size
                )
            if str(got) != capture.warc.digest:
                raise StorageError(
                    f"the WARC of {capture.item} in the case store does not match its "
                    "custody entry; nothing was exported",
                    hint="run 'cybercase verify' for the details",
                )
            dates = index_warc(case.store.path_for(Digest.parse(capture.warc.digest)), name, lines)
            ts = (
                dates.get(capture.url)
                or (list(dates.values())[-1] if dates else "")
                or capture.started
            )
            title = f"{capture.item}: {capture.title}"
            pages.append(WaczPage(capture.item, capture.url, ts, title))
            progress.advance(capture.warc.size)
        progress.finish()
        shots = [(c, c.screenshot) for c in captures if c.screenshot is not None]
        if shots:
            views = io.BytesIO()
            views_warc(case, shots, views)
            views_bytes = views.getvalue()
            writer.add_bytes(VIEWS_WARC, views_bytes, stored=True)
            view_path = _spool(views_bytes)
            try:
                index_warc(view_path, VIEWS_WARC.rsplit("/", 1)[-1], lines)
            finally:
                view_path.unlink()
            for capture, shot in shots:
                pages.append(
                    WaczPage(
                        capture.item,
                        screenshot_url(capture.item, shot),
                        shot.at,
                        f"{capture.item}: screenshot of {capture.title}",
                        "screenshot",
                    )
                )
        writer.add_bytes(INDEX_PATH, "".join(f"{x}\n" for x in sorted(lines)).encode(), stored=True)
        header = {"format": "json-pages-1.0", "id": "pages", "title": "All Pages"}
        page_lines = [json.dumps(header)] + [json.dumps(p.to_json()) for p in pages]
        writer.add_bytes(PAGES_PATH, ("\n".join(page_lines) + "\n").encode("utf-8"), stored=True)
        binding = key_binding(signer)
        package: dict[str, Any] = {
            "profile": "data-package",
            "wacz_version": WACZ_VERSION,
            "title": f"{case.meta.id}: {case.meta.title}",
            "description": f"Web captures of case {case.meta.id} ({case.meta.agency}), "
            "exported by cybercase with their WARCs as logged",
            "created": created,
            "software": software,
            "mainPageURL": pages[0].url,
            "mainPageDate": pages[0].ts,
            "resources": writer.resources,
            "cybercase": {
                "case_id": case.meta.id,
                "items": [c.item for c in captures],
                **binding,
            },
        }
        package_bytes = (json.dumps(package, indent=2, ensure_ascii=False) + "\n").encode()
        writer.add_bytes(DATAPACKAGE, package_bytes, listed=False)
        signed = sign_datapackage(
            signer, package_bytes, created=created, software=software, tsa=tsa
        )
        writer.add_bytes(
            DIGEST_FILE, (json.dumps(signed.data, indent=2) + "\n").encode(), listed=False
        )
    return WaczResult(
        path=target,
        digest=hash_file(target),
        public_key=signed.public_key,
        timestamped=signed.timestamped,
        items=[c.item for c in captures],
        pages=pages,
        files=len(writer.resources) + 2,
        notes=[signed.note] if signed.note else [],
    )


def _spool(data: bytes) -> Path:
    import tempfile

    fd, name = tempfile.mkstemp(prefix=".cybercase-views-", suffix=".warc.gz")
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    return Path(name)


def tsa_client(settings: TsaSettings | None, case: Case) -> TsaClient | None:
    """A client for the configured authorities, or none when none is configured."""
    if settings is None or not settings.authorities:
        return None
    return TsaClient(settings, clock=case.clock)


@contextlib.contextmanager
def _client(settings: TsaSettings | None, case: Case) -> Iterator[TsaClient | None]:
    client = tsa_client(settings, case)
    try:
        yield client
    finally:
        if client is not None:
            client.close()


def export_wacz(
    case: Case,
    signer: Signer,
    out: Path,
    *,
    items: Sequence[str] = (),
    tsa: TsaSettings | None = None,
    progress: Progress | None = None,
) -> WaczResult:
    """``cybercase export --wacz``: one WACZ file under ``out``, recorded in the log."""
    from cybercase.evidence.verify.case import verify_case

    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise storage_error("create the export folder", out, exc) from exc
    if not out.is_dir():
        raise InvalidInputError(f"{out} is not a folder", hint="give --out a folder")
    final: Path | None = None
    try:
        with case.transaction(signer) as tx, _client(tsa, case) as client:
            entries = list(case.entries())
            included = choose_items(case.state, items, response_items(entries))
            live = verify_case(case.root, progress=progress)
            if not live.ok:
                raise VerificationFailedError(
                    f"case {case.meta.id} failed verification ({len(live.errors)} problem(s)); "
                    "nothing was exported",
                    hint="run 'cybercase verify' for the details, and restore damaged "
                    "files from a copy",
                )
            plan = plan_package(case.state, entries, included)
            base = f"{safe_file_name(case.meta.id)}_{case.clock.now():%Y-%m-%d}"
            name, number = base, 1
            while (out / f"{name}.wacz").exists():
                number += 1
                name = f"{base}_{number}"
            final = out / f"{name}.wacz"
            result = write_wacz(case, signer, plan, final, tsa=client, progress=progress)
            tx.add(
                EntryDraft.of(
                    CASE_EXPORTED,
                    CaseExported(package=final.name, format="wacz", **result.detail()),
                )
            )
    except BaseException:
        if final is not None:
            with contextlib.suppress(OSError):
                final.unlink()
        raise
    return result
