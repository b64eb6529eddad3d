"""``cybercase key``: the investigator's own signing key."""

from pathlib import Path

import typer

from cybercase.cli.common import JSON_OPTION, clean, emit_json, out, read_passphrase, say

key_app = typer.Typer(
    help=(
        "Your investigator key: an Ed25519 key pair that signs every custody entry you make. "
        "The private key stays in your cybercase folder, encrypted with your passphrase "
        "(scripts set CYBERCASE_PASSPHRASE; it is never a command-line argument)."
    ),
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    """Attach the ``key`` group."""
    app.add_typer(key_app, name="key")


@key_app.command("new")
def key_new(
    name: str = typer.Option(
        ..., "--name", help="Your full name, as it should appear in court.", metavar="NAME"
    ),
    email: str = typer.Option(
        None, "--email", help="Your official email address.", metavar="EMAIL"
    ),
    json_out: bool = JSON_OPTION,
) -> None:
    """Make a new key pair (the first one becomes your default key)."""
    from cybercase.evidence import KeyRing
    from cybercase.settings import user_home

    passphrase = read_passphrase("New passphrase (8 characters or more): ", confirm=True)
    ring = KeyRing(user_home())
    identity = ring.create(name, email, passphrase)
    info = {
        "name": identity.name,
        "email": identity.email,
        "fingerprint": f"sha256:{identity.fingerprint}",
        "default": ring.default_fingerprint() == identity.fingerprint,
        "folder": str(ring.folder),
    }
    if json_out:
        emit_json(info)
        return
    say(f"Key made for [bold]{identity.name}[/bold].")
    say(f"Fingerprint: sha256:{identity.fingerprint}")
    say(f"Stored in {ring.folder}. Keep your passphrase safe: it cannot be recovered.")


@key_app.command("show")
def key_show(
    all_keys: bool = typer.Option(False, "--all", help="List every key, not only the default."),
    key: str = typer.Option(
        None, "--key", help="Show this key (fingerprint prefix or name).", metavar="KEY"
    ),
    json_out: bool = JSON_OPTION,
) -> None:
    """Show your name and key fingerprint."""
    from cybercase.evidence import KeyRing
    from cybercase.settings import user_home

    ring = KeyRing(user_home())
    default = ring.default_fingerprint()
    keys = ring.list() if all_keys else [ring.find(key)]
    rows = [
        {
            "name": k.name,
            "email": k.email,
            "fingerprint": f"sha256:{k.fingerprint}",
            "created": k.created,
            "default": k.fingerprint == default,
        }
        for k in keys
    ]
    if json_out:
        emit_json(rows if all_keys else rows[0])
        return
    for row in rows:
        marker = " (default)" if row["default"] else ""
        out().print(f"{clean(row['name'])}{marker}", markup=False)
        if row["email"]:
            out().print(f"  email:       {clean(row['email'])}", markup=False)
        out().print(f"  fingerprint: {row['fingerprint']}", markup=False)
        out().print(f"  created:     {row['created']}", markup=False)


@key_app.command("export")
def key_export(
    output: Path = typer.Option(
        None,
        "--out",
        "-o",
        help="Write the public key to this file (default: stdout).",
        metavar="FILE",
    ),
    key: str = typer.Option(
        None, "--key", help="Export this key (fingerprint prefix or name).", metavar="KEY"
    ),
) -> None:
    """Write your public key, for a colleague to register with 'cybercase custodian add'."""
    import sys

    from cybercase.evidence import KeyRing
    from cybercase.settings import user_home

    stored = KeyRing(user_home()).find(key)
    data = stored.identity().to_pub_file()
    if output is None:
        sys.stdout.write(data.decode("utf-8"))
        return
    from cybercase.evidence.fsio import write_bytes_durably

    write_bytes_durably(output, data)
    say(f"Public key of {stored.name} written to {output}")


@key_app.command("default")
def key_default(
    key: str = typer.Argument(..., help="Fingerprint prefix or name.", metavar="KEY"),
) -> None:
    """Choose which of your keys signs by default."""
    from cybercase.evidence import KeyRing
    from cybercase.settings import user_home

    ring = KeyRing(user_home())
    stored = ring.find(key)
    ring.set_default(stored.fingerprint)
    say(f"Default key: {stored.name} (sha256:{stored.fingerprint})")


@key_app.command("check-secret")
def key_check_secret(
    recorded: str = typer.Argument(
        ...,
        metavar="HASH",
        help="The hash from the record ('hmac-sha256:…'), or the whole '[redacted by "
        "cybercase: …]' placeholder copied from the WARC.",
        show_default=False,
    ),
    json_out: bool = JSON_OPTION,
) -> None:
    """Confirm that a value you sent is the one withheld from the evidence under HASH.

    Cookie, Authorization, extra header values and passwords in URLs are replaced in the
    evidence by a keyed hash (HMAC-SHA256) that only your redaction key, kept in your
    cybercase folder, can reproduce. The value is read from the terminal without echo, or
    from stdin (one line) in scripts, never from the command line. For a URL's
    credentials, give 'user:password'. Exit 0 when it matches, 1 when it does not.
    """
    import sys

    from cybercase.evidence.keys.redaction import confirm_secret
    from cybercase.settings import user_home

    if sys.stdin.isatty():
        import getpass

        value = getpass.getpass("Value to check (not shown): ")
    else:
        value = sys.stdin.readline().removesuffix("\n").removesuffix("\r")
    check = confirm_secret(value.encode("utf-8"), recorded, user_home())
    if json_out:
        emit_json(
            {
                "result": check.result.value,
                "matches": check.matches,
                "algorithm": check.algorithm,
                "key_id": check.key_id,
                "local_key_id": check.local_key_id,
            }
        )
    elif check.matches:
        say("[green]match[/green]: this is the value that was withheld.")
    elif check.key_id is not None and check.key_id != check.local_key_id:
        say(
            f"[yellow]cannot tell[/yellow]: the hash was made with redaction key {check.key_id}, "
            f"yours is {check.local_key_id}; check it on the machine (or backup) holding that key."
        )
    else:
        say("[red]no match[/red]: this is not the value that was withheld.")
    if not check.matches:
        raise typer.Exit(1)
