"""The package's documents for people: ``index.html``, ``custody.html`` and ``VERIFY.txt``.

Templates are Jinja2, autoescaped, and fully offline: styles are inline, images are
relative paths inside the package (or ``data:`` URIs in the copy printed to PDF), and
URLs found in evidence are shown as text, never as links, so opening the report never
contacts anything (least of all a suspect's server).
"""

from __future__ import annotations

import base64
import functools
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cybercase import __version__
from cybercase.evidence import CaseMeta, CustodyEntry
from cybercase.evidence.log.state import KeyRecord
from cybercase.evidence.timestamps.records import RECEIVED_ROLE
from cybercase.evidence.verify.findings import VerificationReport
from cybercase.investigate.records import ItemAnalysis
from cybercase.report.html.leads import find_leads
from cybercase.report.layout import (
    CERTIFICATE_ROLES,
    TIMESTAMP_ROLES,
    TOKEN_ROLES,
    Plan,
    PlannedFile,
    item_title,
)
from cybercase.report.names import inside
from cybercase.report.sections import ItemContext, Section, section_for
from cybercase.report.sections.generic import describe
from cybercase.report.sections.timeline import watch_timelines
from cybercase.report.statement import ExportStatement
from cybercase.report.timestamps import PackagedToken, distinct_roots
from cybercase.report.wacz.write import REPLAY_FOLDER, WaczResult

MAX_EMBEDDED_IMAGE = 2 * 1024 * 1024

HONEST_CLAIMS = (
    "The SHA-256 hashes, the signed chain-of-custody log and the trusted timestamps in this "
    "package prove that each file has not changed since it was captured or received, when "
    "it was captured (a trusted timestamp proves that a file existed, exactly as it is now, "
    "no later than the time the timestamping authority signed; the log's own times come "
    "from the investigator's computer), and by whom (the investigator whose key signed each "
    "entry). They do not prove that what a web server or a platform sent was itself "
    "authentic, true or complete: a page can show invented content, and a server can send "
    "different content to different visitors."
)
STAGES_STATEMENT = (
    "This package is organised around the three stages that INTERPOL's guidelines on "
    "investigating wildlife cybercrime name: collecting, requesting and preserving online "
    "evidence. It claims no compliance with those guidelines, nor with any other text."
)


REPLAY_APP = "replay/index.html"
"""Where the report expects ReplayWeb.page's files (see VERIFY.txt: not shipped)."""


@dataclass(frozen=True, slots=True)
class ReplayLinks:
    """The package's WACZ and, per capture, the address of its replay."""

    wacz: str
    """Relative to the package root (``data/replay/<name>.wacz``)."""
    pages: dict[str, tuple[str, str]]
    """Item id → (URL, 14-digit capture time)."""
    screenshots: dict[str, tuple[str, str]]
    public_key: str
    timestamped: bool

    def link(self, item: str, screenshot: bool = False) -> str | None:
        """``replay/index.html?source=…#view=pages&url=…&ts=…`` for one capture."""
        from urllib.parse import quote, urlencode

        found = (self.screenshots if screenshot else self.pages).get(item)
        if found is None:
            return None
        source = quote(f"../{self.wacz}", safe="/")
        query = urlencode({"view": "pages", "url": found[0], "ts": found[1]})
        return f"{REPLAY_APP}?source={source}#{query}"


def replay_links(result: WaczResult | None) -> ReplayLinks | None:
    """What the report shows of the package's WACZ."""
    if result is None:
        return None
    captures = {p.item: (p.url, p.timestamp14) for p in result.pages if p.kind == "capture"}
    shots = {p.item: (p.url, p.timestamp14) for p in result.pages if p.kind == "screenshot"}
    return ReplayLinks(
        f"data/{REPLAY_FOLDER}/{result.path.name}",
        captures,
        shots,
        result.public_key,
        result.timestamped,
    )


@dataclass(frozen=True, slots=True)
class ReportInputs:
    """Everything the documents show, gathered once by the exporter."""

    meta: CaseMeta
    plan: Plan
    entries: list[CustodyEntry]
    keys: list[KeyRecord]
    verification: VerificationReport
    statement: ExportStatement
    root: Path
    """The package folder being built (``data/`` inside it)."""
    tokens: list[PackagedToken]
    """The trusted timestamps whose files are in the package."""
    replay: ReplayLinks | None = None
    """The package's WACZ, when it has one."""
    analyses: dict[str, ItemAnalysis] = field(default_factory=dict)
    """Each analysed item's analysis, as the custody log recorded it."""

    def read_file(self, planned: PlannedFile) -> bytes:
        """A packaged file's bytes."""
        return inside(self.root, planned.data_path).read_bytes()


@functools.cache
def _environment() -> Any:
    from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

    env = Environment(
        loader=PackageLoader("cybercase.report", "templates"),
        autoescape=select_autoescape(["html", "html.j2"], default_for_string=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["short"] = lambda digest: str(digest).removeprefix("sha256:")[:16]
    env.filters["hex"] = lambda digest: str(digest).removeprefix("sha256:")
    env.filters["size"] = _human_size
    return env


def _human_size(size: int) -> str:
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{size:,} B" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size:,} B"


def _sections(inputs: ReportInputs) -> list[Section]:
    by_item: dict[str, list[CustodyEntry]] = {}
    for entry in inputs.entries:
        for item_id in entry.items:
            by_item.setdefault(item_id, []).append(entry)
    return [
        section_for(
            ItemContext(
                plan,
                by_item.get(item_id, []),
                inputs.read_file,
                exported_at=inputs.statement.created,
                others=inputs.plan.items,
                tokens=inputs.tokens,
            )
        )
        for item_id, plan in inputs.plan.items.items()
    ]


def _image_source(inputs: ReportInputs, embed: bool) -> Callable[[PlannedFile], str | None]:
    def source(planned: PlannedFile) -> str | None:
        if not embed:
            return planned.data_path
        if planned.size > MAX_EMBEDDED_IMAGE:
            return None
        encoded = base64.b64encode(inputs.read_file(planned)).decode("ascii")
        return f"data:{planned.media_type};base64,{encoded}"

    return source


def render_index(inputs: ReportInputs, *, embed_images: bool = False) -> str:
    """``index.html`` (``embed_images`` for the self-contained copy printed to PDF)."""
    sections = _sections(inputs)
    evidence = [s for s in sections if s.data["kind"] == "evidence" and not s.data["request"]]
    requests = [
        (s, [r for r in sections if r.data["request"] == s.data["id"]])
        for s in sections
        if s.data["kind"] == "request"
    ]
    rows = []
    for section in evidence:
        plan = inputs.plan.items[section.data["id"]]
        thumb = next(
            (f for f in plan.files if f.role == "screenshot"),
            next((f for f in plan.files if f.media_type.startswith("image/")), None),
        )
        main = next((f for f in plan.files if f.role not in TIMESTAMP_ROLES), None)
        capture = section.data.get("capture")
        flag = capture.outcome.short if capture is not None else None
        rows.append(
            {
                "section": section,
                "thumb": thumb,
                "main": main,
                "flag": flag,
                "replay": inputs.replay.link(section.data["id"]) if inputs.replay else None,
            }
        )
    leads = find_leads(
        [s.data["capture"] for s in sections if "capture" in s.data], inputs.analyses
    )
    return str(
        _environment()
        .get_template("index.html.j2")
        .render(
            meta=inputs.meta,
            statement=inputs.statement,
            sections=sections,
            evidence=evidence,
            requests=requests,
            rows=rows,
            leads=leads,
            analyses=inputs.analyses,
            timelines=watch_timelines(inputs.entries, inputs.plan.items),
            tokens=inputs.tokens,
            replay=inputs.replay,
            token_digests={f.data_path: f.digest for f in inputs.plan.by_role(*TOKEN_ROLES)},
            certificates=inputs.plan.by_role(RECEIVED_ROLE, *CERTIFICATE_ROLES),
            entries=[
                {
                    "seq": e.seq,
                    "at": e.at,
                    "actor": e.actor_name,
                    "action": e.action,
                    "item_ids": ", ".join(e.items),
                    "description": describe(e),
                }
                for e in inputs.entries
            ],
            keys=inputs.keys,
            verification=inputs.verification,
            plan=inputs.plan,
            image=_image_source(inputs, embed_images),
            honest_claims=HONEST_CLAIMS,
            stages_statement=STAGES_STATEMENT,
            version=__version__,
            title_of=item_title,
        )
    )


def render_custody(inputs: ReportInputs) -> str:
    """``data/4-custody/custody.html``: every entry in full, for reading."""
    return str(
        _environment()
        .get_template("custody.html.j2")
        .render(
            meta=inputs.meta,
            statement=inputs.statement,
            entries=[
                {
                    "seq": e.seq,
                    "at": e.at,
                    "actor": e.actor_name,
                    "key": e.actor_key,
                    "action": e.action,
                    "item_ids": ", ".join(e.items),
                    "hash": e.hash,
                    "prev": e.prev,
                    "detail": json.dumps(e.detail, indent=2, ensure_ascii=False),
                }
                for e in inputs.entries
            ],
            keys=inputs.keys,
            version=__version__,
        )
    )


def render_replay_placeholder(inputs: ReportInputs) -> str:
    """``replay/index.html``: what a replay link shows until ReplayWeb.page is put there."""
    return str(
        _environment().get_template("replay.html.j2").render(meta=inputs.meta, replay=inputs.replay)
    )


def render_verify_txt(inputs: ReportInputs, warcs: list[str], package_name: str) -> str:
    """``VERIFY.txt``: how to verify the package with standard tools only."""
    return str(
        _environment()
        .get_template("VERIFY.txt.j2")
        .render(
            meta=inputs.meta,
            statement=inputs.statement,
            item_tokens=[t for t in inputs.tokens if t.kind == "item"],
            seals=[t for t in inputs.tokens if t.kind == "seal"],
            roots=distinct_roots(inputs.tokens),
            warcs=warcs,
            package_name=package_name,
            replay=inputs.replay,
            root_key=inputs.entries[0].actor_key if inputs.entries else "",
            honest_claims=HONEST_CLAIMS,
            stages_statement=STAGES_STATEMENT,
            version=__version__,
        )
    )
