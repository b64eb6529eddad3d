"""The search index across every registered case: SQLite with FTS5, rebuildable at will.

The index is ``<cybercase home>/index.sqlite``, beside the registry (``cases.json``),
never inside a case: it covers many cases, and searching must never change one. It is a
cache of what the cases say — each item's analysis (:mod:`.analysis`): the stored one
when it is current, else one computed in memory for the index — so it may be deleted at
any time; ``cybercase index rebuild`` (or the next search) builds it again, with the same
results. A case that cannot be opened is named in the ``cases`` table with its error and
skipped; the others are indexed.

Row schema (``SCHEMA_VERSION`` 1), for whoever reads the file directly; the supported
way is :func:`iter_case_rows`, which yields the same facts as typed rows:

``meta(key, value)``
    ``schema``, ``tool`` (cybercase version), ``lexicon`` (digest), ``region``, ``built``.
``cases(id, path, case_id, title, stamp, indexed_at, error, items)``
    one row per registered case; ``stamp`` is what was seen when it was indexed (custody
    log size and mtime, the derived folder's mtime), ``error`` is why it was skipped.
``items(id, case_ref, item_id, kind, url, title, acquired, tool, lexicon, region, body)``
    one row per evidence item; ``body`` is the item's text as indexed (characters of
    unspaced scripts separated by U+200B ZERO WIDTH SPACE, which FTS5's ``unicode61``
    tokenizer treats as a separator, so that Chinese and Thai are searchable).
``items_fts``
    FTS5 over ``items.body`` (external content; ``remove_diacritics 2``).
``entities(item_ref, kind, value, text, artifact, offset, note)``
``hits(item_ref, term, matched, species, cites, lang, kind, artifact, offset, source, lexicon)``
    one row per species a hit points at (``species`` is its scientific name, ``cites``
    the Appendices joined by ``/``).
``images(item_ref, artifact, sha256, phash, algorithm, width, height, not_hashed, url,
camera, serial, lat, lon)``
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from cybercase.errors import CybercaseError, StorageError
from cybercase.investigate.analysis import (
    DERIVED_DIR,
    TOOL,
    AnalysisSettings,
    current_analysis,
    is_evidence,
)
from cybercase.investigate.lexicon import is_unspaced
from cybercase.investigate.records import ItemAnalysis
from cybercase.investigate.registry import Registry

INDEX_NAME = "index.sqlite"

SCHEMA_VERSION = "1"

ZWSP = "\u200b"

BUSY_TIMEOUT = 60.0
"""Seconds a search waits for another process that is updating the index."""

_SCHEMA = f"""
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE cases(
    id INTEGER PRIMARY KEY, path TEXT UNIQUE NOT NULL, case_id TEXT, title TEXT,
    stamp TEXT, indexed_at TEXT, error TEXT, items INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE items(
    id INTEGER PRIMARY KEY, case_ref INTEGER NOT NULL REFERENCES cases(id),
    item_id TEXT NOT NULL, kind TEXT, url TEXT, title TEXT, acquired TEXT,
    tool TEXT, lexicon TEXT, region TEXT, body TEXT NOT NULL,
    UNIQUE(case_ref, item_id)
);
CREATE VIRTUAL TABLE items_fts USING fts5(
    body, content='items', content_rowid='id', tokenize='unicode61 remove_diacritics 2'
);
CREATE TABLE entities(
    item_ref INTEGER NOT NULL REFERENCES items(id), kind TEXT NOT NULL, value TEXT NOT NULL,
    text TEXT, artifact TEXT, offset INTEGER, note TEXT
);
CREATE INDEX entities_value ON entities(kind, value);
CREATE TABLE hits(
    item_ref INTEGER NOT NULL REFERENCES items(id), term TEXT, matched TEXT,
    species TEXT NOT NULL, cites TEXT, lang TEXT, kind TEXT, artifact TEXT, offset INTEGER,
    source TEXT, lexicon TEXT
);
CREATE INDEX hits_species ON hits(species COLLATE NOCASE);
CREATE TABLE images(
    item_ref INTEGER NOT NULL REFERENCES items(id), artifact TEXT, sha256 TEXT, phash TEXT,
    algorithm TEXT, width INTEGER, height INTEGER, not_hashed TEXT, url TEXT, camera TEXT,
    serial TEXT, lat REAL, lon REAL
);
CREATE INDEX images_sha ON images(sha256);
INSERT INTO meta(key, value) VALUES ('schema', '{SCHEMA_VERSION}');
"""


def index_body(text: str) -> str:
    """The text as indexed: unspaced-script characters separated by U+200B."""
    if text.isascii():
        return text
    out: list[str] = []
    previous_unspaced = False
    for char in text:
        unspaced = is_unspaced(char) if not char.isascii() else False
        if unspaced and previous_unspaced:
            out.append(ZWSP)
        out.append(char)
        previous_unspaced = unspaced
    return "".join(out)


def index_path(home: Path) -> Path:
    """Where the index lives."""
    return home / INDEX_NAME


def _case_stamp(folder: Path, settings: AnalysisSettings) -> str:
    """What must not have changed for the case's rows to still be current."""
    try:
        log = (folder / "custody.jsonl").stat()
    except OSError:
        return "missing"
    try:
        derived = (folder / DERIVED_DIR).stat().st_mtime_ns
    except OSError:
        derived = 0
    return (
        f"{log.st_size}:{log.st_mtime_ns}:{derived}:{TOOL}:{settings.lexicon.digest}:"
        f"{settings.region or ''}"
    )


@dataclass(slots=True)
class IndexReport:
    """What a build or refresh did."""

    path: Path
    indexed: list[str] = field(default_factory=list)
    """Folders of the cases (re)indexed."""
    unchanged: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)
    """``(folder, reason)`` of each case that could not be opened."""
    items: int = 0
    computed: int = 0
    """Items whose analysis was computed for the index (no current stored analysis)."""
    rebuilt: bool = False
    """Whether the whole index was made anew (deleted, damaged, other schema)."""


def connect(path: Path) -> sqlite3.Connection:
    connection = sqlite3.connect(path, isolation_level=None, timeout=BUSY_TIMEOUT)
    connection.execute("PRAGMA foreign_keys = ON")
    return connection


def _create(path: Path) -> sqlite3.Connection:
    connection = connect(path)
    connection.execute("PRAGMA journal_mode = WAL")
    connection.executescript(_SCHEMA)
    return connection


def _remove(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        with contextlib.suppress(FileNotFoundError):
            os.unlink(f"{path}{suffix}")


def _delete_case(connection: sqlite3.Connection, case_ref: int) -> None:
    items = "SELECT id FROM items WHERE case_ref = ?"
    connection.execute(
        "INSERT INTO items_fts(items_fts, rowid, body) "
        "SELECT 'delete', id, body FROM items WHERE case_ref = ?",
        (case_ref,),
    )
    for table in ("entities", "hits", "images"):
        connection.execute(f"DELETE FROM {table} WHERE item_ref IN ({items})", (case_ref,))
    connection.execute("DELETE FROM items WHERE case_ref = ?", (case_ref,))


def _insert_item(connection: sqlite3.Connection, case_ref: int, analysis: ItemAnalysis) -> None:
    body = index_body(analysis.text)
    cursor = connection.execute(
        "INSERT INTO items(case_ref, item_id, kind, url, title, acquired, tool, lexicon, "
        "region, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            case_ref,
            analysis.item_id,
            analysis.kind,
            analysis.url,
            analysis.title,
            analysis.acquired,
            analysis.tool,
            analysis.lexicon,
            analysis.region,
            body,
        ),
    )
    rowid = cursor.lastrowid
    connection.execute("INSERT INTO items_fts(rowid, body) VALUES (?, ?)", (rowid, body))
    connection.executemany(
        "INSERT INTO entities VALUES (?, ?, ?, ?, ?, ?, ?)",
        [(rowid, e.kind, e.value, e.text, e.artifact, e.offset, e.note) for e in analysis.entities],
    )
    connection.executemany(
        "INSERT INTO hits VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (
                rowid,
                h.term,
                h.matched,
                species,
                "/".join(h.cites),
                h.lang,
                h.kind,
                h.artifact,
                h.offset,
                h.source,
                h.lexicon,
            )
            for h in analysis.hits
            for species in h.species
        ],
    )
    connection.executemany(
        "INSERT INTO images VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [(rowid, *i.columns()) for i in analysis.images],
    )


def _now() -> str:
    from cybercase.clock import format_utc

    return format_utc(datetime.now(tz=UTC))


def _index_case(
    connection: sqlite3.Connection,
    folder: Path,
    settings: AnalysisSettings,
    report: IndexReport,
    on_item: Callable[[str], None] | None,
) -> None:
    stamp = _case_stamp(folder, settings)
    row = connection.execute("SELECT id FROM cases WHERE path = ?", (str(folder),)).fetchone()
    connection.execute("BEGIN")
    try:
        if row is None:
            case_ref = connection.execute(
                "INSERT INTO cases(path) VALUES (?)", (str(folder),)
            ).lastrowid
        else:
            case_ref = row[0]
            _delete_case(connection, case_ref)
        assert case_ref is not None
        try:
            from cybercase.evidence import Case

            case = Case.open(folder)
            count = 0
            for item_id in case.state.evidence_ids():
                view = case.state.items[item_id]
                if not is_evidence(view):
                    continue
                analysis, stored = current_analysis(case, view, settings)
                report.computed += 0 if stored else 1
                _insert_item(connection, case_ref, analysis)
                count += 1
                if on_item is not None:
                    on_item(item_id)
        except (CybercaseError, OSError, ValueError) as exc:
            _delete_case(connection, case_ref)
            message = exc.one_line() if isinstance(exc, CybercaseError) else str(exc)
            connection.execute(
                "UPDATE cases SET case_id = NULL, title = NULL, stamp = NULL, indexed_at = ?, "
                "error = ?, items = 0 WHERE id = ?",
                (_now(), message, case_ref),
            )
            report.skipped.append((str(folder), message))
        else:
            connection.execute(
                "UPDATE cases SET case_id = ?, title = ?, stamp = ?, indexed_at = ?, "
                "error = NULL, items = ? WHERE id = ?",
                (case.meta.id, case.meta.title, stamp, _now(), count, case_ref),
            )
            report.indexed.append(str(folder))
            report.items += count
        connection.execute("COMMIT")
    except BaseException:
        connection.execute("ROLLBACK")
        raise


def _write_meta(connection: sqlite3.Connection, settings: AnalysisSettings) -> None:
    rows = {
        "tool": TOOL,
        "lexicon": settings.lexicon.digest,
        "region": settings.region or "",
        "built": _now(),
    }
    connection.executemany(
        "INSERT INTO meta(key, value) VALUES (?, ?) "
        "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        list(rows.items()),
    )


def build_index(
    home: Path,
    settings: AnalysisSettings,
    on_item: Callable[[str], None] | None = None,
) -> IndexReport:
    """Build the index anew from every registered case, then put it in place.

    It is built under a temporary name and renamed over the old one, so a search never
    sees half an index and an interrupted rebuild leaves the previous one.
    """
    registry = Registry.load(home)
    target = index_path(home)
    tmp = home / f".{INDEX_NAME}.{os.getpid()}.building"
    home.mkdir(parents=True, exist_ok=True)
    _remove(tmp)
    report = IndexReport(target, rebuilt=True)
    try:
        with contextlib.closing(_create(tmp)) as connection:
            for folder in registry.case_folders():
                _index_case(connection, folder, settings, report, on_item)
            _write_meta(connection, settings)
            connection.execute("PRAGMA journal_mode = DELETE")
        _remove(target)
        os.replace(tmp, target)
    except sqlite3.Error as exc:
        raise StorageError(f"cannot build the index {target}: {exc}") from exc
    finally:
        _remove(tmp)
    return report


def refresh_index(
    home: Path,
    settings: AnalysisSettings,
    on_item: Callable[[str], None] | None = None,
) -> IndexReport:
    """Bring the index up to date: reindex only the cases that changed since.

    A case is unchanged when its custody log and derived folder look as they did (size
    and modification times) and the tool, lexicon and region are the same: checking
    costs a few ``stat`` calls per case, so every search can afford it. A missing or
    unreadable index, or one of another schema, is rebuilt whole.
    """
    target = index_path(home)
    if not target.exists():
        return build_index(home, settings, on_item)
    folders = Registry.load(home).case_folders()
    report = IndexReport(target)
    try:
        with contextlib.closing(connect(target)) as connection:
            row = connection.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
            if row is None or row[0] != SCHEMA_VERSION:
                raise sqlite3.DatabaseError(f"schema {row[0] if row else None}")
            known = dict(connection.execute("SELECT path, stamp FROM cases").fetchall())
            for path in set(known) - {str(f) for f in folders}:
                ref = connection.execute("SELECT id FROM cases WHERE path = ?", (path,)).fetchone()
                connection.execute("BEGIN")
                _delete_case(connection, ref[0])
                connection.execute("DELETE FROM cases WHERE id = ?", (ref[0],))
                connection.execute("COMMIT")
            for folder in folders:
                if known.get(str(folder)) == _case_stamp(folder, settings):
                    report.unchanged += 1
                    continue
                _index_case(connection, folder, settings, report, on_item)
            if report.indexed or report.skipped:
                _write_meta(connection, settings)
    except sqlite3.DatabaseError:
        _remove(target)
        return build_index(home, settings, on_item)
    return report


__all__ = ["INDEX_NAME", "SCHEMA_VERSION", "IndexReport", "build_index", "refresh_index"]
