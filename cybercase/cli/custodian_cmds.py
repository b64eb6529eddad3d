"""``cybercase custodian``: the investigators who may sign entries in a case."""

from pathlib import Path

import typer

from cybercase.cli.common import (
    CASE_OPTION,
    JSON_OPTION,
    KEY_OPTION,
    clean,
    emit_json,
    load_signer,
    open_case,
    out,
    say,
)

custodian_app = typer.Typer(
    help="Investigators whose keys may sign entries in this case.", no_args_is_help=True
)


def register(app: typer.Typer) -> None:
    """Attach the ``custodian`` group."""
    app.add_typer(custodian_app, name="custodian")


@custodian_app.command("add")
def custodian_add(
    pubkey_file: Path = typer.Argument(
        ..., help="The colleague's public key, from 'cybercase key export'.", metavar="FILE"
    ),
    case_dir: Path = CASE_OPTION,
    key: str = KEY_OPTION,
    json_out: bool = JSON_OPTION,
) -> None:
    """Register a colleague's key; the entry is signed by you, a current custodian."""
    from cybercase.errors import InvalidInputError
    from cybercase.evidence import PublicIdentity

    try:
        data = pubkey_file.read_bytes()
    except OSError as exc:
        raise InvalidInputError(f"cannot read {pubkey_file}: {exc.strerror}") from exc
    identity = PublicIdentity.from_pub_bytes(data, str(pubkey_file))
    case = open_case(case_dir)
    entry = case.add_custodian(load_signer(key), identity)
    if json_out:
        emit_json(entry.to_json())
        return
    say(
        f"{identity.name} (sha256:{identity.fingerprint}) is now a custodian of "
        f"{case.meta.id} (entry {entry.seq})."
    )


@custodian_app.command("list")
def custodian_list(case_dir: Path = CASE_OPTION, json_out: bool = JSON_OPTION) -> None:
    """List the custodians registered in the case's log."""
    case = open_case(case_dir)
    rows = [
        {
            "name": k.name,
            "email": k.email,
            "fingerprint": f"sha256:{k.fingerprint}",
            "registered_seq": k.registered_seq,
        }
        for k in case.state.keys.values()
    ]
    if json_out:
        emit_json(rows)
        return
    for row in rows:
        out().print(
            f"{clean(row['name'])}  {row['fingerprint']}  (since entry {row['registered_seq']})",
            markup=False,
        )
