"""``cybercase queue add|status`` and ``cybercase worker``: captures queued in PostgreSQL.

Any number of workers, on any number of machines, take jobs from one queue; each capture
is signed by the worker's own investigator key and committed into its case exactly once
(docs/agency.md explains how, and what each part trusts).
"""

from pathlib import Path

import typer

from cybercase.cli.common import CONFIG_OPTION, JSON_OPTION, KEY_OPTION, emit_json, out, say

DB_OPTION = typer.Option(
    ...,
    "--db",
    metavar="postgresql://USER@HOST:PORT/DATABASE",
    help="The queue's database (a password belongs in ~/.pgpass or PGPASSWORD, not here).",
)


def register(app: typer.Typer) -> None:
    """Attach ``queue`` and ``worker``."""
    group = typer.Typer(
        name="queue",
        help="Put URLs on the agency's capture queue, and see how it is doing.",
        no_args_is_help=True,
    )
    group.command("add")(add)
    group.command("status")(status)
    app.add_typer(group)
    app.command("worker")(worker)


def add(
    urls: list[str] = typer.Argument(None, metavar="URL...", help="URLs to capture."),
    from_file: str = typer.Option(
        None,
        "--from",
        metavar="FILE",
        help="A file of URLs, one a line ('#' comments); '-' reads stdin.",
    ),
    case_id: str = typer.Option(
        ..., "--case", metavar="CASE-ID", help="The case the captures go into (its id)."
    ),
    db: str = DB_OPTION,
    json_out: bool = JSON_OPTION,
) -> None:
    """Queue one capture per URL; any worker on the queue will take it."""
    import getpass
    import socket

    from cybercase.agency.queue import add_urls
    from cybercase.collect.batch import parse_url_list, read_url_file

    listed = read_url_file(from_file) if from_file is not None else []
    all_urls = parse_url_list("\n".join(urls or []), "the command line") + listed
    queued = add_urls(
        db, case_id, all_urls, queued_by=f"{getpass.getuser()}@{socket.gethostname()}"
    )
    if json_out:
        emit_json([{"job": q.job_id, "url": q.url, "key": q.key} for q in queued])
        return
    say(f"Queued {len(queued)} capture(s) for case {case_id}.")


def status(db: str = DB_OPTION, json_out: bool = JSON_OPTION) -> None:
    """How many captures wait, run, succeeded or failed."""
    from cybercase.agency.queue import queue_counts

    counts = queue_counts(db)
    if json_out:
        emit_json(counts)
        return
    for name in ("todo", "doing", "succeeded", "failed", "cancelled", "aborted"):
        out().print(f"{name:10} {counts.get(name, 0)}", markup=False)


def worker(
    db: str = DB_OPTION,
    cases: Path = typer.Option(
        Path("."), "--cases", metavar="DIR", help="The folder holding the case folders."
    ),
    concurrency: int = typer.Option(
        4,
        "--concurrency",
        "-j",
        metavar="N",
        min=1,
        max=64,
        help="Captures run at once by this worker.",
    ),
    no_browser: bool = typer.Option(
        False, "--no-browser", help="Skip the screenshot, PDF, DOM and MHTML of each page."
    ),
    browser: Path = typer.Option(
        None, "--browser", metavar="FILE", help="The Chromium to render pages with."
    ),
    stalled_after: float = typer.Option(
        30.0,
        "--stalled-after",
        metavar="SECONDS",
        min=1.0,
        help="Hand out again the jobs of a worker silent this long (it died).",
    ),
    until_empty: bool = typer.Option(
        False, "--until-empty", help="Stop once no capture is waiting or running."
    ),
    watch_every: int = typer.Option(
        None,
        "--watch-every",
        metavar="SECONDS",
        min=1,
        help="Also run the watch list of every case under --cases that falls due, checked "
        "this often (one worker of the queue at a time does it).",
        show_default=False,
    ),
    config: Path = CONFIG_OPTION,
    key: str = KEY_OPTION,
    json_out: bool = JSON_OPTION,
) -> None:
    """Take capture jobs from the queue and commit each into its case, signed by you.

    Runs until Ctrl-C or SIGTERM (or, with --until-empty, until the queue is done).
    With --watch-every, the workers of the queue also drive the watch lists: at each
    tick one of them runs 'watch run' on every case that has something due.
    The passphrase comes from CYBERCASE_PASSPHRASE (or is asked once at a terminal).
    """
    from cybercase.agency.worker import CaptureService, WorkerOptions, run_worker, watch_cron
    from cybercase.cli.common import load_signer
    from cybercase.collect.config import load_capture_settings
    from cybercase.collect.session import BrowserChoice, open_browser

    if watch_every is not None:
        watch_cron(watch_every)
    signer = load_signer(key)
    settings = load_capture_settings(config, {"jobs": concurrency})
    choice = BrowserChoice(enabled=not no_browser, executable=browser, pool_size=concurrency)
    with open_browser(choice, settings) as (renderer, note):
        stages = []
        if renderer is not None:
            from cybercase.collect.browser.stage import BrowserStage

            stages.append(BrowserStage(renderer, renderer.options))
        elif note:
            say(f"[yellow]{note}[/yellow]", quiet=json_out)
        service = CaptureService(cases=cases, signer=signer, settings=settings, stages=stages)
        say(f"Worker {service.name} taking captures from the queue…", quiet=json_out)
        outcomes = run_worker(
            db,
            service,
            WorkerOptions(
                watch_every=watch_every,
                concurrency=concurrency,
                stalled_after=stalled_after,
                until_empty=until_empty,
            ),
        )
    committed = [o for o in outcomes if o.item_id]
    if json_out:
        emit_json(
            {
                "worker": service.name,
                "committed": len(committed),
                "already_committed": len(outcomes) - len(committed),
                "items": [{"item": o.item_id, "url": o.url, "key": o.key} for o in committed],
            }
        )
        return
    say(f"Committed {len(committed)} capture(s); {len(outcomes) - len(committed)} were already in.")
