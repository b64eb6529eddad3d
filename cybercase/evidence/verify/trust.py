"""Checks of the keys: the key files against the custodians the log registers, and the
case's root key against the fingerprints a verifier trusts.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from cybercase.errors import CybercaseError
from cybercase.evidence.actions import CASE_CREATED
from cybercase.evidence.keys.identity import PublicIdentity
from cybercase.evidence.log.state import KeyRecord
from cybercase.evidence.verify.custody import LogCheck, _where_line
from cybercase.evidence.verify.findings import Finding


def normalise_fingerprint(text: str) -> str:
    """A fingerprint as given by a person: hex, any case, optionally ``sha256:`` and colons."""
    return text.strip().lower().removeprefix("sha256:").replace(":", "")


def check_trust(check: LogCheck, trusted: Sequence[str]) -> tuple[list[Finding], str]:
    """Which key the case is rooted in, and whether it is one the reader trusts.

    Every custodian key is registered by an entry signed by an earlier custodian, back to
    the key that signed ``case.created``: that key is the case's root. Someone who
    re-signs a whole log with a new key makes a new root; a reader who says which roots
    they expect (``--trust``, or ``[verify] trusted_keys``) sees that.
    """
    root = check.entries[0] if check.entries else None
    if root is None or root.action != CASE_CREATED or root.seq not in check.valid_entries:
        return [], "no valid case.created entry: the root key is unknown"
    record = check.keys.get(root.actor_key)
    name = record.name if record else root.actor_name
    summary = f"rooted in key {root.actor_key} ({name})"
    wanted = {normalise_fingerprint(t) for t in trusted if t.strip()}
    if not wanted:
        return [], summary + "; no trusted keys given (--trust, [verify] trusted_keys)"
    matches = any(
        root.actor_key == w or (len(w) >= 16 and root.actor_key.startswith(w)) for w in wanted
    )
    if matches:
        return [], summary + ", a trusted key"
    return [
        Finding(
            "error",
            "key.untrusted",
            _where_line(1, 1),
            f"the case is rooted in key {root.actor_key} ({name}), which is not among the "
            "trusted keys: the whole log may have been re-signed by someone else",
        )
    ], summary


class VerifySettings(BaseModel):
    """The ``[verify]`` table of the configuration."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    trusted_keys: list[str] = Field(default_factory=list)
    """Fingerprints of the keys a case may be rooted in (the agency's investigators)."""


def trusted_keys_setting(config: dict[str, Any]) -> list[str]:
    """``[verify] trusted_keys`` from a loaded configuration; a bad value is a usage error."""
    from cybercase.settings import invalid_setting, section

    try:
        return VerifySettings.model_validate(section(config, "verify")).trusted_keys
    except ValidationError as exc:
        raise invalid_setting(exc, "verify setting", "see docs/configuration.md") from exc


def root_keys(check: LogCheck) -> list[dict[str, str]]:
    """The case's root key and every custodian key, for ``--json``."""
    root = check.entries[0].actor_key if check.entries else None
    return [
        {
            "fingerprint": k.fingerprint,
            "name": k.name,
            "role": "root" if k.fingerprint == root else "custodian",
        }
        for k in check.keys.values()
    ]


def check_key_files(keys_dir: Path, keys: dict[str, KeyRecord]) -> list[Finding]:
    """Each registered key has its ``.pub`` file, holding exactly that key."""
    findings: list[Finding] = []
    for fp in keys:
        path = keys_dir / f"{fp}.pub"
        where = f"keys/{fp}.pub"
        if not path.is_file():
            findings.append(
                Finding(
                    "error",
                    "key.missing",
                    where,
                    f"the public key file of {keys[fp].name} is missing",
                )
            )
            continue
        record = keys[fp]
        try:
            data = path.read_bytes()
            identity = PublicIdentity.from_pub_bytes(data, where)
        except (CybercaseError, OSError) as exc:
            findings.append(Finding("error", "key.unreadable", where, f"unreadable: {exc}"))
            continue
        if identity.public_raw != record.public_raw:
            findings.append(
                Finding(
                    "error",
                    "key.swapped",
                    where,
                    "holds a different key from the one registered in the log",
                )
            )
        elif data != PublicIdentity(record.name, record.email, record.public_raw).to_pub_file():
            findings.append(
                Finding("error", "key.altered", where, "changed after it was registered")
            )
    if keys_dir.is_dir():
        for path in sorted(keys_dir.glob("*.pub")):
            if path.stem not in keys:
                findings.append(
                    Finding(
                        "warning",
                        "key.unregistered",
                        f"keys/{path.name}",
                        "a key file no custody entry registers",
                    )
                )
    return findings
