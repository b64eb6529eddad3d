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
import re
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from cybercase.errors import CybercaseError, InvalidInputError, StorageError
from cybercase.investigate.analysis import (
    DERIVED_DIR,
    TOOL,
    AnalysisSettings,
    EntityRecord,
    HitRecord,
    ImageRecord,
    ItemAnalysis,
    current_analysis,
    is_evidence,
)
from cybercase.investigate.lexicon import is_unspaced
from cybercase.investigate.registry import Registry

__all__ = [
    "INDEX_NAME",
    "SCHEMA_VERSION",
    "IndexReport",
    "IndexedCase",
    "IndexedItem",
    "SearchHit",
    "SearchResult",
    "build_index",
    "iter_case_rows",
    "refresh_index",
    "search",
]

INDEX_NAME = "index.sqlite"
SCHEMA_VERSION = "1"
ZWSP = "\u200b"
BUSY_TIMEOUT = 60.0
"""Seconds a search waits for another process that is updating the index."""
_SNIPPET_OPEN = "\x02"
_SNIPPET_CLOSE = "\x03"

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


def _connect(path: Path) -> sqlite3.Connection:
    connection = sqlite3.connect(path, isolation_level=None, timeout=BUSY_TIMEOUT)
    connection.execute("PRAGMA foreign_keys = ON")
    return connection


def _create(path: Path) -> sqlite3.Connection:
    connection = _connect(path)
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
        with contextlib.closing(_connect(target)) as connection:
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


# -- reading ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class IndexedCase:
    """A case as the index knows it."""

    path: str
    case_id: str | None
    title: str | None
    indexed_at: str | None
    error: str | None
    """Why the case was skipped (``None`` when it was indexed)."""
    items: int


@dataclass(frozen=True, slots=True)
class IndexedItem:
    """One item's row with everything the index holds for it."""

    case_id: str
    case_path: str
    item_id: str
    kind: str
    url: str | None
    title: str | None
    acquired: str
    tool: str
    lexicon: str
    region: str | None
    text: str
    """The item's extracted text (as analysed, without the index's separators)."""
    entities: tuple[EntityRecord, ...]
    hits: tuple[HitRecord, ...]
    """One per hit (species merged back into one record)."""
    images: tuple[ImageRecord, ...]


def _open_for_reading(home: Path) -> sqlite3.Connection:
    target = index_path(home)
    if not target.exists():
        raise InvalidInputError(
            f"there is no index yet at {target}",
            hint="register cases with 'cybercase cases add DIR', then 'cybercase index rebuild'",
        )
    return _connect(target)


def _item_rows(
    connection: sqlite3.Connection, case_ref: int, case: IndexedCase
) -> Iterator[IndexedItem]:
    rows = connection.execute(
        "SELECT id, item_id, kind, url, title, acquired, tool, lexicon, region, body "
        "FROM items WHERE case_ref = ? ORDER BY id",
        (case_ref,),
    ).fetchall()
    for rowid, item_id, kind, url, title, acquired, tool, lexicon, region, body in rows:
        entities = tuple(
            EntityRecord(kind=k, value=v, text=t, artifact=a, offset=o, note=n)
            for k, v, t, a, o, n in connection.execute(
                "SELECT kind, value, text, artifact, offset, note FROM entities "
                "WHERE item_ref = ? ORDER BY rowid",
                (rowid,),
            )
        )
        merged: dict[tuple[object, ...], HitRecord] = {}
        for (
            term,
            matched,
            species,
            cites,
            lang,
            hkind,
            artifact,
            offset,
            source,
            lex,
        ) in connection.execute(
            "SELECT term, matched, species, cites, lang, kind, artifact, offset, source, "
            "lexicon FROM hits WHERE item_ref = ? ORDER BY rowid",
            (rowid,),
        ):
            key = (term, artifact, offset, lex)
            if key in merged:
                previous = merged[key]
                merged[key] = previous.model_copy(update={"species": [*previous.species, species]})
            else:
                merged[key] = HitRecord(
                    term=term,
                    matched=matched,
                    artifact=artifact,
                    offset=offset,
                    lang=lang,
                    kind=hkind,
                    species=[species],
                    cites=[c for c in cites.split("/") if c],
                    source=source,
                    lexicon=lex,
                )
        images = tuple(
            ImageRecord(
                artifact=a,
                sha256=s,
                phash=p,
                algorithm=al,
                width=w,
                height=h,
                not_hashed=nh,
                url=u,
                camera=c,
                serial=se,
                gps=(lat, lon) if lat is not None else None,
            )
            for a, s, p, al, w, h, nh, u, c, se, lat, lon in connection.execute(
                "SELECT artifact, sha256, phash, algorithm, width, height, not_hashed, url, "
                "camera, serial, lat, lon FROM images WHERE item_ref = ? ORDER BY rowid",
                (rowid,),
            )
        )
        yield IndexedItem(
            case_id=case.case_id or "",
            case_path=case.path,
            item_id=item_id,
            kind=kind,
            url=url,
            title=title,
            acquired=acquired,
            tool=tool,
            lexicon=lexicon,
            region=region,
            text=body.replace(ZWSP, ""),
            entities=entities,
            hits=tuple(merged.values()),
            images=images,
        )


def iter_case_rows(
    home: Path, case_ids: Sequence[str] = ()
) -> Iterator[tuple[IndexedCase, Iterator[IndexedItem]]]:
    """Each indexed case (all, or those with these case ids) and an iterator of its items.

    This is the supported way to read the index (an agency publishing it elsewhere reads
    it through this); skipped cases come with their error and no items. Consume each
    case's items before moving to the next case.
    """
    with contextlib.closing(_open_for_reading(home)) as connection:
        cases = connection.execute(
            "SELECT id, path, case_id, title, indexed_at, error, items FROM cases ORDER BY path"
        ).fetchall()
        for case_ref, path, case_id, title, indexed_at, error, items in cases:
            if case_ids and case_id not in case_ids:
                continue
            case = IndexedCase(path, case_id, title, indexed_at, error, items)
            yield case, _item_rows(connection, case_ref, case)


# -- searching -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SearchHit:
    """One item that matches a search."""

    case_id: str
    case_path: str
    item_id: str
    kind: str
    title: str | None
    url: str | None
    acquired: str
    snippet: str
    """Text around the match, the matched words between « and »."""
    entities: list[str]
    """``kind:value`` of the entities that matched ``--entity``."""
    species: list[str]
    """Lexicon hits that matched ``--species``: ``term (Species, CITES I)``."""


@dataclass(frozen=True, slots=True)
class SearchResult:
    """A search's hits and the cases it could not search."""

    hits: list[SearchHit]
    skipped: list[tuple[str, str]]
    """``(folder, reason)`` of each registered case that failed to open."""
    cases: int
    """Cases searched."""
    refreshed: IndexReport | None = None


_TOKEN = re.compile(r'"([^"]*)"|(\S+)')


def fts_query(text: str) -> str:
    """The user's words as a safe FTS5 query: quoted phrases and words, all required.

    ``white gold`` finds both words; ``"white gold"`` the phrase; ``ivor*`` a prefix.
    Nothing the user types can reach FTS5's own syntax (every token is quoted).
    """
    parts: list[str] = []
    for phrase, word in _TOKEN.findall(text):
        value = phrase if phrase else word
        prefix = not phrase and value.endswith("*") and len(value) > 1
        value = value.rstrip("*") if prefix else value
        value = index_body(value).replace('"', " ").replace("\x00", " ").strip()
        if not value:
            continue
        parts.append(f'"{value}"' + ("*" if prefix else ""))
    return " AND ".join(parts)


def normalise_entity(spec: str, region: str | None) -> tuple[str | None, str]:
    """``kind:value`` (or a bare value) as the index stores it: a phone as E.164..."""
    kind, sep, value = spec.partition(":")
    if not sep or kind not in {
        "phone", "email", "url", "handle", "telegram", "whatsapp", "wechat", "line",
        "btc", "eth", "trx", "price",
    }:  # fmt: skip
        kind, value = "", spec
    value = value.strip()
    if kind in ("phone", "whatsapp") or (not kind and value.startswith("+")):
        import phonenumbers

        try:
            number = phonenumbers.parse(value, region or None)
            value = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
        except phonenumbers.NumberParseException as exc:
            raise InvalidInputError(f"{value!r} is not a phone number: {exc}") from exc
    elif kind in ("handle", "telegram", "wechat", "line"):
        value = value.lstrip("@").lower()
    elif kind in ("email", "eth") or value.lower().startswith("0x"):
        value = value.lower()
    return (kind or None), value


def search(
    home: Path,
    settings: AnalysisSettings,
    query: str | None = None,
    *,
    entity: str | None = None,
    species: str | None = None,
    limit: int = 50,
    refresh: bool = True,
) -> SearchResult:
    """Items of every registered case matching the words, an entity and/or a species.

    The index is refreshed first (only the cases that changed are reindexed); pass
    ``refresh=False`` to search it as it is. Cases are opened read-only: nothing in a
    case changes.
    """
    if not (query and query.strip()) and not entity and not species:
        raise InvalidInputError(
            "nothing to search for", hint="give words, --entity KIND:VALUE or --species NAME"
        )
    refreshed = refresh_index(home, settings) if refresh else None
    clauses: list[str] = []
    params: list[object] = []
    select_rank = "0"
    joins = ""
    if query and query.strip():
        match = fts_query(query)
        if not match:
            raise InvalidInputError(f"no searchable word in {query!r}")
        joins += " JOIN items_fts ON items_fts.rowid = items.id"
        clauses.append("items_fts MATCH ?")
        params.append(match)
        select_rank = "bm25(items_fts)"
        snippet = f"snippet(items_fts, 0, '{_SNIPPET_OPEN}', '{_SNIPPET_CLOSE}', '…', 16)"
    else:
        snippet = "substr(items.body, 1, 160)"
    entity_kind, entity_value = (None, "")
    if entity:
        entity_kind, entity_value = normalise_entity(entity, settings.region)
        sub = "SELECT item_ref FROM entities WHERE value = ?"
        params_sub: list[object] = [entity_value]
        if entity_kind:
            sub += " AND kind = ?"
            params_sub.append(entity_kind)
        clauses.append(f"items.id IN ({sub})")
        params.extend(params_sub)
    names: list[str] = []
    if species:
        names = settings.lexicon.resolve_species(species) or [species.strip()]
        marks = ", ".join("?" for _ in names)
        clauses.append(
            f"items.id IN (SELECT item_ref FROM hits WHERE species COLLATE NOCASE IN ({marks}))"
        )
        params.extend(names)
    sql = (
        f"SELECT items.id, cases.case_id, cases.path, items.item_id, items.kind, items.title, "
        f"items.url, items.acquired, {snippet}, {select_rank} AS rank FROM items "
        f"JOIN cases ON cases.id = items.case_ref{joins} WHERE {' AND '.join(clauses)} "
        f"ORDER BY rank, cases.path, items.id LIMIT ?"
    )
    params.append(max(1, limit))
    try:
        return _run_search(home, sql, params, entity, entity_value, names, refreshed)
    except sqlite3.OperationalError as exc:
        if "malformed" not in str(exc) and "not a database" not in str(exc):
            raise InvalidInputError(f"cannot search for {query!r}: {exc}") from exc
        damaged: sqlite3.DatabaseError = exc
    except sqlite3.DatabaseError as exc:
        damaged = exc
    if not refresh:
        raise StorageError(
            f"the index {index_path(home)} is damaged: {damaged}",
            hint="run 'cybercase index rebuild' (the index is derived; nothing is lost)",
        ) from damaged
    rebuilt = build_index(home, settings)
    return _run_search(home, sql, params, entity, entity_value, names, rebuilt)


def _run_search(
    home: Path,
    sql: str,
    params: list[object],
    entity: str | None,
    entity_value: str,
    names: list[str],
    refreshed: IndexReport | None,
) -> SearchResult:
    with contextlib.closing(_open_for_reading(home)) as connection:
        rows = connection.execute(sql, params).fetchall()
        hits: list[SearchHit] = []
        for rowid, case_id, path, item_id, kind, title, url, acquired, snip, _ in rows:
            matched_entities: list[str] = []
            if entity:
                matched_entities = [
                    f"{k}:{v}"
                    for k, v in connection.execute(
                        "SELECT DISTINCT kind, value FROM entities WHERE item_ref = ? "
                        "AND value = ?",
                        (rowid, entity_value),
                    )
                ]
            matched_species: list[str] = []
            if names:
                marks = ", ".join("?" for _ in names)
                matched_species = [
                    f"{term} ({sp}, CITES {cites or 'not listed'})"
                    for term, sp, cites in connection.execute(
                        f"SELECT DISTINCT matched, species, cites FROM hits WHERE item_ref = ? "
                        f"AND species COLLATE NOCASE IN ({marks})",
                        (rowid, *names),
                    )
                ]
            text = (snip or "").replace(ZWSP, "")
            text = " ".join(text.split()).replace(_SNIPPET_OPEN, "«").replace(_SNIPPET_CLOSE, "»")
            hits.append(
                SearchHit(
                    case_id,
                    path,
                    item_id,
                    kind,
                    title,
                    url,
                    acquired,
                    text,
                    matched_entities,
                    matched_species,
                )
            )
        skipped = [
            (path, error)
            for path, error in connection.execute(
                "SELECT path, error FROM cases WHERE error IS NOT NULL ORDER BY path"
            )
        ]
        searched = connection.execute("SELECT count(*) FROM cases WHERE error IS NULL").fetchone()
    return SearchResult(hits, skipped, int(searched[0]), refreshed)
