"""``cybercase training``: the offline marketplace for classrooms."""

import contextlib
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from cybercase.cli.common import JSON_OPTION, emit_json, out, say

if TYPE_CHECKING:
    from cybercase.training import Marketplace

training_app = typer.Typer(
    help=(
        "Training: a fictitious wildlife marketplace served from this computer, so that "
        "classes practise on pages that are safe, offline and the same for everyone."
    ),
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    """Attach the ``training`` group."""
    app.add_typer(training_app, name="training")


@training_app.command("serve")
def serve(
    port: int = typer.Option(
        None,
        "--port",
        min=0,
        max=65535,
        help="Port on 127.0.0.1 (0: any free port). Default: 8765.",
        show_default=False,
        metavar="PORT",
    ),
    day: int = typer.Option(
        1,
        "--day",
        min=1,
        max=2,
        help="Start on day 1 (first visit) or day 2 (later visit).",
        metavar="N",
    ),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Do not list each request."),
    json_out: bool = JSON_OPTION,
) -> None:
    """Serve the fictitious marketplace on 127.0.0.1 until Ctrl-C.

    Every page is labelled FICTITIOUS. The trainer's page, /_trainer, switches days.

    Day 2 is the later visit: a listing is removed and a price has changed.
    """
    from cybercase.training import DEFAULT_PORT, Marketplace, Visit

    def log(visit: Visit) -> None:
        say(f"[dim]day {visit.day}[/dim]  {visit.method} {visit.path}  → {visit.status}")

    market = Marketplace(
        DEFAULT_PORT if port is None else port,
        day=day,
        on_request=None if quiet or json_out else log,
    )
    with market:
        _show(market, json_out)
        say("Serving offline on this computer only. Press Ctrl-C to stop.", quiet=json_out)
        with contextlib.suppress(KeyboardInterrupt):
            market.wait()
    if market.errors:
        say(f"[red]{len(market.errors)} request(s) failed inside the marketplace[/red]")
    say("Marketplace stopped.", quiet=json_out)


def _show(market: "Marketplace", json_out: bool) -> None:
    """The URL, the entry points and the listing URLs: on stdout, data first."""
    points = market.entry_points()
    if json_out:
        emit_json(
            {
                "url": market.url,
                "port": market.port,
                "day": market.day,
                "entry_points": points,
                "listings": market.listing_urls(),
            }
        )
        return
    console = out()
    console.print(f"Curio Market (FICTITIOUS training site) is running at {market.url}")
    console.print(f"Day {market.day}. Entry points:")
    width = max(len(name) for name in points)
    for name, url in points.items():
        console.print(f"  {name:<{width}}  {url}", markup=False)
    console.print(f"Listings to capture ({len(market.listing_urls())}):", markup=False)
    for url in market.listing_urls():
        console.print(f"  {url}", markup=False)


@training_app.command("tamper")
def tamper_cmd(
    package: Path = typer.Argument(
        ..., help="An exported package (folder or .zip).", metavar="PACKAGE"
    ),
    out_dir: Path = typer.Option(
        None,
        "--out",
        help="Where to put the altered copy (default: PACKAGE-tampered).",
        metavar="FOLDER",
    ),
    json_out: bool = JSON_OPTION,
) -> None:
    """Copy a package, change ONE byte of one exhibit, and show verify catching it.

    The original package is not touched. Exit 0 when verification refused the copy
    (as it must), 1 if it did not.
    """
    from cybercase.cli.render import render_verification
    from cybercase.training.tamper import tamper

    result = tamper(package, out_dir)
    if json_out:
        emit_json(result.to_json())
    else:
        say(
            f"Copied {result.original} to {result.copy} and changed one byte of "
            f"[bold]{result.altered}[/bold] (offset {result.offset}: "
            f"0x{result.before:02x} → 0x{result.after:02x})."
        )
        say("Verifying the altered copy…")
        render_verification(out(), result.report)
        if result.caught:
            say(
                "[bold]Caught.[/bold] One changed byte breaks the hash recorded at capture, in "
                "the bag manifest and in the signed custody log. The same check with standard "
                f"tools: cd {result.copy} && sha256sum -c manifest-sha256.txt"
            )
    if not result.caught:
        raise typer.Exit(1)


@training_app.command("tsa")
def tsa_cmd(
    folder: Path = typer.Option(
        Path("classroom-tsa"),
        "--dir",
        help="Where its TEST certificates, url.txt and config.toml live (reused on restart).",
        metavar="FOLDER",
    ),
    port: int = typer.Option(
        8766,
        "--port",
        min=0,
        max=65535,
        help="Port on 127.0.0.1 (0: any free port).",
        metavar="PORT",
    ),
    json_out: bool = JSON_OPTION,
) -> None:
    """Run a TEST time-stamping authority on 127.0.0.1 for a classroom, until Ctrl-C.

    Students set CYBERCASE_CONFIG to the config.toml it writes, then seal and timestamp
    offline. Its root is labelled TEST-ONLY: tokens from it prove nothing outside class.
    """
    from cybercase.training.tsa_server import start_classroom_tsa

    running = start_classroom_tsa(folder, port=port)
    config = (folder / "config.toml").absolute()
    try:
        if json_out:
            emit_json(
                {
                    "url": running.url,
                    "config": str(config),
                    "root": str(running.root_pem.absolute()),
                    "chain": str(running.chain_pem.absolute()),
                }
            )
        else:
            console = out()
            console.print(f"TEST time-stamping authority at {running.url}", markup=False)
            console.print(f"Configuration for students: {config}", markup=False)
            console.print(f"  export CYBERCASE_CONFIG={config}", markup=False)
            say(
                "[yellow]Its root is a TEST root: do not trust its tokens outside training."
                "[/yellow] Press Ctrl-C to stop."
            )
        with contextlib.suppress(KeyboardInterrupt):
            running.wait()
    finally:
        running.stop()
    say("Time-stamping authority stopped.", quiet=json_out)
