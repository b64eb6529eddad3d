"""``cybercase request new``: a request and its letter; missing values asked for at a terminal."""

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from cybercase.cli.common import (
    CASE_OPTION,
    CONFIG_OPTION,
    JSON_OPTION,
    KEY_OPTION,
    emit_json,
    interactive,
    load_signer,
    open_case,
    say,
)
from cybercase.cli.request.group import (
    NO_PDF_OPTION,
    report_step,
    request_app,
    request_config,
    split_items,
)

if TYPE_CHECKING:
    from cybercase.errors import InvalidInputError
    from cybercase.request.fields import FieldSpec, MissingValuesError

OPTIONS: dict[str, str] = {
    "agency": "--agency",
    "officer_name": "--officer",
    "badge": "--badge",
    "officer_email": "--officer-email",
    "officer_phone": "--officer-phone",
    "legal_entity": "--addressee",
    "channel": "--channel",
    "target": "--target or --items",
    "categories": "--data",
    "legal_basis": "--legal-basis",
    "offence": "--offence",
    "legal_provision": "--legal-provision",
    "summary": "--summary",
    "relation": "--relation",
    "necessity": "--necessity",
    "follow_up": "--follow-up",
    "emergency": "--emergency",
}
"""The option of ``request new`` giving each value of :data:`cybercase.request.fields.FIELDS`."""


def where(spec: "FieldSpec") -> str:
    """Where a value is given: ``--badge or [officer] badge``."""
    option = OPTIONS[spec.key]
    return f"{option} or {spec.config}" if spec.config else option


def with_options(error: "MissingValuesError") -> "InvalidInputError":
    """The library's list of missing values, as one line naming this command's options."""
    from cybercase.errors import InvalidInputError

    names = "; ".join(f"{f.label} ({where(f)})" for f in error.fields)
    return InvalidInputError(f"a {error.request_type} request needs: {names}", hint=error.hint)


def _prompt(spec: "FieldSpec", problem: str | None) -> str:
    from cybercase.cli.common import err, shown

    if problem:
        err().print(f"[red]{shown(problem)}[/red]")
    value: str = typer.prompt(spec.label[0].upper() + spec.label[1:], err=True)
    return value


@request_app.command("new")
def request_new(
    type_: str = typer.Option(
        ..., "--type", help="preservation, disclosure, emergency or takedown.", metavar="TYPE"
    ),
    platform: str = typer.Option(
        ...,
        "--platform",
        help="The platform (a name from 'cybercase request platforms').",
        metavar="PLATFORM",
    ),
    target: list[str] = typer.Option(
        [],
        "--target",
        help="A URL, @account, numeric id, or kind:value (account:, id:, listing:, email:, "
        "phone:). Repeat for several.",
        metavar="IDENTIFIER",
    ),
    items: list[str] = typer.Option(
        [],
        "--items",
        help="Evidence items showing the targets (E0003,E0007): identifiers, "
        "capture times and hashes are taken from them.",
        metavar="E0001,E0002",
    ),
    data: list[str] = typer.Option(
        [],
        "--data",
        help="Data asked for: subscriber, traffic, content (comma-separated).",
        metavar="subscriber,traffic,content",
    ),
    date_from: str = typer.Option(
        None, "--from", help="First day of the period (YYYY-MM-DD).", metavar="DATE"
    ),
    date_to: str = typer.Option(
        None, "--to", help="Last day of the period (YYYY-MM-DD).", metavar="DATE"
    ),
    data_description: str = typer.Option(
        None,
        "--data-description",
        help="More precise description of the data.",
        metavar="DESCRIPTION",
    ),
    legal_basis: str = typer.Option(
        None,
        "--legal-basis",
        help="The law, order or legal process the request is made under.",
        metavar="LAW",
    ),
    offence: str = typer.Option(
        None,
        "--offence",
        help="The offence under investigation (default: the case's).",
        metavar="OFFENCE",
    ),
    legal_provision: str = typer.Option(
        None,
        "--legal-provision",
        help="The legal provision that defines the offence.",
        metavar="PROVISION",
    ),
    summary: str = typer.Option(
        None, "--summary", help="A brief summary of the facts.", metavar="SUMMARY"
    ),
    relation: str = typer.Option(
        None, "--relation", help="How the data relates to the offence.", metavar="RELATION"
    ),
    necessity: str = typer.Option(
        None, "--necessity", help="Why preservation is necessary.", metavar="REASON"
    ),
    follow_up: str = typer.Option(
        None,
        "--follow-up",
        help="Intended follow-up: mutual-legal-assistance or production-order.",
        metavar="mla|production-order",
    ),
    emergency: str = typer.Option(
        None, "--emergency", help="For an emergency request: the imminent harm.", metavar="HARM"
    ),
    notify_user: bool = typer.Option(
        False, "--notify-user/--no-notify-user", help="Whether the platform may tell the user."
    ),
    agency: str = typer.Option(
        None, "--agency", help="Requesting agency (default: [agency]).", metavar="NAME"
    ),
    officer: str = typer.Option(
        None, "--officer", help="Officer's name (default: [officer]).", metavar="NAME"
    ),
    badge: str = typer.Option(None, "--badge", help="Officer's badge number.", metavar="NUMBER"),
    officer_email: str = typer.Option(
        None, "--officer-email", help="Officer's official email.", metavar="EMAIL"
    ),
    officer_phone: str = typer.Option(
        None, "--officer-phone", help="Officer's telephone.", metavar="PHONE"
    ),
    officer_title: str = typer.Option(
        None, "--officer-title", help="Officer's rank or function.", metavar="TITLE"
    ),
    addressee: str = typer.Option(
        None,
        "--addressee",
        help="The platform's legal entity (default: from the directory).",
        metavar="NAME",
    ),
    channel: str = typer.Option(
        None, "--channel", help="Portal, email or address the request goes to.", metavar="ADDRESS"
    ),
    days: int = typer.Option(
        None,
        "--days",
        help="Preservation period in days for this request (overrides defaults).",
        metavar="DAYS",
    ),
    language: str = typer.Option(
        None, "--language", help="Language of the letter (e.g. fr).", metavar="LANGUAGE"
    ),
    follows: str = typer.Option(
        None,
        "--follows",
        help="The earlier request this one follows (e.g. the preservation).",
        metavar="REQUEST",
    ),
    no_pdf: bool = NO_PDF_OPTION,
    save: Path = typer.Option(
        None,
        "--save",
        help="Also copy request.json and the letter into this folder.",
        metavar="FOLDER",
    ),
    config: Path = CONFIG_OPTION,
    case_dir: Path = CASE_OPTION,
    key: str = KEY_OPTION,
    json_out: bool = JSON_OPTION,
) -> None:
    """Create a request and its letter (missing details are asked for at a terminal)."""
    from cybercase.request import (
        MissingValuesError,
        RequestSpec,
        create_request,
        save_request_files,
    )

    case = open_case(case_dir)
    settings = request_config(config)
    spec = RequestSpec(
        type=type_,
        platform=platform,
        targets=target,
        items=split_items(items),
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
    try:
        result = create_request(
            case,
            signer,
            spec,
            config=settings,
            ask=_prompt if interactive() and not json_out else None,
            pdf=None if no_pdf else "auto",
        )
    except MissingValuesError as exc:
        raise with_options(exc) from exc
    saved = save_request_files(case, signer, result.request_id, save) if save else []
    if json_out:
        data_out = result.to_json()
        data_out["saved"] = [str(p) for p in saved]
        emit_json(data_out)
        return
    names = ", ".join(a.name for a in result.artifacts)
    report_step(
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
