"""The report's timeline per watched URL: every capture, what changed, and the diffs.

It is read from the custody entries in the package (``watch.added``, the captures and
their ``item.compared`` entries), so it shows exactly what the signed log records. An
item left out of the package at export is still listed, marked as absent, because the
log names it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from cybercase.evidence import CustodyEntry
from cybercase.monitor import describe_every, fold, timelines, watch_alerts


def watch_timelines(
    entries: Iterable[CustodyEntry], present: Mapping[str, object]
) -> list[dict[str, Any]]:
    """Plain data for ``sections/timeline.html.j2``, one dict per watched URL."""
    state = fold(entries)
    alerts = watch_alerts(state, include_covered=True)
    shown: list[dict[str, Any]] = []
    for line in timelines(state):
        if line.watch is None:
            continue
        spec = line.watch.spec
        rows = []
        for row in line.rows:
            c = row.comparison
            rows.append(
                {
                    "item": row.capture.item,
                    "present": row.capture.item in present,
                    "started": row.capture.started,
                    "status": row.capture.status,
                    "outcome": row.capture.outcome,
                    "final_url": row.capture.final_url,
                    "verdict": c.verdict if c else "not compared",
                    "identical": c.identical if c else False,
                    "gone_reason": c.facts.gone_reason if c else None,
                    "changes": [ch.summary for ch in c.changes] if c else [],
                    "diff": c.text_diff.splitlines()[2:] if c and c.text_diff else [],
                    "diff_truncated": c.text_diff_truncated if c else False,
                }
            )
        shown.append(
            {
                "url": line.url,
                "every": describe_every(spec.every_seconds),
                "until": spec.until,
                "note": spec.note,
                "added": line.watch.added_at,
                "added_by": line.watch.added_by,
                "removed": line.watch.removed_at,
                "rows": rows,
                "alerts": [a.to_json() for a in alerts if a.url == line.url],
            }
        )
    return shown
