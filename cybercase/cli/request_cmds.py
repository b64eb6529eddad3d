"""``cybercase request``: preservation and disclosure requests to platforms."""

from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from cybercase.cli.common import (
    CASE_OPTION,
    CONFIG_OPTION,
    JSON_OPTION,
    KEY_OPTION,
    clean,
    emit_json,
    interactive,
    load_signer,
    open_case,
    out,
    say,
    shown,
)

if TYPE_CHECKING:
    from rich.console import Console

    from cybercase.request import RequestDetails, RequestSummary, StepResult
    from cybercase.request.create import FieldSpec

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


def _config(path: Path | None) -> Any:
    from cybercase.request import RequestConfig
    from cybercase.settings import load_config

    return RequestConfig.from_config(load_config(path))


def _prompt(spec: "FieldSpec", problem: str | None) -> str:
    from cybercase.cli.common import err, shown

    if problem:
        err().print(f"[red]{shown(problem)}[/red]")
    value: str = typer.prompt(spec.label[0].upper() + spec.label[1:], err=True)
    return value


def _split(values: list[str]) -> list[str]:
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


def _report_step(result: "StepResult", headline: str, *, json_out: bool) -> None:
    if json_out:
        emit_json(result.to_json())
        return
    say(headline)
    for message in result.messages:
        say(f"[yellow]{message}[/yellow]")


@request_app.command("new")
def request_new(
    type_: str = typer.Option(
        ..., "--type", help="preservation, disclosure, emergency or takedown."
    ),
    platform: str = typer.Option(
        ..., "--platform", help="The platform (a name from 'cybercase request platforms')."
    ),
    target: list[str] = typer.Option(
        [],
        "--target",
        help="A URL, @account, numeric id, or kind:value (account:, id:, listing:, email:, "
        "phone:). Repeat for several.",
    ),
    items: list[str] = typer.Option(
        [],
        "--items",
        help="Evidence items showing the targets (E0003,E0007): identifiers, "
        "capture times and hashes are taken from them.",
    ),
    data: list[str] = typer.Option(
        [], "--data", help="Data asked for: subscriber, traffic, content (comma-separated)."
    ),
    date_from: str = typer.Option(None, "--from", help="First day of the period (YYYY-MM-DD)."),
    date_to: str = typer.Option(None, "--to", help="Last day of the period (YYYY-MM-DD)."),
    data_description: str = typer.Option(
        None, "--data-description", help="More precise description of the data."
    ),
    legal_basis: str = typer.Option(
        None, "--legal-basis", help="The law, order or legal process the request is made under."
    ),
    offence: str = typer.Option(
        None, "--offence", help="The offence under investigation (default: the case's)."
    ),
    legal_provision: str = typer.Option(
        None, "--legal-provision", help="The legal provision that defines the offence."
    ),
    summary: str = typer.Option(None, "--summary", help="A brief summary of the facts."),
    relation: str = typer.Option(None, "--relation", help="How the data relates to the offence."),
    necessity: str = typer.Option(None, "--necessity", help="Why preservation is necessary."),
    follow_up: str = typer.Option(
        None, "--follow-up", help="Intended follow-up: mutual-legal-assistance or production-order."
    ),
    emergency: str = typer.Option(
        None, "--emergency", help="For an emergency request: the imminent harm."
    ),
    notify_user: bool = typer.Option(
        False, "--notify-user/--no-notify-user", help="Whether the platform may tell the user."
    ),
    agency: str = typer.Option(None, "--agency", help="Requesting agency (default: [agency])."),
    officer: str = typer.Option(None, "--officer", help="Officer's name (default: [officer])."),
    badge: str = typer.Option(None, "--badge", help="Officer's badge number."),
    officer_email: str = typer.Option(None, "--officer-email", help="Officer's official email."),
    officer_phone: str = typer.Option(None, "--officer-phone", help="Officer's telephone."),
    officer_title: str = typer.Option(None, "--officer-title", help="Officer's rank or function."),
    addressee: str = typer.Option(
        None, "--addressee", help="The platform's legal entity (default: from the directory)."
    ),
    channel: str = typer.Option(
        None, "--channel", help="Portal, email or address the request goes to."
    ),
    days: int = typer.Option(
        None, "--days", help="Preservation period in days for this request (overrides defaults)."
    ),
    language: str = typer.Option(None, "--language", help="Language of the letter (e.g. fr)."),
    follows: str = typer.Option(
        None, "--follows", help="The earlier request this one follows (e.g. the preservation)."
    ),
    no_pdf: bool = NO_PDF_OPTION,
    save: Path = typer.Option(
        None, "--save", help="Also copy request.json and the letter into this folder."
    ),
    config: Path = CONFIG_OPTION,
    case_dir: Path = CASE_OPTION,
    key: str = KEY_OPTION,
    json_out: bool = JSON_OPTION,
) -> None:
    """Create a request and its letter (missing details are asked for at a terminal)."""
    from cybercase.request import RequestSpec, create_request, save_request_files

    case = open_case(case_dir)
    settings = _config(config)
    spec = RequestSpec(
        type=type_,
        platform=platform,
        targets=target,
        items=_split(items),
        categories=data,
        date_from=date_from,
        date_to=date_to,
        data_description=data_description,
        legal_basis=legal_basis,
        offence=offence,
        legal_provision=legal_provision,
        summary=summary,
        relation=relation,
        necessity=necessity,
        follow_up=follow_up,
        emergency=emergency,
        notify_user=notify_user,
        agency=agency,
        officer_name=officer,
        badge=badge,
        officer_email=officer_email,
        officer_phone=officer_phone,
        officer_title=officer_title,
        addressee=addressee,
        channel=channel,
        days=days,
        language=language,
        follows=follows,
    )
    signer = load_signer(key)
    result = create_request(
        case,
        signer,
        spec,
        config=settings,
        ask=_prompt if interactive() and not json_out else None,
        pdf=None if no_pdf else "auto",
    )
    saved = save_request_files(case, signer, result.request_id, save) if save else []
    if json_out:
        data_out = result.to_json()
        data_out["saved"] = [str(p) for p in saved]
        emit_json(data_out)
        return
    names = ", ".join(a.name for a in result.artifacts)
    _report_step(
        result,
        f"Request [bold]{result.request_id}[/bold] ({result.status.type} to "
        f"{result.status.platform}) created: {names}",
        json_out=False,
    )
    for path in saved:
        say(f"  saved {path}")
    rid = result.request_id
    say(
        f"Next: send the letter (cybercase request show {rid} --save DIR), then record it: "
        f"cybercase request sent {rid} --via portal|email|post"
    )


@request_app.command("sent")
def request_sent(
    request_id: str = typer.Argument(..., help="The request (R0001)."),
    via: str = typer.Option(..., "--via", help="portal, email or post."),
    reference: str = typer.Option(
        None, "--reference", help="The platform's reference or ticket number."
    ),
    at: str = typer.Option(
        None, "--at", help="When it was sent, if not now (UTC, e.g. 2026-03-01T09:30:00Z)."
    ),
    receipt: Path = typer.Option(
        None, "--receipt", help="A proof of sending (portal confirmation, sent email) to keep."
    ),
    note: str = typer.Option(None, "--note", help="A note recorded with the step."),
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
        via=via.strip().lower(),
        reference=reference,
        at=when,
        note=note,
        receipt=receipt,
    )
    headline = f"{result.request_id} recorded as sent via {via} (entry {result.entry.seq})."
    expires = result.status.expires_at
    if expires is not None:
        headline += f" Preservation ends {expires:%Y-%m-%d %H:%M} UTC"
        deadline = result.status.extension_deadline
        if deadline is not None:
            headline += f"; ask for an extension by {deadline:%Y-%m-%d}."
        else:
            headline += "."
    _report_step(result, headline, json_out=json_out)


@request_app.command("respond")
def request_respond(
    request_id: str = typer.Argument(..., help="The request (R0001)."),
    files: list[Path] = typer.Argument(..., help="The files the platform sent."),
    reference: str = typer.Option(None, "--reference", help="The platform's reference."),
    sha256: list[str] = typer.Option(
        [], "--sha256", help="A SHA-256 the platform gave for a file (one per file, in order)."
    ),
    note: str = typer.Option(None, "--note", help="A note recorded with the items."),
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
    request_id: str = typer.Argument(..., help="The preservation request (R0001)."),
    days: int = typer.Option(
        None, "--days", help="Length of the extension (default: the platform's)."
    ),
    note: str = typer.Option(None, "--note", help="A note recorded with the step."),
    no_pdf: bool = NO_PDF_OPTION,
    config: Path = CONFIG_OPTION,
    case_dir: Path = CASE_OPTION,
    key: str = KEY_OPTION,
    json_out: bool = JSON_OPTION,
) -> None:
    """Ask for a preservation to be extended (before it expires); makes the letter."""
    from cybercase.request import extend_request

    case = open_case(case_dir)
    settings = _config(config)
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
    _report_step(
        result,
        f"Extension {len(result.status.extensions)} of {result.request_id} recorded: "
        f"preservation asked{until}. Send {result.artifacts[0].name} "
        f"(cybercase request show {result.request_id} --save DIR).",
        json_out=json_out,
    )


@request_app.command("close")
def request_close(
    request_id: str = typer.Argument(..., help="The request (R0001)."),
    outcome: str = typer.Option(
        ...,
        "--outcome",
        help="fulfilled, partly-fulfilled, refused, no-data, lapsed, withdrawn or superseded.",
    ),
    note: str = typer.Option(None, "--note", help="A note recorded with the step."),
    case_dir: Path = CASE_OPTION,
    key: str = KEY_OPTION,
    json_out: bool = JSON_OPTION,
) -> None:
    """Close a request with its outcome; nothing more can be recorded on it."""
    from cybercase.request import close_request

    case = open_case(case_dir)
    result = close_request(
        case, load_signer(key), request_id, outcome=outcome.strip().lower(), note=note
    )
    _report_step(
        result,
        f"{result.request_id} closed ({outcome}), entry {result.entry.seq}.",
        json_out=json_out,
    )


@request_app.command("show")
def request_show(
    request_id: str = typer.Argument(..., help="The request (R0001)."),
    save: Path = typer.Option(
        None,
        "--save",
        help="Copy its files (request.json, letters) into this folder; the copy is logged "
        "(artifact.copied), signed with your key.",
    ),
    case_dir: Path = CASE_OPTION,
    key: str = KEY_OPTION,
    json_out: bool = JSON_OPTION,
) -> None:
    """Show a request: what it asks, its state and deadlines, its files and its entries."""
    from cybercase.request import request_details, save_request_files

    case = open_case(case_dir)
    details = request_details(case, request_id)
    saved = save_request_files(case, load_signer(key), details.status.id, save) if save else []
    if json_out:
        data = details.to_json()
        data["saved"] = [str(p) for p in saved]
        emit_json(data)
        return
    _render_details(out(), details)
    for path in saved:
        say(f"saved {path}")


@request_app.command("list")
def request_list(
    due: float = typer.Option(
        None,
        "--due",
        help="Only requests with a preservation deadline (extension or expiry) within N days, "
        "or already passed.",
    ),
    open_only: bool = typer.Option(False, "--open", help="Leave out closed requests."),
    db: str = typer.Option(
        None,
        "--db",
        metavar="postgresql://USER@HOST:PORT/DATABASE",
        help="Every published case of the agency's shared index instead (see "
        "'cybercase index --to'); deadlines as of each case's last publication.",
        show_default=False,
    ),
    case_dir: Path = CASE_OPTION,
    json_out: bool = JSON_OPTION,
) -> None:
    """List the requests of the case, with their next deadline."""
    from cybercase.request import list_requests

    if db is not None:
        _list_shared(db, due, open_only, json_out)
        return
    case = open_case(case_dir)
    rows = list_requests(case, due_within_days=due, include_closed=not open_only)
    if json_out:
        emit_json([r.to_json() for r in rows])
        return
    if not rows:
        say("No request due." if due is not None else "No request in this case yet.")
        return
    _render_list(out(), rows, due)


def _list_shared(db: str, due: float | None, open_only: bool, json_out: bool) -> None:
    from cybercase.agency.shared_index import shared_requests

    rows = shared_requests(db, due_within_days=due)
    if open_only:
        rows = [r for r in rows if r.state != "closed"]
    if json_out:
        emit_json([r.to_json() for r in rows])
        return
    if not rows:
        say("No request due in the shared index." if due is not None else "No request published.")
        return
    from rich.table import Table

    table = Table()
    for column in ("case", "id", "type", "platform", "state", "next deadline", "days left"):
        table.add_column(column, overflow="fold")
    for r in rows:
        when = f"{r.deadline_kind} {r.deadline_at}" if r.deadline_at else "—"
        left = f"{r.days_left:.1f}" if r.days_left is not None else "—"
        table.add_row(
            shown(r.case_id), r.request_id, r.type, shown(r.platform), r.state, when, left
        )
    out().print(table)


@request_app.command("platforms")
def request_platforms(
    name: str = typer.Argument(None, help="Show one platform's entry in full."),
    init: bool = typer.Option(
        False, "--init", help="Copy the shipped directory into your cybercase folder to edit."
    ),
    config: Path = CONFIG_OPTION,
    json_out: bool = JSON_OPTION,
) -> None:
    """List the platform directory and show where its file is (to edit it)."""
    from cybercase.request import init_user_directory, load_directory

    if init:
        path = init_user_directory()
        if json_out:
            emit_json({"created": str(path)})
        else:
            say(f"Platform directory copied to {path}: edit it with any text editor.")
        return
    settings = _config(config)
    directory = load_directory(settings)
    entries = directory.platforms
    if name is not None:
        found = directory.find(name)
        if found is None:
            from cybercase.errors import NotFoundError

            raise NotFoundError(
                f"no platform {name!r} in {directory.path}",
                hint="list them with 'cybercase request platforms'",
            )
        entries = {found[0]: found[1]}
    policies = directory.policies(settings, entries)
    if json_out:
        emit_json(
            {
                "file": str(directory.path),
                "origin": directory.origin,
                "overridden_by_config": directory.overridden,
                "defaults": directory.defaults.model_dump(),
                "platforms": {k: p.model_dump() for k, p in entries.items()},
                "deadlines": {k: v.model_dump() for k, v in policies.items()},
            }
        )
        return
    _render_platforms(out(), directory, entries, policies, full=name is not None)


# -- rendering for people ---------------------------------------------------------------


def _when(text: str | None) -> str:
    return text.replace("T", " ")[:16] if text else "—"


def _render_list(console: "Console", rows: "list[RequestSummary]", due: float | None) -> None:
    from rich.table import Table

    from cybercase.cli.common import shown

    title = f"Requests due within {due:g} days" if due is not None else "Requests"
    table = Table(title=title)
    for column in ("id", "type", "platform", "state"):
        table.add_column(column, no_wrap=True)
    table.add_column("next deadline (UTC)")
    table.add_column("targets", overflow="fold")
    for row in rows:
        data = row.to_json()
        deadline = _deadline_text(data)
        targets = ", ".join(data["targets"][:3]) + (" …" if len(data["targets"]) > 3 else "")
        state = data["state"] + (f" ({data['outcome']})" if data["outcome"] else "")
        table.add_row(
            data["id"],
            data["type"],
            shown(data["platform"]),
            state,
            deadline,
            shown(targets),
        )
    console.print(table)


def _deadline_text(data: dict[str, Any]) -> str:
    deadline = data.get("deadline")
    if not deadline:
        return "—"
    left = data.get("days_left")
    when = _when(deadline["at"])
    if deadline["kind"] == "expired":
        return f"[bold red]EXPIRED {when}[/bold red]"
    label = "extend by" if deadline["kind"] == "extension" else "expires"
    colour = "red" if left is not None and left <= 7 else "yellow"
    return f"[{colour}]{label} {when[:10]} ({left:.0f} d)[/{colour}]"


def _render_details(console: "Console", details: "RequestDetails") -> None:
    from rich.panel import Panel
    from rich.table import Table

    from cybercase.cli.common import shown
    from cybercase.cli.render import describe_entry

    s = details.status.to_json()
    lines = [
        f"[bold]{s['id']}[/bold] {s['type']} request to {shown(s['platform'])} — {s['state']}"
        + (f" ({shown(s['outcome'])})" if s["outcome"] else ""),
        f"created: {_when(s['created'])}   sent: {_when(s['sent'])}"
        + (f" via {s['via']}" if s["via"] else ""),
    ]
    if s["reference"]:
        lines.append(f"platform reference: {shown(s['reference'])}")
    if s["follows"]:
        lines.append(f"follows: {s['follows']}")
    if s["expires"]:
        left = s["extensions_left"]
        lines.append(
            f"preservation ends: {_when(s['expires'])}   extensions: {len(s['extensions'])}"
            + (f" ({left} left)" if left is not None else "")
        )
    deadline = details.to_json()["next_deadline"]
    if deadline:
        lines.append(f"next deadline: {deadline['kind']} {_when(deadline['at'])}")
    record = details.record
    if record is not None:
        lines.append(
            f"addressee: {shown(record.addressee.legal_entity)} via "
            f"{shown(record.addressee.channel)}"
        )
        lines.append(f"officer: {shown(record.officer.name)}, badge {shown(record.officer.badge)}")
        if record.data.categories:
            lines.append("data: " + ", ".join(record.data.categories))
        for target in record.targets:
            seen = f" (seen {_when(target.seen_at)} in {target.source})" if target.source else ""
            lines.append(f"target: {target.kind} {shown(target.value)}{shown(seen)}")
    elif details.record_problem:
        lines.append(f"[red]{shown(details.record_problem)}[/red]")
    for response in s["responses"]:
        lines.append(f"response {_when(response['at'])}: items {', '.join(response['items'])}")
    console.print(Panel("\n".join(lines), title="Request", expand=False))
    if details.artifacts:
        table = Table(title="Files")
        for column in ("role", "name", "size", "sha256"):
            table.add_column(column, overflow="fold")
        for a in details.artifacts:
            table.add_row(a.role, shown(a.name), f"{a.size:,}", a.digest.removeprefix("sha256:"))
        console.print(table)
    table = Table(title="Custody entries")
    for column in ("seq", "time (UTC)", "actor", "action", "detail"):
        table.add_column(column, overflow="fold")
    for e in details.entries:
        table.add_row(str(e.seq), _when(e.at), shown(e.actor_name), e.action, describe_entry(e))
    console.print(table)


def _render_platforms(
    console: "Console",
    directory: Any,
    entries: dict[str, Any],
    policies: dict[str, Any],
    *,
    full: bool,
) -> None:
    from rich.table import Table

    from cybercase.cli.common import shown

    origin = {"shipped": "shipped default", "user": "your copy", "configured": "configured"}
    console.print(f"Platform directory: {shown(str(directory.path))} ({origin[directory.origin]})")
    if directory.origin == "shipped":
        console.print("To edit it: cybercase request platforms --init")
    d = directory.defaults
    console.print(
        f"defaults: preservation {d.preservation_days} d, extension {d.extension_days} d, "
        f"ask {d.extension_notice_days} d before expiry"
    )
    if full:
        for key, platform in entries.items():
            console.print(f"[bold]{shown(key)}[/bold]")
            for field_name, value in platform.model_dump().items():
                if value not in ("", [], None):
                    console.print(f"  {field_name}: {shown(str(value))}")
        return
    table = Table()
    for column in ("key", "name", "legal entity", "channel", "preservation", "max ext."):
        table.add_column(column, overflow="fold")
    for key, p in entries.items():
        days = policies[key].preservation_days
        max_ext = policies[key].max_extensions
        table.add_row(
            shown(key) + (" (placeholder)" if p.placeholder else ""),
            shown(p.name),
            shown(p.legal_entity or "—"),
            shown(p.channel() or "—"),
            f"{days} d",
            "no limit known" if max_ext is None else str(max_ext),
        )
    console.print(table)
