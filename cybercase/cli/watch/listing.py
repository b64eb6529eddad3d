"""``cybercase watch add``, ``remove`` and ``list``: the watch list of a case, and its alerts."""

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from cybercase.cli.common import (
    CASE_OPTION,
    JSON_OPTION,
    KEY_OPTION,
    emit_json,
    load_signer,
    open_case,
    out,
    say,
)
from cybercase.cli.watch.group import watch_app

if TYPE_CHECKING:
    from collections.abc import Sequence

    from rich.console import Console

    from cybercase.monitor import Alert


@watch_app.command("add")
def watch_add(
    urls: list[str] = typer.Argument(..., metavar="URL...", help="Listings to watch."),
    every: str = typer.Option(
        "6h", "--every", metavar="PERIOD", help="How often to recapture: 30m, 6h, 1d, 1w."
    ),
    until: str = typer.Option(
        None,
        "--until",
        metavar="DATE",
        help="Stop recapturing after this day (YYYY-MM-DD, UTC) or time.",
    ),
    browser: bool = typer.Option(
        True,
        "--browser/--no-browser",
        help="Render each recapture in the browser too (screenshot, PDF, DOM) [browser].",
    ),
    note: str = typer.Option(None, "--note", metavar="NOTE", help="Why these are watched."),
    case_dir: Path = CASE_OPTION,
    key: str = KEY_OPTION,
    json_out: bool = JSON_OPTION,
) -> None:
    """Put URLs under watch: one signed 'watch.added' entry each.

    Nothing is fetched now: 'cybercase watch run' captures what is due (a URL never
    captured is due at once).
    """
    from cybercase.monitor import add_watches, watched_url

    case = open_case(case_dir)
    done = add_watches(
        case, load_signer(key), urls, every=every, until=until, browser=browser, note=note
    )
    if json_out:
        emit_json(
            {
                "added": [e.detail for e in done.entries],
                "already_watched": done.already,
                "entries": [e.seq for e in done.entries],
            }
        )
        return
    for entry in done.entries:
        say(f"Watching {watched_url(entry)} every {every} (entry {entry.seq}).")
    for url in done.already:
        say(f"[yellow]Already watched:[/yellow] {url} (left as it was).")
    if done.entries:
        say("Next: cybercase watch run   (then schedule it: see docs/watch.md)")


@watch_app.command("remove")
def watch_remove(
    urls: list[str] = typer.Argument(..., metavar="URL...", help="Watched URLs to stop watching."),
    reason: str = typer.Option(None, "--reason", metavar="REASON", help="Why, for the log."),
    case_dir: Path = CASE_OPTION,
    key: str = KEY_OPTION,
    json_out: bool = JSON_OPTION,
) -> None:
    """Stop watching URLs (one signed 'watch.removed' entry each; captures stay evidence)."""
    from cybercase.monitor import remove_watches, watched_url

    case = open_case(case_dir)
    entries = remove_watches(case, load_signer(key), urls, reason=reason)
    if json_out:
        emit_json(
            {"removed": [watched_url(e) for e in entries], "entries": [e.seq for e in entries]}
        )
        return
    for entry in entries:
        say(f"No longer watching {watched_url(entry)} (entry {entry.seq}).")


@watch_app.command("list")
def watch_list(
    removed: bool = typer.Option(False, "--removed", help="Also list watches taken off."),
    case_dir: Path = CASE_OPTION,
    json_out: bool = JSON_OPTION,
) -> None:
    """The watch list: warnings first, then each URL, its last capture and when it is next due."""
    from cybercase.clock import SystemClock
    from cybercase.monitor import load, watch_alerts, watch_rows

    case = open_case(case_dir)
    state = load(case)
    rows = watch_rows(state, SystemClock().now(), removed=removed)
    alerts = watch_alerts(state)
    if json_out:
        emit_json({"alerts": [a.to_json() for a in alerts], "watches": [r.to_json() for r in rows]})
        return
    console = out()
    render_alerts(console, alerts)
    if not rows:
        say("Nothing is watched. Add a listing with: cybercase watch add URL --every 6h")
        return
    from rich.table import Table

    from cybercase.cli.common import shown
    from cybercase.monitor import describe_every

    table = Table(title=f"Watched in {case.meta.id}")
    for column in ("url", "every", "captures", "last", "last change", "next due (UTC)"):
        table.add_column(column, overflow="fold")
    for row in rows:
        last = f"{row.last_item} {row.last_at[:16].replace('T', ' ')}" if row.last_at else "never"
        due = row.state if row.next_due is None else row.next_due[:16].replace("T", " ")
        if row.state == "due":
            due = f"[bold]now[/bold] (due since {due})"
        table.add_row(
            shown(row.watch.url),
            describe_every(row.watch.spec.every_seconds),
            str(row.captures),
            last,
            verdict(row.last_verdict),
            due,
        )
    console.print(table)


def verdict(verdict: str | None) -> str:
    colours = {"gone": "bold red", "changed": "yellow", "failed": "red", "unchanged": "green"}
    if verdict is None:
        return ""
    colour = colours.get(verdict)
    return f"[{colour}]{verdict}[/{colour}]" if colour else verdict


def render_alerts(console: "Console", alerts: "Sequence[Alert]") -> None:
    """The warnings shown first by ``status`` and ``watch list``.

    Plain lines, not a box: the command must stay whole, to be copied as it is.
    """
    if not alerts:
        return
    from cybercase.cli.common import shown

    console.print(f"[bold red]Watched listings: {len(alerts)} warning(s)[/bold red]")
    for alert in alerts:
        console.print(f"• [bold]{shown(alert.message)}[/bold]")
        if alert.evidence:
            console.print(f"  next: {shown(alert.command)}")
            if alert.platform is None:
                console.print("  (PLATFORM: a name from 'cybercase request platforms')")
    console.print()
