"""Case commands: ``init``, ``add``, ``log``, ``show``, ``note``, ``status``."""

import sys
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
    from cybercase.evidence import Case


def register(app: typer.Typer) -> None:
    """Attach the case commands."""
    app.command("init")(init)
    app.command("add")(add)
    app.command("log")(log)
    app.command("show")(show)
    app.command("note")(note)
    app.command("status")(status)


def init(
    folder: Path = typer.Argument(
        ..., help="Folder to create for the case (must be new or empty).", metavar="FOLDER"
    ),
    case_id: str = typer.Option(
        ..., "--id", help="Your agency's case reference, e.g. WL-2026-014.", metavar="CASE-ID"
    ),
    title: str = typer.Option(..., "--title", help="A short title.", metavar="TITLE"),
    agency: str = typer.Option(..., "--agency", help="The investigating agency.", metavar="NAME"),
    jurisdiction: str = typer.Option(
        None, "--jurisdiction", help="Country or jurisdiction.", metavar="COUNTRY"
    ),
    offence: str = typer.Option(
        None, "--offence", help="Suspected offence and legal provision.", metavar="OFFENCE"
    ),
    species: list[str] = typer.Option(
        [], "--species", help="A species concerned (repeat for several).", metavar="NAME"
    ),
    key: str = KEY_OPTION,
    json_out: bool = JSON_OPTION,
) -> None:
    """Create a case folder, signed by your key as its first custodian."""
    from cybercase.evidence import Case

    signer = load_signer(key)
    case = Case.create(
        folder,
        case_id=case_id,
        title=title,
        agency=agency,
        jurisdiction=jurisdiction,
        offence=offence,
        species=species,
        signer=signer,
    )
    if json_out:
        from cybercase.report.case_json import CreatedCase

        emit_json(CreatedCase.of(case).to_json())
        return
    say(f"Case [bold]{case.meta.id}[/bold] created in {case.root}")
    say(f"Next: cd {case.root} && cybercase add FILE…   (or cybercase capture URL…)")


def add(
    files: list[Path] = typer.Argument(
        ..., help="Files to import as evidence items.", metavar="FILE..."
    ),
    note: str = typer.Option(
        None, "--note", help="A note recorded with each item.", metavar="NOTE"
    ),
    source: str = typer.Option(
        None,
        "--source",
        help="Where the files came from (e.g. 'saved from WhatsApp by hand').",
        metavar="SOURCE",
    ),
    case_dir: Path = CASE_OPTION,
    config: Path = CONFIG_OPTION,
    key: str = KEY_OPTION,
    json_out: bool = JSON_OPTION,
) -> None:
    """Import files (a video saved by hand, data a platform sent) as evidence items.

    With a time-stamping authority configured, one file gets its own trusted timestamp
    and several get one seal; if no authority answers, the items stay pending.
    """
    from cybercase.evidence.timestamps import TsaSettings, add_files

    settings = TsaSettings.load(config)
    case = open_case(case_dir)
    signer = load_signer(key)
    result = add_files(case, signer, files, settings, note=note, source=source)
    from cybercase.report.case_json import AddedItem

    stamped = result.timestamps
    rows = AddedItem.rows(result)
    if json_out:
        emit_json([row.to_json() for row in rows])
        return
    for row in rows:
        out().print(
            f"{row.id}  {row.digest}  {row.size:>12,} B  {clean(row.name)}",
            markup=False,
        )
    say(f"{len(rows)} item(s) added to case {case.meta.id}.")
    from cybercase.cli.timestamp_cmds import report

    report(stamped, json_out)


def log(
    item: str = typer.Option(
        None, "--item", help="Only entries naming this item or request.", metavar="ITEM"
    ),
    limit: int = typer.Option(0, "--last", help="Only the last N entries (0: all).", metavar="N"),
    case_dir: Path = CASE_OPTION,
    json_out: bool = JSON_OPTION,
) -> None:
    """Show the chain-of-custody log."""
    case = open_case(case_dir)
    entries = case.item_entries(item) if item else list(case.entries())
    if limit > 0:
        entries = entries[-limit:]
    if json_out:
        emit_json([e.to_json() for e in entries])
        return
    from rich.table import Table

    from cybercase.cli.render import describe_entry

    table = Table(title=f"Custody log of {case.meta.id}", show_lines=False)
    for column in ("seq", "time (UTC)", "actor", "action", "items", "detail"):
        table.add_column(column, overflow="fold")
    for e in entries:
        table.add_row(
            str(e.seq),
            e.at.replace("T", " ")[:23],
            e.actor_name,
            e.action,
            ", ".join(e.items),
            describe_entry(e),
        )
    out().print(table)


def show(
    item_id: str = typer.Argument(
        ...,
        metavar="ITEM",
        help="An item (E0001) or request (R0001); or a URL, for its timeline of captures.",
    ),
    file: str = typer.Option(
        None,
        "--file",
        "-f",
        help="Write this file of the item (name or role, e.g. record.json, screenshot) "
        "to stdout, or to --out; its hash is checked as it is copied.",
        metavar="NAME",
    ),
    out_path: Path = typer.Option(
        None,
        "--out",
        "-o",
        help="With --file: save the copy here (must not exist).",
        metavar="FILE",
    ),
    case_dir: Path = CASE_OPTION,
    key: str = KEY_OPTION,
    json_out: bool = JSON_OPTION,
) -> None:
    """Show one item: its artifacts with hashes, and every entry that names it.

    With --file, hand out one of its files instead, checked against its recorded hash:
    'cybercase show E0003 --file record.json' prints the capture record (EXIF GPS and
    camera serials are under "images"). A copy saved with --out is logged in the custody
    log (artifact.copied: what, its hash, where to, by whom), signed with your key.
    """
    case = open_case(case_dir)
    if item_id.lower().startswith(("http://", "https://")) and file is None:
        from cybercase.cli.watch.timeline import render_timeline
        from cybercase.monitor import timeline

        found = timeline(case, item_id)
        if json_out:
            emit_json(found.to_json())
        else:
            render_timeline(out(), found)
        return
    if file is not None:
        _hand_out(case, item_id, file, out_path, key, json_out)
        return
    if out_path is not None:
        raise typer.BadParameter("--out goes with --file NAME", param_hint="--out")
    view = case.item(item_id)
    entries = case.item_entries(view.id)
    from cybercase.cli.investigate_cmds import render_analysis, show_analysis

    analysis = show_analysis(case, view)
    if json_out:
        from cybercase.report.case_json import ItemShown

        emit_json(ItemShown(view, entries, analysis).to_json())
        return
    from cybercase.cli.render import render_item

    render_item(out(), view, entries)
    render_analysis(analysis)


def _hand_out(
    case: "Case", item_id: str, name: str, target: Path | None, key: str | None, json_out: bool
) -> None:
    """One artifact to a file (logged) or stdout; binary data is not poured onto a terminal."""
    from cybercase.errors import InvalidInputError

    artifact = case.find_artifact(item_id, name)
    if target is not None:
        if target.exists():
            raise InvalidInputError(
                f"{target} already exists", hint="choose another --out path; nothing was written"
            )
        entry = case.hand_out(load_signer(key), item_id, [(artifact, target)])
        if json_out:
            from cybercase.report.case_json import HandedOut

            emit_json(HandedOut(item_id, artifact, target, entry).to_json())
            return
        say(
            f"Saved {artifact.name} of {item_id.upper()} to {target} "
            f"({artifact.size:,} bytes, {artifact.digest}); logged as entry {entry.seq}."
        )
        return
    textual = artifact.media_type.startswith("text/") or "json" in artifact.media_type
    if sys.stdout.isatty() and not textual:
        raise InvalidInputError(
            f"{artifact.name} is {artifact.media_type}, not text",
            hint=f"save it with --out FILE, or redirect: > {Path(artifact.name).name}",
        )
    sys.stdout.flush()
    case.copy_artifact(artifact, sys.stdout.buffer)
    sys.stdout.buffer.flush()


def note(
    text: str = typer.Argument(..., help="The note.", metavar="NOTE"),
    item: str = typer.Option(None, "--item", help="Attach the note to this item.", metavar="ITEM"),
    case_dir: Path = CASE_OPTION,
    key: str = KEY_OPTION,
    json_out: bool = JSON_OPTION,
) -> None:
    """Record a signed note in the custody log (on the case, or on one item)."""
    case = open_case(case_dir)
    if item:
        case.item(item)
    entry = case.add_note(load_signer(key), text, item)
    if json_out:
        emit_json(entry.to_json())
        return
    say(f"Note recorded as entry {entry.seq}.")


def status(case_dir: Path = CASE_OPTION, json_out: bool = JSON_OPTION) -> None:
    """One screen: watched listings gone, requests due, the case, its counts, and problems.

    Exit 1 when a problem is seen (run 'cybercase verify' for the full check).
    """
    from cybercase.evidence.status import case_status
    from cybercase.monitor import load, watch_alerts
    from cybercase.request import due_requests

    case = open_case(case_dir)
    report = case_status(case)
    due_rows = due_requests(case)
    due = [row.to_json() for row in due_rows]
    alerts = watch_alerts(load(case))
    if json_out:
        from cybercase.report.case_json import CaseOverview

        emit_json(CaseOverview(report, due_rows, alerts).to_json())
    else:
        from cybercase.cli.render import render_status
        from cybercase.cli.watch.listing import render_alerts

        render_alerts(out(), alerts)
        render_status(out(), report, due=due)
    if report.problems:
        raise typer.Exit(1)
