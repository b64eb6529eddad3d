"""``cybercase timeline URL``: every capture of one URL, and what changed between them."""

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from cybercase.cli.common import (
    CASE_OPTION,
    JSON_OPTION,
    emit_json,
    open_case,
    out,
)
from cybercase.cli.watch.listing import render_alerts, verdict

if TYPE_CHECKING:
    from rich.console import Console

    from cybercase.monitor import Timeline


def timeline(
    url: str = typer.Argument(..., metavar="URL", help="A captured or watched URL."),
    diff: bool = typer.Option(True, "--diff/--no-diff", help="Show the text diffs."),
    case_dir: Path = CASE_OPTION,
    json_out: bool = JSON_OPTION,
) -> None:
    """Every capture of one URL, oldest first, with what changed at each."""
    from cybercase.monitor import timeline as load_timeline

    case = open_case(case_dir)
    found = load_timeline(case, url)
    if json_out:
        emit_json(found.to_json())
        return
    render_timeline(out(), found, diff=diff)


def render_timeline(console: "Console", found: "Timeline", *, diff: bool = True) -> None:
    """A URL's timeline for people (also used by ``cybercase show URL``)."""
    from cybercase.cli.common import shown

    render_alerts(console, found.alerts)
    watched = ""
    if found.watch is not None:
        watched = " (watched)" if found.watch.active else " (no longer watched)"
    console.print(f"[bold]{shown(found.url)}[/bold]{watched}: {len(found.rows)} capture(s)")
    for row in found.rows:
        ref, c = row.capture, row.comparison
        status = f"HTTP {ref.status}" if ref.status is not None else ref.outcome
        head = f"{ref.item}  {ref.started[:19].replace('T', ' ')} UTC  {status}"
        if c is None:
            console.print(f"{head}  [dim]not compared (captured outside a watch run)[/dim]")
            continue
        console.print(f"{head}  {verdict(c.verdict)}" + (" (same bytes)" if c.identical else ""))
        if c.verdict == "gone" and c.facts.gone_reason:
            console.print(f"    gone: {shown(c.facts.gone_reason)}")
        for change in c.changes:
            if change.field == "status" and c.facts.gone:
                continue
            console.print(f"    {shown(change.summary)}")
        if diff and c.text_diff:
            for line in c.text_diff.splitlines()[2:]:
                colour = (
                    "green" if line.startswith("+") else "red" if line.startswith("-") else "dim"
                )
                console.print(f"      [{colour}]{shown(line)}[/{colour}]")
