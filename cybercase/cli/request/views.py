"""``cybercase request show|list|platforms``: reading requests, deadlines and the directory."""

from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from cybercase.cli.common import (
    CASE_OPTION,
    CONFIG_OPTION,
    JSON_OPTION,
    KEY_OPTION,
    emit_json,
    load_signer,
    open_case,
    out,
    say,
    shown,
)

if TYPE_CHECKING:
    from rich.console import Console

    from cybercase.request import RequestDetails, RequestSummary

from cybercase.cli.request.group import (
    request_app,
    request_config,
)


@request_app.command("show")
def request_show(
    request_id: str = typer.Argument(..., help="The request (R0001).", metavar="REQUEST"),
    save: Path = typer.Option(
        None,
        "--save",
        help="Copy its files (request.json, letters) into this folder; the copy is logged "
        "(artifact.copied), signed with your key.",
        metavar="FOLDER",
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
        metavar="DAYS",
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
    from cybercase.agency.shared_search import shared_requests

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
    name: str = typer.Argument(None, help="Show one platform's entry in full.", metavar="PLATFORM"),
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
    settings = request_config(config)
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
