"""Reading the agency's shared index: search every published case, list requests due.

Queries are cut into words exactly as publishing cut the text (:func:`fold`,
:func:`tsquery_for` in :mod:`cybercase.agency.shared_index`), so the same words find the
same items locally and in the shared index.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cybercase.agency.shared_index import connect, tsquery_for
from cybercase.clock import format_utc
from cybercase.errors import InvalidInputError, NetworkError
from cybercase.investigate.analysis import AnalysisSettings
from cybercase.investigate.search import SearchHit, SearchResult, normalise_entity


@dataclass(frozen=True, slots=True)
class SharedRequest:
    """One request of a published case, as the shared index holds it."""

    case_id: str
    request_id: str
    type: str
    platform: str
    state: str
    deadline_kind: str | None
    deadline_at: str | None
    days_left: float | None
    targets: list[str]

    def to_json(self) -> dict[str, Any]:
        """For ``--json``."""
        return {
            "case": self.case_id,
            "id": self.request_id,
            "type": self.type,
            "platform": self.platform,
            "state": self.state,
            "deadline": (
                {"kind": self.deadline_kind, "at": self.deadline_at} if self.deadline_at else None
            ),
            "days_left": self.days_left,
            "targets": self.targets,
        }


def shared_requests(db: str, *, due_within_days: float | None = None) -> list[SharedRequest]:
    """The agency's requests (every published case), or those due within N days.

    The same rule as ``cybercase request list --due``: a deadline within the window, or one
    already passed on a request that is not closed. Deadlines are as of each case's last
    publication.
    """
    import psycopg

    if due_within_days is not None and due_within_days < 0:
        raise InvalidInputError("--due takes a number of days, 0 or more")
    where = ""
    named: dict[str, Any] = {}
    if due_within_days is not None:
        where = (
            "WHERE deadline_at IS NOT NULL AND state <> 'closed' "
            "AND deadline_at <= now() + make_interval(secs => %(secs)s)"
        )
        named["secs"] = due_within_days * 86400
    sql = (
        "SELECT case_id, request_id, type, platform, state, deadline_kind, deadline_at, "
        "EXTRACT(EPOCH FROM (deadline_at - now())) / 86400, targets FROM cybercase_requests "
        f"{where} ORDER BY deadline_at NULLS LAST, case_id, request_id"
    )
    with connect(db) as conn:
        try:
            rows = conn.execute(sql, named).fetchall()
        except psycopg.errors.UndefinedTable as exc:
            raise InvalidInputError(
                "nothing has been published to this database yet",
                hint="publish with 'cybercase index --to postgresql://…'",
            ) from exc
        except psycopg.Error as exc:
            raise NetworkError(f"reading the shared index failed: {exc}") from exc
    return [
        SharedRequest(
            case_id,
            request_id,
            kind,
            platform,
            state,
            deadline_kind,
            format_utc(at) if at is not None else None,
            round(float(left), 2) if left is not None else None,
            list(targets or []),
        )
        for case_id, request_id, kind, platform, state, deadline_kind, at, left, targets in rows
    ]


def search_shared(
    db: str,
    settings: AnalysisSettings,
    query: str | None = None,
    *,
    entity: str | None = None,
    species: str | None = None,
    limit: int = 50,
) -> SearchResult:
    """Items of every published case matching the words, an entity and/or a species."""
    import psycopg

    if not (query and query.strip()) and not entity and not species:
        raise InvalidInputError(
            "nothing to search for", hint="give words, --entity KIND:VALUE or --species NAME"
        )
    clauses: list[str] = []
    rank = "0"
    snippet = "substr(i.body, 1, 160)"
    if query and query.strip():
        tsq = tsquery_for(query)
        if not tsq:
            raise InvalidInputError(f"no searchable word in {query!r}")
        clauses.append("i.tsv @@ to_tsquery('simple', %(q)s)")
        rank = "ts_rank(i.tsv, to_tsquery('simple', %(q)s))"
        snippet = (
            "ts_headline('simple', i.folded, to_tsquery('simple', %(q)s), "
            "'StartSel=«, StopSel=», MaxWords=24, MinWords=8')"
        )
    named: dict[str, Any] = {"q": tsquery_for(query) if query and query.strip() else ""}
    entity_value = ""
    if entity:
        kind, entity_value = normalise_entity(entity, settings.region)
        sub = (
            "SELECT 1 FROM cybercase_entities e WHERE e.case_id = i.case_id "
            "AND e.item_id = i.item_id AND e.value = %(ev)s"
        )
        if kind:
            sub += " AND e.kind = %(ek)s"
            named["ek"] = kind
        named["ev"] = entity_value
        clauses.append(f"EXISTS ({sub})")
    names: list[str] = []
    if species:
        names = settings.lexicon.resolve_species(species) or [species.strip()]
        named["sp"] = [n.lower() for n in names]
        clauses.append(
            "EXISTS (SELECT 1 FROM cybercase_hits h WHERE h.case_id = i.case_id AND "
            "h.item_id = i.item_id AND lower(h.species) = ANY(%(sp)s))"
        )
    named["limit"] = max(1, limit)
    sql = (
        f"SELECT i.case_id, c.path, i.item_id, i.kind, i.title, i.url, i.acquired, {snippet}, "
        f"{rank} AS rank FROM cybercase_items i JOIN cybercase_cases c USING (case_id) "
        f"WHERE {' AND '.join(clauses)} ORDER BY rank DESC, i.case_id, i.item_id "
        "LIMIT %(limit)s"
    )
    with connect(db) as conn:
        try:
            rows = conn.execute(sql, named).fetchall()
            hits: list[SearchHit] = []
            for case_id, path, item_id, kind, title, url, acquired, snip, _ in rows:
                entities: list[str] = []
                if entity:
                    entities = [
                        f"{k}:{v}"
                        for k, v in conn.execute(
                            "SELECT DISTINCT kind, value FROM cybercase_entities WHERE "
                            "case_id = %s AND item_id = %s AND value = %s",
                            (case_id, item_id, entity_value),
                        )
                    ]
                matched: list[str] = []
                if names:
                    matched = [
                        f"{term} ({sp}, CITES {cites or 'not listed'})"
                        for term, sp, cites in conn.execute(
                            "SELECT DISTINCT matched, species, cites FROM cybercase_hits WHERE "
                            "case_id = %s AND item_id = %s AND lower(species) = ANY(%s)",
                            (case_id, item_id, [n.lower() for n in names]),
                        )
                    ]
                text = " ".join((snip or "").split())
                hits.append(
                    SearchHit(
                        case_id, path, item_id, kind, title, url, acquired, text, entities, matched
                    )
                )
            count = conn.execute("SELECT count(*) FROM cybercase_cases").fetchone()
        except psycopg.errors.UndefinedTable as exc:
            raise InvalidInputError(
                "nothing has been published to this database yet",
                hint="publish with 'cybercase index --to postgresql://…'",
            ) from exc
        except psycopg.Error as exc:
            raise NetworkError(f"searching the shared index failed: {exc}") from exc
    return SearchResult(hits, [], int(count[0]) if count else 0)


__all__ = ["SharedRequest", "search_shared", "shared_requests"]
