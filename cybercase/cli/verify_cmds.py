"""``cybercase verify``: check a case (or an exported package) completely."""

from pathlib import Path

import typer

from cybercase.cli.common import CASE_OPTION, JSON_OPTION, KEY_OPTION, emit_json, out, say


def register(app: typer.Typer) -> None:
    """Attach ``verify``."""
    app.command("verify")(verify)


def verify(
    target: Path = typer.Argument(
        None,
        help="A case folder, an exported package (folder or .zip) or a .wacz file. "
        "Default: the current case.",
        show_default=False,
        metavar="CASE-OR-PACKAGE",
    ),
    case_dir: Path = CASE_OPTION,
    no_log: bool = typer.Option(
        False, "--no-log", help="Do not record this verification in the custody log."
    ),
    key: str = KEY_OPTION,
    trust: list[str] = typer.Option(
        [],
        "--trust",
        metavar="FINGERPRINT",
        help="A key the case must be rooted in (the key that created it); repeat for "
        "several. Adds to [verify] trusted_keys in the configuration.",
        show_default=False,
    ),
    against: str = typer.Option(
        None,
        "--against",
        metavar="s3://BUCKET/PREFIX",
        help="Instead, read the case's replica back and check it matches the case.",
        show_default=False,
    ),
    json_out: bool = JSON_OPTION,
) -> None:
    """Re-hash every object, re-check the chain and every signature; exit 1 on any problem.

    The report names the key the case is rooted in; with --trust (or the agency's
    [verify] trusted_keys) a case rooted in any other key fails. When you are a custodian
    of the case, the run and its result are recorded in the custody log (case.verified);
    --no-log skips that.
    """
    from cybercase.cli.common import progress_for
    from cybercase.evidence.verify import trusted_keys_setting, verify_case
    from cybercase.report.verify_target import verify_target
    from cybercase.settings import load_config

    chosen = verify_target(target, case_dir)
    if chosen.kind == "wacz":
        _verify_wacz(chosen.path, json_out)
        return
    trusted = [*trust, *trusted_keys_setting(load_config())]
    if chosen.kind == "package":
        _verify_package(chosen.path, json_out, trusted)
        return
    root = chosen.path
    if against is not None:
        from cybercase.cli.replica_cmds import verify_against

        verify_against(root, against, json_out)
        return
    report = verify_case(root, progress=progress_for(json_out), trusted_keys=trusted)
    recorded = None if no_log else _record(root, report, key, quiet=json_out)
    if json_out:
        data = report.to_json()
        data["recorded_seq"] = recorded
        emit_json(data)
    else:
        from cybercase.cli.render import render_verification

        render_verification(out(), report)
    if not report.ok:
        raise typer.Exit(1)


def _verify_package(target: Path, json_out: bool, trusted: list[str]) -> None:
    """An exported package: checked in full, nothing recorded (it is not a case)."""
    from cybercase.cli.common import progress_for
    from cybercase.report import verify_package

    report = verify_package(target, progress=progress_for(json_out), trusted_keys=trusted)
    if json_out:
        emit_json(report.to_json())
    else:
        from cybercase.cli.render import render_verification

        render_verification(out(), report)
    if not report.ok:
        raise typer.Exit(1)


def _verify_wacz(target: Path, json_out: bool) -> None:
    """A WACZ file: its files, signature and timestamp; nothing recorded."""
    from cybercase.report.wacz import verify_wacz

    report = verify_wacz(target)
    if json_out:
        emit_json(report.to_json())
    else:
        from cybercase.cli.render import render_verification

        render_verification(out(), report)
    if not report.ok:
        raise typer.Exit(1)


def _record(root: Path, report: object, key: str | None, *, quiet: bool) -> int | None:
    """Log the run when the library's rule says so (:func:`recording_plan`)."""
    import sys

    from cybercase.cli.common import load_signer
    from cybercase.errors import CybercaseError
    from cybercase.evidence import Case
    from cybercase.evidence.verify import VerificationReport, record_verification
    from cybercase.report.verify_target import recording_plan

    assert isinstance(report, VerificationReport)
    plan = recording_plan(root, key, interactive=sys.stdin.isatty())
    if plan.fingerprint is None:
        if plan.why_not:
            say(f"({plan.why_not})", quiet=quiet)
        return None
    try:
        entry = record_verification(Case.open(root), load_signer(plan.fingerprint), report)
    except CybercaseError as exc:
        say(f"(verification not recorded in the log: {exc.one_line()})", quiet=quiet)
        return None
    say(f"Recorded in the custody log as entry {entry.seq}.", quiet=quiet)
    return entry.seq
