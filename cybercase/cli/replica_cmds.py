"""``cybercase replicate`` and ``cybercase restore``: a write-once copy in S3 Object Lock.

``verify --against s3://…`` (in verify_cmds) calls :func:`verify_against` here.
Credentials come from the standard AWS environment and files only (docs/agency.md).
"""

from pathlib import Path

import typer

from cybercase.cli.common import (
    CASE_OPTION,
    JSON_OPTION,
    KEY_OPTION,
    emit_json,
    load_signer,
    open_case,
    out,
    say,
)

JOBS_OPTION = typer.Option(
    8, "--jobs", "-j", metavar="N", help="Objects sent or read at once.", min=1, max=64
)


def register(app: typer.Typer) -> None:
    """Attach ``replicate`` and ``restore``."""
    app.command("replicate")(replicate)
    app.command("restore")(restore)


def replicate(
    to: str = typer.Option(
        ...,
        "--to",
        metavar="s3://BUCKET/PREFIX",
        help="Where the replica lives: a bucket with Object Lock, and a folder in it.",
    ),
    retention_days: int = typer.Option(
        None,
        "--retention-days",
        metavar="DAYS",
        min=1,
        help="Keep every object this many days from now. Default: the bucket's default rule.",
        show_default=False,
    ),
    mode: str = typer.Option(
        "compliance",
        "--mode",
        metavar="compliance|governance",
        help="compliance: no one can delete or shorten, not even the bucket's owner; "
        "governance: a specially permitted account can.",
    ),
    legal_hold: bool = typer.Option(
        False, "--legal-hold", help="Also place a legal hold on every object sent."
    ),
    jobs: int = JOBS_OPTION,
    case_dir: Path = CASE_OPTION,
    key: str = KEY_OPTION,
    json_out: bool = JSON_OPTION,
) -> None:
    """Copy the case to S3 write-once: objects, custody log, case.json and keys.

    Each object is sent with its SHA-256 for the store to check, is never overwritten,
    and is kept until its retention date. Only what the bucket lacks is sent, so an
    interrupted run is finished by running it again. The run is recorded in the custody
    log (case.replicated). Credentials: the standard AWS environment or ~/.aws files.
    """
    from cybercase.agency.replica import Retention
    from cybercase.agency.replicate import replicate as run
    from cybercase.agency.s3 import S3Location
    from cybercase.cli.common import progress_for
    from cybercase.errors import InvalidInputError

    if mode.lower() not in ("compliance", "governance"):
        raise InvalidInputError(f"unknown --mode {mode!r}", hint="use compliance or governance")
    location = S3Location.parse(to)
    case = open_case(case_dir)
    signer = load_signer(key)
    retention = Retention(
        days=retention_days,
        mode="COMPLIANCE" if mode.lower() == "compliance" else "GOVERNANCE",
        legal_hold=legal_hold,
    )
    result = run(case, signer, location, retention, jobs=jobs, progress=progress_for(json_out))
    if json_out:
        emit_json(result.to_json())
    else:
        out().print(str(location), markup=False)
        say(
            f"Replicated case {case.meta.id}: {result.objects_sent} of {result.objects_total} "
            f"object(s) sent ({result.bytes_sent:,} bytes), log through entry "
            f"{result.custody_through}; retention {result.mode} until {result.retain_until}"
            f"{', legal hold' if result.legal_hold else ''}. Recorded as custody entry "
            f"{result.entry_seq}."
        )
        say(f"To check it: cybercase verify --against {location}")
    for problem in result.problems:
        say(f"[red]not sent: {problem}[/red] (run 'cybercase verify')")
    if result.problems:
        raise typer.Exit(1)


def restore(
    source: str = typer.Option(
        ..., "--from", metavar="s3://BUCKET/PREFIX", help="The replica to restore."
    ),
    target: Path = typer.Argument(..., metavar="DIR", help="A new folder for the case."),
    jobs: int = JOBS_OPTION,
    json_out: bool = JSON_OPTION,
) -> None:
    """Rebuild a case folder from its replica, re-hashing every object, then verify it.

    An object whose latest version was altered in the bucket is restored from its
    intact, locked original. Exit 1 when the restored case does not verify.
    """
    from cybercase.agency.restore import restore as run
    from cybercase.agency.s3 import S3Location
    from cybercase.cli.common import progress_for

    result = run(S3Location.parse(source), target, jobs=jobs, progress=progress_for(json_out))
    if json_out:
        emit_json(result.to_json())
    else:
        from cybercase.cli.render import render_verification

        render_verification(out(), result.report)
        out().print(str(result.root), markup=False)
        say(f"Restored {result.objects} object(s) and {result.entries} custody entries.")
        for name in result.recovered_versions:
            say(f"[yellow]{name}: the latest version was altered; restored its original[/yellow]")
    if not result.report.ok:
        raise typer.Exit(1)


def verify_against(root: Path, against: str, json_out: bool) -> None:
    """``verify --against s3://…``: read the replica back and compare it with the case."""
    from cybercase.agency.replica_verify import verify_against as run
    from cybercase.agency.s3 import S3Location
    from cybercase.cli.common import progress_for

    report = run(root, S3Location.parse(against), progress=progress_for(json_out))
    if json_out:
        emit_json(report.to_json())
    else:
        from cybercase.cli.render import render_verification

        render_verification(out(), report)
    if not report.ok:
        raise typer.Exit(1)
