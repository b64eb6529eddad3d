"""``cybercase request sent|respond|extend|close``: the steps of a request's life."""

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from cybercase.cli.common import (
    CASE_OPTION,
    CONFIG_OPTION,
    JSON_OPTION,
    KEY_OPTION,
    clean,
    emit_json,
    load_signer,
    open_case,
    out,
    say,
)

if TYPE_CHECKING:
    pass

from cybercase.cli.request.group import (
    NO_PDF_OPTION,
    report_step,
    request_app,
    request_config,
)


@request_app.command("sent")
def request_sent(
    request_id: str = typer.Argument(..., help="The request (R0001).", metavar="REQUEST"),
    via: str = typer.Option(
        ..., "--via", help="portal, email or post.", metavar="portal|email|post"
    ),
    reference: str = typer.Option(
        None, "--reference", help="The platform's reference or ticket number.", metavar="REFERENCE"
    ),
    at: str = typer.Option(
        None,
        "--at",
        help="When it was sent, if not now (UTC, e.g. 2026-03-01T09:30:00Z).",
        metavar="TIME",
    ),
    receipt: Path = typer.Option(
        None,
        "--receipt",
        help="A proof of sending (portal confirmation, sent email) to keep.",
        metavar="FILE",
    ),
    note: str = typer.Option(None, "--note", help="A note recorded with the step.", metavar="NOTE"),
    case_dir: Path = CASE_OPTION,
    key: str = KEY_OPTION,
    json_out: bool = JSON_OPTION,
) -> None:
    """Record that the request was sent; a preservation's deadlines start now (or --at)."""
    from cybercase.request import mark_sent
    from cybercase.request.steps import parse_time

    case = open_case(case_dir)
    when = parse_time(at, "--at") if at else None
    result = mark_sent(
        case,
        load_signer(key),
        request_id,
        via=via,
        reference=reference,
        at=when,
        note=note,
        receipt=receipt,
    )
    headline = (
        f"{result.request_id} recorded as sent via {result.status.via} (entry {result.entry.seq})."
    )
    expires = result.status.expires_at
    if expires is not None:
        headline += f" Preservation ends {expires:%Y-%m-%d %H:%M} UTC"
        deadline = result.status.extension_deadline
        if deadline is not None:
            headline += f"; ask for an extension by {deadline:%Y-%m-%d}."
        else:
            headline += "."
    report_step(result, headline, json_out=json_out)


@request_app.command("respond")
def request_respond(
    request_id: str = typer.Argument(..., help="The request (R0001).", metavar="REQUEST"),
    files: list[Path] = typer.Argument(..., help="The files the platform sent.", metavar="FILE..."),
    reference: str = typer.Option(
        None, "--reference", help="The platform's reference.", metavar="REFERENCE"
    ),
    sha256: list[str] = typer.Option(
        [],
        "--sha256",
        help="A SHA-256 the platform gave for a file (one per file, in order).",
        metavar="SHA256",
    ),
    note: str = typer.Option(
        None, "--note", help="A note recorded with the items.", metavar="NOTE"
    ),
    case_dir: Path = CASE_OPTION,
    key: str = KEY_OPTION,
    json_out: bool = JSON_OPTION,
) -> None:
    """Take in what the platform sent: each file an evidence item linked to the request."""
    from cybercase.request import record_response

    case = open_case(case_dir)
    result = record_response(
        case,
        load_signer(key),
        request_id,
        files,
        reference=reference,
        note=note,
        expected=sha256,
    )
    if json_out:
        emit_json(result.to_json())
        return
    for item, artifact in zip(result.items, result.artifacts, strict=False):
        out().print(
            f"{item}  {artifact.digest}  {artifact.size:>12,} B  {clean(artifact.name)}",
            markup=False,
        )
    say(f"{len(result.items)} file(s) taken in as the response to {result.request_id}.")


@request_app.command("extend")
def request_extend(
    request_id: str = typer.Argument(
        ..., help="The preservation request (R0001).", metavar="REQUEST"
    ),
    days: int = typer.Option(
        None, "--days", help="Length of the extension (default: the platform's).", metavar="DAYS"
    ),
    note: str = typer.Option(None, "--note", help="A note recorded with the step.", metavar="NOTE"),
    no_pdf: bool = NO_PDF_OPTION,
    config: Path = CONFIG_OPTION,
    case_dir: Path = CASE_OPTION,
    key: str = KEY_OPTION,
    json_out: bool = JSON_OPTION,
) -> None:
    """Ask for a preservation to be extended (before it expires); makes the letter."""
    from cybercase.request import extend_request

    case = open_case(case_dir)
    settings = request_config(config)
    result = extend_request(
        case,
        load_signer(key),
        request_id,
        days=days,
        note=note,
        config=settings,
        pdf=None if no_pdf else "auto",
    )
    expires = result.status.expires_at
    until = f" until {expires:%Y-%m-%d %H:%M} UTC" if expires else ""
    report_step(
        result,
        f"Extension {len(result.status.extensions)} of {result.request_id} recorded: "
        f"preservation asked{until}. Send {result.artifacts[0].name} "
        f"(cybercase request show {result.request_id} --save DIR).",
        json_out=json_out,
    )


@request_app.command("close")
def request_close(
    request_id: str = typer.Argument(..., help="The request (R0001).", metavar="REQUEST"),
    outcome: str = typer.Option(
        ...,
        "--outcome",
        help="fulfilled, partly-fulfilled, refused, no-data, lapsed, withdrawn or superseded.",
        metavar="OUTCOME",
    ),
    note: str = typer.Option(None, "--note", help="A note recorded with the step.", metavar="NOTE"),
    case_dir: Path = CASE_OPTION,
    key: str = KEY_OPTION,
    json_out: bool = JSON_OPTION,
) -> None:
    """Close a request with its outcome; nothing more can be recorded on it."""
    from cybercase.request import close_request

    case = open_case(case_dir)
    result = close_request(case, load_signer(key), request_id, outcome=outcome, note=note)
    report_step(
        result,
        f"{result.request_id} closed ({result.status.outcome}), entry {result.entry.seq}.",
        json_out=json_out,
    )
