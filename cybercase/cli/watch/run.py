"""``cybercase watch run``: recapture what is due, compare, warn; meant for cron or a timer."""

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from cybercase.cli.common import (
    CASE_OPTION,
    CONFIG_OPTION,
    HOST_DELAY_OPTION,
    JSON_OPTION,
    KEY_OPTION,
    PER_HOST_OPTION,
    err,
    importing,
    open_case,
    progress_for,
    say,
    unlock_early,
)
from cybercase.cli.watch.group import watch_app

if TYPE_CHECKING:
    from cybercase.collect.commit import CaptureResult
    from cybercase.monitor import RunResult, WatchEvent


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
    jobs: int = typer.Option(None, "--jobs", "-j", help="URLs captured at once [4].", metavar="N"),
    per_host: int = PER_HOST_OPTION,
    host_delay: float = HOST_DELAY_OPTION,
    no_browser: bool = typer.Option(
        False, "--no-browser", help="No browser view for any URL this run."
    ),
    browser: Path = typer.Option(
        None, "--browser", metavar="FILE", help="The Chromium/Chrome/Edge to render pages with."
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
    with importing():
        signer_of = unlock_early(key)
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
    signer = signer_of()

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
