"""Rich rendering of library results for people (the ``--json`` forms need none)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.panel import Panel
from rich.table import Table

from cybercase.cli.common import shown

if TYPE_CHECKING:
    from cybercase.evidence import CustodyEntry, ItemView
    from cybercase.evidence.status import StatusReport
    from cybercase.evidence.verify import VerificationReport


def describe_entry(entry: CustodyEntry) -> str:
    """An entry's detail in a few words: the export report's description, escaped for rich.

    One describer for the terminal and the report (:func:`cybercase.report.sections.
    generic.describe`), so ``cybercase show`` and ``index.html`` say the same thing.
    """
    from cybercase.report.sections.generic import describe

    return shown(describe(entry))


def render_item(console: Console, view: ItemView, entries: list[CustodyEntry]) -> None:
    """``cybercase show``."""
    lines = [
        f"[bold]{view.id}[/bold] ({view.kind}), {shown(view.created_action)} "
        f"at {view.created_at} by {shown(view.actor_name)}"
    ]
    for key, value in view.detail.items():
        if key == "artifacts" or value is None or isinstance(value, dict | list):
            continue
        lines.append(f"{shown(key)}: {shown(str(value))}")
    console.print(Panel("\n".join(lines), expand=False))
    if view.artifacts:
        table = Table(title="Artifacts")
        for column in ("role", "name", "size", "media type", "sha256"):
            table.add_column(column, overflow="fold")
        for a in view.artifacts:
            table.add_row(
                a.role,
                shown(a.name),
                f"{a.size:,}",
                a.media_type,
                a.digest.removeprefix("sha256:"),
            )
        console.print(table)
    table = Table(title="Custody entries")
    for column in ("seq", "time (UTC)", "actor", "action", "detail"):
        table.add_column(column, overflow="fold")
    for e in entries:
        table.add_row(str(e.seq), e.at, shown(e.actor_name), e.action, describe_entry(e))
    console.print(table)


def render_status(
    console: Console, report: StatusReport, due: Sequence[dict[str, Any]] = ()
) -> None:
    """``cybercase status``; ``due`` are requests with a deadline soon, shown first."""
    if due:
        lines = []
        for row in due:
            deadline = row["deadline"]
            when = deadline["at"].replace("T", " ")[:16]
            if deadline["kind"] == "expired":
                what = f"[bold red]preservation EXPIRED {when} UTC[/bold red]"
            elif deadline["kind"] == "extension":
                what = f"ask for an extension by {when} UTC ({row['days_left']:.0f} days)"
            else:
                what = f"preservation ends {when} UTC ({row['days_left']:.0f} days)"
            lines.append(f"• {row['id']} {row['type']} to {shown(row['platform'])}: {what}")
        console.print(
            Panel("\n".join(lines), title="Requests due", border_style="yellow", expand=False)
        )
    case = report.case
    if report.problems:
        # Plain lines, not a panel: a panel crops what is wider than the terminal.
        console.print("[bold red]Problems:[/bold red]")
        for problem in report.problems:
            console.print(f"[red]•[/red] {shown(problem)}")
    lines = [
        f"[bold]{shown(case['id'])}[/bold] — {shown(case['title'])}",
        f"agency: {shown(case['agency'])}",
    ]
    for key in ("jurisdiction", "offence"):
        if case.get(key):
            lines.append(f"{key}: {shown(str(case[key]))}")
    if case.get("species"):
        lines.append("species: " + shown(", ".join(case["species"])))
    lines.append(f"folder: {shown(report.root)}")
    console.print(Panel("\n".join(lines), title="Case", expand=False))
    counts = "   ".join(
        f"{name.replace('_', ' ')}: [bold]{value}[/bold]" for name, value in report.counts.items()
    )
    console.print(counts)
    if report.last_entry:
        e = report.last_entry
        console.print(f"last entry: #{e['seq']} {e['action']} at {e['at']} by {shown(e['actor'])}")
    verified = report.last_verified
    console.print(
        f"last verified: {verified['at']} ({verified['result']})"
        if verified
        else "last verified: never"
    )
    if not report.problems:
        console.print("[green]No problems seen[/green] (run 'cybercase verify' for a full check).")


def render_verification(console: Console, report: VerificationReport) -> None:
    """``cybercase verify``: one line per finding, then a summary table."""
    for finding in report.findings:
        style = {"error": "red", "warning": "yellow", "info": "dim"}[finding.severity]
        console.print(f"[{style}]{shown(finding.line())}[/{style}]")
    table = Table(title=f"Verification of {shown(report.case_id or report.target)}")
    table.add_column("check")
    table.add_column("result")
    table.add_column("summary", overflow="fold")
    colours = {"passed": "green", "failed": "red", "warning": "yellow", "not checked": "dim"}
    for check in report.checks:
        colour = colours[check.status]
        table.add_row(check.name, f"[{colour}]{check.status}[/{colour}]", shown(check.summary))
    console.print(table)
    if report.ok:
        extra = f" ({len(report.warnings)} warning(s))" if report.warnings else ""
        console.print(f"[bold green]PASSED[/bold green]: no integrity problem found{extra}.")
    else:
        console.print(f"[bold red]FAILED[/bold red]: {len(report.errors)} problem(s) found.")
