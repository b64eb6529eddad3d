"""``cybercase demo``: the whole job on the built-in offline marketplace."""

from pathlib import Path

import typer

from cybercase.cli.common import JSON_OPTION, emit_json, say


def register(app: typer.Typer) -> None:
    """Attach ``demo``."""
    app.command("demo")(demo)


def demo(
    out_dir: Path = typer.Option(
        None,
        "--out",
        help="Folder for the demo (default: a new ./cybercase-demo folder).",
        metavar="FOLDER",
    ),
    no_browser: bool = typer.Option(
        False, "--no-browser", help="Skip screenshots, PDFs and rendered pages."
    ),
    browser: Path = typer.Option(
        None, "--browser", help="The Chromium/Chrome/Edge to use.", metavar="FILE"
    ),
    json_out: bool = JSON_OPTION,
) -> None:
    """Run a whole investigation offline: capture, timestamp, request, verify, export.

    Starts a FICTITIOUS wildlife marketplace and a TEST time-stamping authority on this
    computer, makes a demo investigator key, and works in a new folder. Your own keys
    and configuration are not used or changed. Nothing is sent to the internet.
    """
    from cybercase.training.demo import run_demo

    step = 0

    def narrate(title: str, detail: str) -> None:
        nonlocal step
        step += 1
        if not json_out:
            from cybercase.cli.common import shown

            say(f"[bold cyan]{step:2d}. {shown(title)}[/bold cyan]  {shown(detail)}")

    result = run_demo(out_dir, narrate=narrate, use_browser=not no_browser, browser=browser)
    if json_out:
        emit_json(result.to_json())
        return
    say("")
    say(f"Done in {result.seconds:.0f} s. Open the report in any browser:")
    say(f"  [bold]{result.index_html}[/bold]")
    say("Next, try:")
    say(f"  cybercase verify {result.package}")
    say(f"  cybercase training tamper {result.package}")
    say(f"  CYBERCASE_HOME={result.home} cybercase log --case {result.case_root}")
    if result.browser_note:
        say(f"[yellow]Note:[/yellow] no screenshots this time: {result.browser_note}")
