"""Reading the search index back as typed rows, case by case (for the shared index).

:func:`iter_case_rows` is the supported way to read what the index holds; the row schema
is documented in :mod:`cybercase.investigate.index`.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from cybercase.errors import InvalidInputError
from cybercase.investigate.index import ZWSP, connect, index_path
from cybercase.investigate.records import EntityRecord, HitRecord, ImageRecord


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


def open_for_reading(home: Path) -> sqlite3.Connection:
    target = index_path(home)
    if not target.exists():
        raise InvalidInputError(
            f"there is no index yet at {target}",
            hint="register cases with 'cybercase cases add DIR', then 'cybercase index rebuild'",
        )
    return connect(target)


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
    with contextlib.closing(open_for_reading(home)) as connection:
        cases = connection.execute(
            "SELECT id, path, case_id, title, indexed_at, error, items FROM cases ORDER BY path"
        ).fetchall()
        for case_ref, path, case_id, title, indexed_at, error, items in cases:
            if case_ids and case_id not in case_ids:
                continue
            case = IndexedCase(path, case_id, title, indexed_at, error, items)
            yield case, _item_rows(connection, case_ref, case)


__all__ = ["IndexedCase", "IndexedItem", "iter_case_rows"]
