"""Searching the index: words (FTS5), an entity (phone, handle, wallet…), a species.

The index is refreshed first when a case changed (:func:`~cybercase.investigate.index.
refresh_index`), so a search always sees what the cases say now.
"""

from __future__ import annotations

import contextlib
import re
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from cybercase.errors import InvalidInputError, StorageError
from cybercase.investigate.analysis import (
    AnalysisSettings,
)
from cybercase.investigate.index import (
    ZWSP,
    IndexReport,
    build_index,
    index_body,
    index_path,
    refresh_index,
)
from cybercase.investigate.index_rows import open_for_reading

_SNIPPET_OPEN = "\x02"

_SNIPPET_CLOSE = "\x03"


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
    with contextlib.closing(open_for_reading(home)) as connection:
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


__all__ = ["SearchHit", "SearchResult", "search"]
