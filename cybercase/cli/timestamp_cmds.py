"""``cybercase seal`` and ``cybercase timestamp``: trusted timestamps from a TSA."""

from pathlib import Path
from typing import TYPE_CHECKING

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
)

if TYPE_CHECKING:
    from cybercase.evidence.timestamps import TimestampOutcome


def register(app: typer.Typer) -> None:
    """Attach ``seal`` and ``timestamp``."""
    app.command("seal")(seal)
    app.command("timestamp")(timestamp)


def seal(
    case_dir: Path = CASE_OPTION,
    config: Path = CONFIG_OPTION,
    key: str = KEY_OPTION,
    json_out: bool = JSON_OPTION,
) -> None:
    """Timestamp the head of the custody log: one TSA token anchors every entry so far.

    Use it at the end of a working session or a batch; see docs/timestamps.md.
    """
    from cybercase.evidence.timestamps import TsaSettings
    from cybercase.evidence.timestamps import seal as seal_log

    settings = TsaSettings.load(config)
    case = open_case(case_dir)
    outcome = seal_log(case, load_signer(key), settings)
    report(outcome, json_out)


def timestamp(
    items: list[str] = typer.Argument(
        None, help="Items to give their own token (E0001 …).", show_default=False, metavar="ITEM..."
    ),
    pending: bool = typer.Option(
        False, "--pending", help="Complete every item still awaiting a timestamp."
    ),
    case_dir: Path = CASE_OPTION,
    config: Path = CONFIG_OPTION,
    key: str = KEY_OPTION,
    json_out: bool = JSON_OPTION,
) -> None:
    """Get trusted timestamps for items, or (--pending) for all that still lack one.

    Exit 1 when some items are still pending afterwards (an authority stopped
    answering); 3 when no authority answered at all.
    """
    from cybercase.errors import UsageError
    from cybercase.evidence.timestamps import TsaSettings, timestamp_items, timestamp_pending

    if bool(items) == pending:
        raise UsageError(
            "name the items to timestamp, or use --pending (not both)",
            hint="e.g. 'cybercase timestamp E0001 E0002' or 'cybercase timestamp --pending'",
        )
    settings = TsaSettings.load(config)
    case = open_case(case_dir)
    signer = load_signer(key)
    if pending:
        outcome = timestamp_pending(case, signer, settings)
    else:
        outcome = timestamp_items(case, signer, items, settings)
    report(outcome, json_out)
    if outcome.attempts and outcome.pending:
        raise typer.Exit(1)


def report(outcome: "TimestampOutcome", json_out: bool) -> None:
    """Print what a timestamping operation did."""
    if json_out:
        emit_json(outcome.to_json())
        return
    from cybercase.cli.common import shown

    for grant in outcome.granted:
        what = (
            f"{', '.join(grant.items)}: token"
            if grant.kind == "item"
            else "Seal of the custody log: token"
        )
        out().print(
            f"{what} from {shown(grant.tsa)}, TSA time {grant.gen_time}, "
            f"over {grant.covers} (entry {grant.seq})",
            highlight=False,
        )
    for attempt in outcome.attempts:
        say(f"[yellow]{shown(attempt.authority)}: {shown(attempt.error)}[/yellow]")
    if outcome.note:
        say(shown(outcome.note[0].upper() + outcome.note[1:]) + ".")
    if outcome.pending:
        say(
            f"{len(outcome.pending)} item(s) still awaiting a trusted timestamp; "
            "'cybercase timestamp --pending' completes them."
        )
