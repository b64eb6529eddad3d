"""``cybercase watch`` (add, list, remove, run) and ``cybercase timeline URL``."""

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from cybercase.cli.common import (
    CASE_OPTION,
    CONFIG_OPTION,
    JSON_OPTION,
    KEY_OPTION,
    emit_json,
    err,
    load_signer,
    open_case,
    out,
    progress_for,
    say,
)

if TYPE_CHECKING:
    from collections.abc import Sequence

    from rich.console import Console

    from cybercase.collect.commit import CaptureResult
    from cybercase.monitor import Alert, RunResult, Timeline, WatchEvent

watch_app = typer.Typer(
    help=(
        "Watch listings: recapture them on a schedule, see what changed (price, photos, "
        "text, seller), and be warned when one disappears - with the preservation request "
        "to send. 'watch run' is meant for cron, a systemd timer or the Task Scheduler."
    ),
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    """Attach the ``watch`` group and ``timeline``."""
    app.add_typer(watch_app, name="watch")
    app.command("timeline")(timeline)


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
    note: str = typer.Option(None, "--note", metavar="TEXT", help="Why these are watched."),
    case_dir: Path = CASE_OPTION,
    key: str = KEY_OPTION,
    json_out: bool = JSON_OPTION,
) -> None:
    """Put URLs under watch: one signed 'watch.added' entry each.

    Nothing is fetched now: 'cybercase watch run' captures what is due (a URL never
    captured is due at once).
    """
    from cybercase.monitor import add_watches

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
        say(f"Watching {entry.detail['url']} every {every} (entry {entry.seq}).")
    for url in done.already:
        say(f"[yellow]Already watched:[/yellow] {url} (left as it was).")
    if done.entries:
        say("Next: cybercase watch run   (then schedule it: see docs/watch.md)")


@watch_app.command("remove")
def watch_remove(
    urls: list[str] = typer.Argument(..., metavar="URL...", help="Watched URLs to stop watching."),
    reason: str = typer.Option(None, "--reason", metavar="TEXT", help="Why, for the log."),
    case_dir: Path = CASE_OPTION,
    key: str = KEY_OPTION,
    json_out: bool = JSON_OPTION,
) -> None:
    """Stop watching URLs (one signed 'watch.removed' entry each; captures stay evidence)."""
    from cybercase.monitor import remove_watches

    case = open_case(case_dir)
    entries = remove_watches(case, load_signer(key), urls, reason=reason)
    if json_out:
        emit_json(
            {"removed": [e.detail["url"] for e in entries], "entries": [e.seq for e in entries]}
        )
        return
    for entry in entries:
        say(f"No longer watching {entry.detail['url']} (entry {entry.seq}).")


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
            _verdict(row.last_verdict),
            due,
        )
    console.print(table)


def _verdict(verdict: str | None) -> str:
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


@watch_app.command("run")
def watch_run(
    all_urls: bool = typer.Option(
        False, "--all", help="Recapture every watched URL now, due or not."
    ),
    forever: bool = typer.Option(
        False, "--forever", help="Keep running: sleep until the next URL is due, then run again."
    ),
    notify: str = typer.Option(
        None,
        "--notify",
        metavar="COMMAND",
        help="Run COMMAND for each change or warning, the event as JSON on its stdin "
        "(e.g. a mail or chat hook).",
    ),
    jobs: int = typer.Option(None, "--jobs", "-j", help="URLs captured at once [4]."),
    per_host: int = typer.Option(None, "--per-host", help="Captures of one host at once [2]."),
    host_delay: float = typer.Option(
        None, "--host-delay", help="Seconds between captures of one host [0]."
    ),
    no_browser: bool = typer.Option(
        False, "--no-browser", help="No browser view for any URL this run."
    ),
    browser: Path = typer.Option(
        None, "--browser", metavar="PATH", help="The Chromium/Chrome/Edge to render pages with."
    ),
    persona: str = typer.Option(
        None, "--persona", metavar="NAME", help="The online persona used, recorded."
    ),
    config: Path = CONFIG_OPTION,
    case_dir: Path = CASE_OPTION,
    key: str = KEY_OPTION,
    json_out: bool = JSON_OPTION,
) -> None:
    """Capture every watched URL that is due, compare each with its last capture, and exit.

    Each recapture is an ordinary evidence item; each comparison a signed 'item.compared'
    entry. A run that was killed is resumed by the next one (nothing lost, nothing twice);
    a second run on the same case at the same time is refused. Exit 1 when a URL could
    not be captured or a listing is gone.
    """
    import threading

    from cybercase.collect.config import load_capture_settings
    from cybercase.evidence.timestamps import TsaSettings
    from cybercase.monitor import Notifier, RunOptions, run_watch, watch_forever

    settings = load_capture_settings(
        config, {"jobs": jobs, "per_host": per_host, "host_delay": host_delay}
    )
    options = RunOptions(
        settings=settings,
        browser=not no_browser,
        browser_executable=browser,
        tsa=TsaSettings.load(config),
        all=all_urls,
        notify=Notifier(notify) if notify else None,
        persona=persona,
    )
    case = open_case(case_dir)
    signer = load_signer(key)

    def on_event(event: "WatchEvent") -> None:
        if json_out:
            _json_line(event.to_json())
        else:
            _say_event(event)

    def on_capture(item: "CaptureResult") -> None:
        if not json_out and item.outcome not in ("captured", "http-error"):
            from cybercase.cli.common import shown

            err().print(
                f"[red]{item.item_id} {item.outcome}[/red] {shown(item.url)}: {shown(item.message)}"
            )

    if not forever:
        result = run_watch(
            case,
            signer,
            options,
            progress=progress_for(json_out),
            on_event=on_event,
            on_capture=on_capture,
        )
        _finish(result, json_out)
        if result.interrupted:
            raise typer.Exit(130)
        if result.failed or result.count("gone"):
            raise typer.Exit(1)
        return
    stop = threading.Event()
    _stop_on_terminate(stop)

    def on_run(result: "RunResult") -> None:
        _finish(result, json_out)

    def on_sleep(at: str) -> None:
        if not json_out:
            say(f"Sleeping until {at[:19].replace('T', ' ')} UTC (Ctrl-C to stop).")

    try:
        watch_forever(
            case,
            signer,
            options,
            stop=stop,
            on_run=on_run,
            on_event=on_event,
            on_capture=on_capture,
            on_sleep=on_sleep,
            progress=progress_for(json_out),
        )
    except KeyboardInterrupt:
        stop.set()
        say("Stopped: what was captured is kept; the next run resumes the rest.")
        raise typer.Exit(130) from None


def _stop_on_terminate(stop: object) -> None:
    """SIGTERM (systemd stop, kill) ends ``--forever`` cleanly, as Ctrl-C does."""
    import signal
    import threading

    assert isinstance(stop, threading.Event)

    def handler(signum: int, frame: object) -> None:
        stop.set()
        raise KeyboardInterrupt

    if hasattr(signal, "SIGTERM"):
        signal.signal(signal.SIGTERM, handler)


def _json_line(data: object) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n")
    sys.stdout.flush()


def _say_event(event: "WatchEvent") -> None:
    from cybercase.cli.common import shown

    c = event.comparison
    label = {
        "first": "[cyan]first capture[/cyan]",
        "unchanged": "[green]unchanged[/green]" + (" (same bytes)" if c.identical else ""),
        "changed": "[yellow]changed[/yellow]",
        "gone": "[bold red]GONE[/bold red]",
        "failed": "[red]not captured[/red]",
    }[c.verdict]
    detail = "; ".join(ch.summary for ch in c.changes if ch.field != "status" or not c.facts.gone)
    if c.verdict == "gone" and c.facts.gone_reason:
        detail = c.facts.gone_reason + (f"; {detail}" if detail else "")
    tail = f": {shown(detail)}" if detail else ""
    err().print(f"{c.current} {label} {shown(c.url)}{tail}")
    if event.alert is not None and event.alert.evidence:
        err().print(f"  next: {shown(event.alert.command)}")


def _finish(result: "RunResult", json_out: bool) -> None:
    if json_out:
        _json_line(result.to_json())
        return
    if result.recovered:
        say(f"Compared {result.recovered} capture(s) an interrupted run had left uncompared.")
    if result.run is None:
        when = result.next_due[:19].replace("T", " ") + " UTC" if result.next_due else None
        say(f"Nothing is due{f'; next at {when}' if when else ' (nothing is watched)'}.")
        return
    counts = ", ".join(
        f"{n} {v}"
        for v in ("first", "unchanged", "changed", "gone", "failed")
        if (n := result.count(v))
    )
    resumed = f" (resumed; {result.skipped} already captured)" if result.resumed else ""
    say(f"Run {result.run}{resumed}: {len(result.captures)} captured - {counts or 'nothing new'}.")
    for warning in result.warnings:
        say(f"[yellow]warning:[/yellow] {warning}")
    for outcome in result.timestamps:
        if outcome.granted:
            say(f"Trusted timestamp granted ({len(outcome.granted)} token(s)).")
        elif outcome.pending:
            say(
                f"[yellow]{len(outcome.pending)} item(s) await a trusted timestamp[/yellow]; "
                "run 'cybercase timestamp --pending' later."
            )
    if result.interrupted:
        say("[yellow]interrupted[/yellow]: the next 'cybercase watch run' resumes this run.")
    elif result.next_due:
        say(f"Next due: {result.next_due[:19].replace('T', ' ')} UTC.")


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
        console.print(f"{head}  {_verdict(c.verdict)}" + (" (same bytes)" if c.identical else ""))
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
