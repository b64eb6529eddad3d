"""The ``cybercase request`` group and what its commands share (configuration, step report)."""

from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from cybercase.cli.common import (
    emit_json,
    say,
)

if TYPE_CHECKING:
    from cybercase.request import StepResult


request_app = typer.Typer(
    help=(
        "Preservation, disclosure, emergency and takedown requests to platforms: the "
        "request and its letter, each step in the custody log, deadlines, and the data "
        "the platform sends back taken in as evidence."
    ),
    no_args_is_help=True,
)


NO_PDF_OPTION = typer.Option(
    False, "--no-pdf", help="Do not print the letter to PDF (the HTML letter is always made)."
)


def register(app: typer.Typer) -> None:
    """Attach the ``request`` group."""
    app.add_typer(request_app, name="request")


def request_config(path: Path | None) -> Any:
    from cybercase.request import RequestConfig
    from cybercase.settings import load_config

    return RequestConfig.from_config(load_config(path))


def split_items(values: list[str]) -> list[str]:
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


def report_step(result: "StepResult", headline: str, *, json_out: bool) -> None:
    if json_out:
        emit_json(result.to_json())
        return
    say(headline)
    for message in result.messages:
        say(f"[yellow]{message}[/yellow]")
