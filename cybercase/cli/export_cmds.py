"""``cybercase export``: write the case as a package anyone can verify."""

from pathlib import Path
from typing import TYPE_CHECKING

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

if TYPE_CHECKING:
    from cybercase.evidence import Case, Signer
    from cybercase.evidence.timestamps import TsaSettings


def register(app: typer.Typer) -> None:
    """Attach ``export``."""
    app.command("export")(export)


def export(
    out_dir: Path = typer.Option(
        Path("."), "--out", "-o", help="Folder in which to create the package.", metavar="FOLDER"
    ),
    make_zip: bool = typer.Option(False, "--zip", help="Write one .zip file instead of a folder."),
    wacz: bool = typer.Option(
        False,
        "--wacz",
        help="Write only a WACZ file of the captures, for replay in ReplayWeb.page "
        "(signed with your key, timestamped by the configured TSA).",
    ),
    items: list[str] = typer.Option(
        [],
        "--items",
        help="Export only these items and requests (E0001,R0002 or repeat the option). "
        "Default: all.",
        metavar="E0001,E0002",
    ),
    no_pdf: bool = typer.Option(False, "--no-pdf", help="Do not print the report to PDF."),
    browser: Path = typer.Option(
        None,
        "--browser",
        help="Chromium to print the PDF with.",
        show_default=False,
        metavar="FILE",
    ),
    case_dir: Path = CASE_OPTION,
    key: str = KEY_OPTION,
    json_out: bool = JSON_OPTION,
) -> None:
    """Export the case: a BagIt package with an offline report, CASE/UCO and a signed log.

    The package can be verified without cybercase (see VERIFY.txt inside it); the
    export is recorded in the custody log (case.exported) with the package's hash.
    It holds the captures as a signed WACZ too (data/replay/); --wacz writes only that.
    """
    from cybercase.cli.common import progress_for
    from cybercase.evidence.timestamps import TsaSettings
    from cybercase.report import export_case

    if wacz and make_zip:
        from cybercase.errors import InvalidInputError

        raise InvalidInputError(
            "--wacz and --zip do not go together: a WACZ is already one zip file",
            hint="use --wacz for the WACZ alone, or --zip for the whole package",
        )
    case = open_case(case_dir)
    signer = load_signer(key)
    tsa = TsaSettings.load()
    if wacz:
        _export_wacz(case, signer, out_dir, items, tsa, json_out)
        return
    result = export_case(
        case,
        signer,
        out_dir,
        items=items,
        make_zip=make_zip,
        pdf=not no_pdf,
        browser=browser,
        progress=progress_for(json_out),
        tsa=tsa,
    )
    for note in result.notes:
        say(f"[yellow]{note}[/yellow]", quiet=json_out)
    if json_out:
        emit_json(result.to_json())
        return
    out().print(str(result.path), markup=False)
    say(
        f"Exported case {result.case_id}: {result.files} files, {result.bytes:,} bytes; "
        f"recorded as custody entry {result.entry_seq} (tag manifest {result.tagmanifest})."
    )
    if result.excluded:
        say(f"Left out: {', '.join(result.excluded)}.")
    say("To check it: cybercase verify " + str(result.path) + "  (or read VERIFY.txt inside).")


def _export_wacz(
    case: "Case",
    signer: "Signer",
    out_dir: Path,
    items: list[str],
    tsa: "TsaSettings",
    json_out: bool,
) -> None:
    """``--wacz``: the captures as one signed WACZ file."""
    from cybercase.cli.common import progress_for
    from cybercase.report.wacz import export_wacz

    result = export_wacz(
        case, signer, out_dir, items=items, tsa=tsa, progress=progress_for(json_out)
    )
    for note in result.notes:
        say(f"[yellow]{note}[/yellow]", quiet=json_out)
    if json_out:
        emit_json({"path": str(result.path), **result.detail(), "notes": result.notes})
        return
    out().print(str(result.path), markup=False)
    say(
        f"Wrote a WACZ of {len(result.items)} capture(s) ({result.digest}); recorded in the "
        "custody log. Open it in ReplayWeb.page; check it with: cybercase verify "
        + str(result.path)
    )
