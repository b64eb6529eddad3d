"""The analysis of an item: its text, entities, lexicon hits, image hashes and EXIF facts.

Analysis is *derived*: it is a pure function of the item's committed artifacts, the
lexicon and the default phone region, and writes nothing into the evidence. It runs
when asked (``cybercase analyze [ITEM...]``), never inside a capture or an import, so
it cannot slow or break the commit of evidence. Its result for an item is one JSON file,
``<case>/derived/analysis/<ITEM>.json`` (:class:`ItemAnalysis`), written atomically;
deleting the ``derived`` folder loses nothing, ``cybercase analyze`` writes the same
bytes again (no clock in the file).

Each run adds **one** signed custody entry, ``analysis.ran``, naming the items analysed,
the cybercase version, the lexicon's digest (and every lexicon file's name, version
and digest), the default region and the SHA-256 of each item's result file: the log
says that the analysis ran and with what, and anyone can re-run it and compare.

Where the text comes from: for a capture, the browser's rendered DOM (``rendered.html``)
when a browser ran, else the text extracted from the served HTML (``text.txt``); for an
imported file, its text when it is text or HTML. Images: every ``image`` artifact of a
capture and every imported image; screenshots are excluded (they picture the page, not
a seller's photo). Offsets are character offsets in the text of the named artifact.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from cybercase import __version__
from cybercase.errors import CaseCorruptError, InvalidInputError
from cybercase.evidence import Case, EntryDraft, ItemView, Signer
from cybercase.evidence.fsio import (
    fsync_dir,
    storage_error,
    syncfs,
    temp_name,
    write_bytes_durably,
)
from cybercase.investigate.actions import ANALYSIS_RAN, AnalysisRanDetail, LexiconUsed
from cybercase.investigate.entities import find_entities
from cybercase.investigate.extract import item_images, item_texts
from cybercase.investigate.lexicon import Lexicon, load_lexicon
from cybercase.investigate.records import EntityRecord, HitRecord, ItemAnalysis

ANALYSIS_ACTION = ANALYSIS_RAN
"""``analysis.ran`` (the name :mod:`cybercase.investigate.actions` registers)."""

DERIVED_DIR = Path("derived") / "analysis"

TOOL = f"cybercase {__version__}"

EVIDENCE_ACTIONS = ("item.acquired", "item.imported")


@dataclass(frozen=True, slots=True)
class AnalysisSettings:
    """What an analysis depends on besides the evidence."""

    lexicon: Lexicon
    region: str | None = None

    @classmethod
    def load(cls, config: Path | None = None) -> AnalysisSettings:
        """From the ``[investigate]`` table: ``default_region``, ``lexicons`` (paths)."""
        from cybercase.settings import config_path, load_config, section

        table = section(load_config(config), "investigate")
        region = table.get("default_region")
        if region is not None and (not isinstance(region, str) or len(region) != 2):
            raise InvalidInputError(
                "investigate setting default_region: an ISO 3166 country code such as 'KE'"
            )
        files = table.get("lexicons", [])
        if not isinstance(files, list) or not all(isinstance(f, str) for f in files):
            raise InvalidInputError("investigate setting lexicons: a list of file paths")
        base = config_path(config).parent
        paths = [(base / Path(f).expanduser()) for f in files]
        return cls(load_lexicon(paths), region.upper() if region else None)


def analysis_path(case: Case, item_id: str) -> Path:
    """Where an item's analysis is kept."""
    return case.root / DERIVED_DIR / f"{item_id}.json"


def _write_derived(target: Path, data: bytes) -> Path:
    """Replace a result file atomically; made durable for the whole run at once (syncfs)."""
    tmp = temp_name(target.parent, target.name)
    try:
        tmp.write_bytes(data)
        os.replace(tmp, target)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise storage_error("write", target, exc) from exc
    return target


def is_evidence(view: ItemView) -> bool:
    """Whether an item is evidence that analysis reads (a capture or an imported file)."""
    return view.kind == "evidence" and view.created_action in EVIDENCE_ACTIONS


def analyse_item(case: Case, view: ItemView, settings: AnalysisSettings) -> ItemAnalysis:
    """Analyse one item in memory (nothing is written)."""
    detail = view.detail
    kind = "capture" if detail.get("kind") == "capture" else "file"
    url = detail.get("final_url") or detail.get("url")
    title = detail.get("title") or detail.get("original_name")
    texts = item_texts(case, view, kind, url if isinstance(url, str) else "")
    entities: list[EntityRecord] = []
    hits: list[HitRecord] = []
    for part in texts:
        for entity in find_entities(part.text, region=settings.region):
            entities.append(
                EntityRecord(
                    kind=entity.kind,
                    value=entity.value,
                    text=entity.text,
                    artifact=part.artifact,
                    offset=entity.offset,
                    note=entity.note,
                )
            )
        for hit in settings.lexicon.find(part.text):
            hits.append(
                HitRecord(
                    term=hit.term,
                    matched=hit.matched,
                    artifact=part.artifact,
                    offset=hit.offset,
                    lang=hit.lang,
                    kind=hit.kind,
                    species=list(hit.species),
                    cites=list(hit.cites),
                    source=hit.source,
                    lexicon=hit.lexicon,
                )
            )
    return ItemAnalysis(
        case_id=case.meta.id,
        item_id=view.id,
        tool=TOOL,
        lexicon=settings.lexicon.digest,
        region=settings.region,
        kind=kind,
        url=url if isinstance(url, str) else None,
        title=title if isinstance(title, str) else None,
        acquired=view.created_at,
        texts=texts,
        entities=entities,
        hits=hits,
        images=item_images(case, view, kind),
    )


def item_analysis(case: Case, item_id: str) -> ItemAnalysis | None:
    """The stored analysis of an item, if one was written and can be read."""
    path = analysis_path(case, item_id)
    try:
        data = path.read_bytes()
    except OSError:
        return None
    try:
        return ItemAnalysis.model_validate_json(data)
    except ValidationError:
        return None


def current_analysis(
    case: Case, view: ItemView, settings: AnalysisSettings
) -> tuple[ItemAnalysis, bool]:
    """The stored analysis when it matches these settings, else a fresh one (not stored).

    The second value says whether the stored file was used.
    """
    stored = item_analysis(case, view.id)
    if (
        stored is not None
        and stored.tool == TOOL
        and stored.lexicon == settings.lexicon.digest
        and stored.region == settings.region
    ):
        return stored, True
    return analyse_item(case, view, settings), False


@dataclass(slots=True)
class AnalysisRun:
    """What one ``cybercase analyze`` did."""

    items: list[ItemAnalysis] = field(default_factory=list)
    entry_seq: int | None = None
    lexicon: str = ""
    region: str | None = None

    def summary(self) -> dict[str, int]:
        """Counts for the entry and the CLI."""
        return {
            "items": len(self.items),
            "entities": sum(len(a.entities) for a in self.items),
            "lexicon_hits": sum(len(a.hits) for a in self.items),
            "images_hashed": sum(1 for a in self.items for i in a.images if i.phash),
            "images_not_hashed": sum(1 for a in self.items for i in a.images if i.not_hashed),
        }


def _targets(case: Case, item_ids: Sequence[str]) -> list[ItemView]:
    if item_ids:
        views = [case.item(i) for i in item_ids]
        for view in views:
            if not is_evidence(view):
                raise InvalidInputError(
                    f"{view.id} is not an evidence item (captured or imported); nothing to analyse"
                )
        return views
    return [
        case.state.items[i] for i in case.state.evidence_ids() if is_evidence(case.state.items[i])
    ]


def iter_analyses(
    case: Case, views: Sequence[ItemView], settings: AnalysisSettings
) -> Iterator[ItemAnalysis]:
    """Analyse items one after the other (a generator, so progress can follow)."""
    for view in views:
        yield analyse_item(case, view, settings)


def analyze_case(
    case: Case,
    signer: Signer,
    settings: AnalysisSettings,
    item_ids: Sequence[str] = (),
    on_item: Callable[[ItemAnalysis], None] | None = None,
) -> AnalysisRun:
    """Analyse items (all evidence items by default), store the results, log one entry.

    The result files are written first (each atomically, all made durable by one
    ``syncfs``), then the signed ``analysis.ran`` entry naming them by hash. A crash in
    between leaves result files that no entry names: harmless, the next run rewrites them.
    """
    views = _targets(case, item_ids)
    run = AnalysisRun(lexicon=settings.lexicon.digest, region=settings.region)
    folder = case.root / DERIVED_DIR
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise storage_error("create", folder, exc) from exc
    results: dict[str, str] = {}
    written: list[Path] = []
    for analysis in iter_analyses(case, views, settings):
        data = analysis.to_bytes()
        written.append(_write_derived(folder / f"{analysis.item_id}.json", data))
        results[analysis.item_id] = "sha256:" + hashlib.sha256(data).hexdigest()
        run.items.append(analysis)
        if on_item is not None:
            on_item(analysis)
    if not run.items:
        return run
    if not syncfs(folder):
        for path in written:
            write_bytes_durably(path, path.read_bytes(), sync_dir=False)
        fsync_dir(folder)
    summary = run.summary()
    detail = AnalysisRanDetail(
        tool=TOOL,
        lexicon=settings.lexicon.digest,
        lexicons=[
            LexiconUsed(name=name, lexicon=parsed.lexicon.name, version=parsed.lexicon.version)
            for name, parsed in settings.lexicon.files
        ],
        default_region=settings.region,
        derived=DERIVED_DIR.as_posix(),
        results=results,
        summary=summary,
        result=(
            f"{summary['items']} item(s): {summary['entities']} entities, "
            f"{summary['lexicon_hits']} lexicon hits, {summary['images_hashed']} images hashed"
        ),
    )
    committed = case.append(
        signer, EntryDraft.of(ANALYSIS_ACTION, detail, tuple(a.item_id for a in run.items))
    )
    run.entry_seq = committed[-1].seq
    return run


def logged_analyses(case: Case) -> dict[str, ItemAnalysis]:
    """Each item's stored analysis whose bytes are those its last ``analysis.ran`` logged.

    What a report shows must be what the custody log says was produced: a result file
    changed or written since the last logged run is left out (the item shows as not
    analysed), never presented as the analysis.
    """
    logged: dict[str, str] = {}
    for entry in case.entries():
        if entry.action != ANALYSIS_ACTION:
            continue
        try:
            ran = entry.detail_as(AnalysisRanDetail)
        except CaseCorruptError:
            continue  # an entry this version cannot read names no result it can trust
        logged.update(ran.results)
    found: dict[str, ItemAnalysis] = {}
    for item_id, digest in logged.items():
        path = analysis_path(case, item_id)
        try:
            data = path.read_bytes()
        except OSError:
            continue
        if "sha256:" + hashlib.sha256(data).hexdigest() != digest:
            continue
        try:
            found[item_id] = ItemAnalysis.model_validate_json(data)
        except ValidationError:
            continue
    return found


__all__ = [
    "ANALYSIS_ACTION",
    "DERIVED_DIR",
    "AnalysisRun",
    "AnalysisSettings",
    "analyse_item",
    "analysis_path",
    "analyze_case",
    "current_analysis",
    "item_analysis",
    "logged_analyses",
]
