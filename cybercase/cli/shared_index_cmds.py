"""``cybercase index --to postgresql://…``: publish the local index to the agency's database.

The ``index`` group itself belongs to investigate_cmds (``index rebuild``); this module
gives the group an option of its own, so publishing reads as ``cybercase index --to DB``.
Searching the shared index is ``cybercase search --db DB`` (an option of ``search``).
"""

from pathlib import Path

import typer

from cybercase.cli.common import CONFIG_OPTION, JSON_OPTION, emit_json, out, say


def register(app: typer.Typer) -> None:
    """Give ``cybercase index`` its ``--to`` option (after investigate_cmds registered it)."""
    from cybercase.cli.investigate_cmds import index_app

    index_app.callback(invoke_without_command=True)(index)


def index(
    ctx: typer.Context,
    to: str = typer.Option(
        None,
        "--to",
        metavar="postgresql://USER@HOST:PORT/DATABASE",
        help="Publish the index of every registered case to the agency's shared index.",
        show_default=False,
    ),
    case_ids: list[str] = typer.Option(
        [], "--case", metavar="CASE-ID", help="Publish only this case (repeat for several)."
    ),
    config: Path = CONFIG_OPTION,
    json_out: bool = JSON_OPTION,
) -> None:
    """The search index of every registered case (in your cybercase folder).

    With --to, bring it up to date and publish it: each case's rows replace what the
    database held for that case. Only the index is sent; the evidence stays in the cases.
    """
    if ctx.invoked_subcommand is not None:
        return
    if to is None:
        say(ctx.get_help())
        raise typer.Exit(2)
    from cybercase.agency.shared_index import publish_index
    from cybercase.investigate.analysis import AnalysisSettings
    from cybercase.settings import user_home

    report = publish_index(user_home(), AnalysisSettings.load(config), to, case_ids)
    if json_out:
        emit_json(report.to_json())
        return
    for folder, reason in report.skipped:
        say(f"[yellow]skipped[/yellow] {folder}: {reason}", quiet=json_out)
    for case_id, items in report.cases:
        out().print(f"{case_id}\t{items} item(s)", markup=False)
    say(f"Published {len(report.cases)} case(s).")
