"""The agency's shared index: the local search index published into PostgreSQL.

Each investigator's index (:mod:`cybercase.investigate.index`, read through
:func:`~cybercase.investigate.index.iter_case_rows`) is copied, case by case, into
PostgreSQL tables with full-text search, so that anyone in the unit can search every
published case. Each row names its case and item: the evidence itself stays in the case,
and the shared index, like the local one, can be dropped and published again at any time.

Words are matched as the local index matches them: text is cut into words at every
character that is not a letter or digit, case and diacritics are folded, and characters
of unspaced scripts (Chinese, Thai...) are words of their own; PostgreSQL's ``simple``
configuration then indexes those words without stemming. So the same words find the same
items in both.
"""

from __future__ import annotations

import socket
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cybercase.agency.extras import not_installed
from cybercase.agency.queue import check_db_url
from cybercase.clock import SystemClock, format_utc
from cybercase.errors import CybercaseError, NetworkError
from cybercase.evidence import Case
from cybercase.investigate.analysis import AnalysisSettings
from cybercase.investigate.index import ZWSP, index_body, refresh_index
from cybercase.investigate.index_rows import iter_case_rows
from cybercase.request import RequestSummary, list_requests

SCHEMA = """
CREATE TABLE IF NOT EXISTS cybercase_cases(
    case_id TEXT PRIMARY KEY, title TEXT, path TEXT, host TEXT, published_at TEXT,
    items INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS cybercase_items(
    case_id TEXT NOT NULL REFERENCES cybercase_cases(case_id) ON DELETE CASCADE,
    item_id TEXT NOT NULL, kind TEXT, url TEXT, title TEXT, acquired TEXT, tool TEXT,
    lexicon TEXT, region TEXT, body TEXT NOT NULL, folded TEXT NOT NULL,
    tsv tsvector GENERATED ALWAYS AS (to_tsvector('simple', folded)) STORED,
    PRIMARY KEY (case_id, item_id)
);
CREATE INDEX IF NOT EXISTS cybercase_items_tsv ON cybercase_items USING gin(tsv);
CREATE TABLE IF NOT EXISTS cybercase_entities(
    case_id TEXT NOT NULL, item_id TEXT NOT NULL, kind TEXT NOT NULL, value TEXT NOT NULL,
    text TEXT, artifact TEXT, "offset" INTEGER, note TEXT,
    FOREIGN KEY (case_id, item_id) REFERENCES cybercase_items ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS cybercase_entities_value ON cybercase_entities(kind, value);
CREATE TABLE IF NOT EXISTS cybercase_hits(
    case_id TEXT NOT NULL, item_id TEXT NOT NULL, term TEXT, matched TEXT,
    species TEXT NOT NULL, cites TEXT, lang TEXT, kind TEXT, artifact TEXT, "offset" INTEGER,
    source TEXT, lexicon TEXT,
    FOREIGN KEY (case_id, item_id) REFERENCES cybercase_items ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS cybercase_hits_species ON cybercase_hits(lower(species));
CREATE TABLE IF NOT EXISTS cybercase_images(
    case_id TEXT NOT NULL, item_id TEXT NOT NULL, artifact TEXT, sha256 TEXT, phash TEXT,
    algorithm TEXT, width INTEGER, height INTEGER, not_hashed TEXT, url TEXT, camera TEXT,
    serial TEXT, lat DOUBLE PRECISION, lon DOUBLE PRECISION,
    FOREIGN KEY (case_id, item_id) REFERENCES cybercase_items ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS cybercase_images_sha ON cybercase_images(sha256);
CREATE TABLE IF NOT EXISTS cybercase_requests(
    case_id TEXT NOT NULL REFERENCES cybercase_cases(case_id) ON DELETE CASCADE,
    request_id TEXT NOT NULL, type TEXT, platform TEXT, state TEXT, reference TEXT,
    outcome TEXT, targets TEXT[], sent_at TIMESTAMPTZ, expires_at TIMESTAMPTZ,
    deadline_kind TEXT, deadline_at TIMESTAMPTZ,
    PRIMARY KEY (case_id, request_id)
);
CREATE INDEX IF NOT EXISTS cybercase_requests_deadline ON cybercase_requests(deadline_at);
"""


def fold(text: str) -> str:
    """Text as the shared index matches it: words split, case and diacritics folded."""
    spaced = index_body(text).replace(ZWSP, " ")
    decomposed = unicodedata.normalize("NFKD", spaced)
    kept = (c for c in decomposed if not unicodedata.combining(c))
    return "".join(c if c.isalnum() else " " for c in kept).casefold()


def tsquery_for(text: str) -> str:
    """The user's words as a PostgreSQL tsquery, with the local index's meaning.

    Every word and ``"quoted phrase"`` is required; ``ivor*`` is a prefix. Each lexeme
    is quoted, so nothing typed reaches tsquery's own syntax.
    """
    import re

    parts: list[str] = []
    for phrase, word in re.findall(r'"([^"]*)"|(\S+)', text):
        value = phrase if phrase else word
        prefix = not phrase and value.endswith("*") and len(value) > 1
        words = fold(value.rstrip("*") if prefix else value).split()
        if not words:
            continue
        lexemes = ["'" + w.replace("'", "''").replace("\\", "\\\\") + "'" for w in words]
        if prefix:
            lexemes[-1] += ":*"
        joined = " <-> ".join(lexemes)
        parts.append(f"({joined})" if len(lexemes) > 1 else joined)
    return " & ".join(parts)


def connect(db: str) -> Any:
    try:
        import psycopg
    except ImportError as exc:
        raise not_installed(exc) from exc
    check_db_url(db)
    try:
        return psycopg.connect(db)
    except psycopg.Error as exc:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise NetworkError(
            f"cannot use the index database: {first}",
            hint="check --db (postgresql://USER@HOST:PORT/DATABASE) and that PostgreSQL runs",
        ) from exc


@dataclass(slots=True)
class PublishReport:
    """What one publication did."""

    cases: list[tuple[str, int]] = field(default_factory=list)
    """``(case id, items)`` of each case published."""
    skipped: list[tuple[str, str]] = field(default_factory=list)
    """``(folder, reason)`` of each registered case that could not be read."""
    requests: int = 0
    """Requests published, with their deadlines, over all cases."""

    def to_json(self) -> dict[str, Any]:
        """For ``--json``."""
        return {
            "cases": [{"case": c, "items": n} for c, n in self.cases],
            "requests": self.requests,
            "skipped": [{"folder": f, "reason": r} for f, r in self.skipped],
        }


def publish_index(
    home: Path, settings: AnalysisSettings, db: str, case_ids: Sequence[str] = ()
) -> PublishReport:
    """Bring the local index up to date, then replace each case's rows in PostgreSQL.

    One transaction per case: a search sees a case's old rows or its new ones, never a
    mixture, and an interrupted publication leaves every case whole.
    """
    import psycopg

    refresh_index(home, settings)
    report = PublishReport()
    host = socket.gethostname()
    now = format_utc(SystemClock().now())
    with connect(db) as conn:
        try:
            with conn.transaction():
                conn.execute("SELECT pg_advisory_xact_lock(424243)")
                conn.execute(SCHEMA)
            for case, items in iter_case_rows(home, case_ids):
                if case.error is not None or not case.case_id:
                    report.skipped.append((case.path, case.error or "no case id"))
                    continue
                rows = list(items)
                try:
                    requests = list_requests(Case.open(Path(case.path)))
                except CybercaseError as exc:
                    report.skipped.append((case.path, f"requests not read: {exc.message}"))
                    requests = []
                with conn.transaction():
                    conn.execute("DELETE FROM cybercase_cases WHERE case_id = %s", (case.case_id,))
                    conn.execute(
                        "INSERT INTO cybercase_cases VALUES (%s, %s, %s, %s, %s, %s)",
                        (case.case_id, case.title, case.path, host, now, len(rows)),
                    )
                    _insert(conn, case.case_id, rows)
                    _insert_requests(conn, case.case_id, requests)
                report.cases.append((case.case_id, len(rows)))
                report.requests += len(requests)
        except psycopg.Error as exc:
            raise NetworkError(f"publishing the index failed: {exc}") from exc
    return report


def _insert_requests(conn: Any, case_id: str, requests: list[RequestSummary]) -> None:
    """Each request with its next deadline as of this publication (publish daily)."""
    with conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO cybercase_requests VALUES "
            "(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            [
                (
                    case_id,
                    r.status.id,
                    r.status.type,
                    r.status.platform,
                    r.status.phase,
                    r.status.reference,
                    r.status.outcome,
                    list(r.status.targets),
                    r.status.sent_at,
                    r.status.expires_at,
                    r.deadline.kind if r.deadline else None,
                    r.deadline.at if r.deadline else None,
                )
                for r in requests
            ],
        )


def _insert(conn: Any, case_id: str, rows: list[Any]) -> None:
    with conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO cybercase_items (case_id, item_id, kind, url, title, acquired, tool, "
            "lexicon, region, body, folded) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            [
                (
                    case_id,
                    r.item_id,
                    r.kind,
                    r.url,
                    r.title,
                    r.acquired,
                    r.tool,
                    r.lexicon,
                    r.region,
                    r.text,
                    fold(r.text),
                )
                for r in rows
            ],
        )
        cur.executemany(
            "INSERT INTO cybercase_entities VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
            [
                (case_id, r.item_id, e.kind, e.value, e.text, e.artifact, e.offset, e.note)
                for r in rows
                for e in r.entities
            ],
        )
        cur.executemany(
            "INSERT INTO cybercase_hits VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            [
                (
                    case_id,
                    r.item_id,
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
                for r in rows
                for h in r.hits
                for species in h.species
            ],
        )
        cur.executemany(
            "INSERT INTO cybercase_images VALUES "
            "(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            [(case_id, r.item_id, *i.columns()) for r in rows for i in r.images],
        )


__all__ = ["PublishReport", "fold", "publish_index", "tsquery_for"]
