"""Every token of a case as an offline verifier needs it: its files and the
``openssl ts -verify`` line that checks it (for the export package).
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass

from cybercase.clock import parse_utc
from cybercase.evidence.case import Case
from cybercase.evidence.log.state import id_number
from cybercase.evidence.models import Artifact
from cybercase.evidence.timestamps.records import (
    CHAIN_ROLE,
    ITEM,
    ROOT_ROLE,
    TOKEN_ROLE,
    TokenSummary,
    creation_artifacts,
    granted_details,
)


@dataclass(frozen=True, slots=True)
class TokenExport(TokenSummary):
    """One token as an export needs it: its files and the openssl line that checks it."""

    covered: Artifact | None
    """The file whose bytes are covered (an item's record or original); ``None`` for a seal."""
    sealed_seq: int | None
    """Seals: the last entry they anchor."""
    token: Artifact
    chain: Artifact | None
    """Certificates for openssl's ``-untrusted`` (absent when the token carries them all)."""
    root: Artifact
    """The root it chained to when granted, for ``-CAfile`` (check its fingerprint!)."""

    @property
    def attime(self) -> int:
        """genTime as a Unix time, for openssl's ``-attime``."""
        return int(parse_utc(self.gen_time).timestamp())

    def openssl_args(
        self, *, token: str, root: str, chain: str | None = None, data: str | None = None
    ) -> list[str]:
        """``openssl ts -verify`` for this token, given where its files are.

        ``-attime`` checks the certificates as of the token's time, so the command
        still succeeds after the TSA certificate has expired; without ``data`` (or for
        a seal) the covered digest is given with ``-digest``.
        """
        args = ["openssl", "ts", "-verify"]
        if data is not None and self.covered is not None:
            args += ["-data", data]
        else:
            args += ["-digest", self.covered_digest.removeprefix("sha256:")]
        args += ["-in", token, "-CAfile", root]
        if chain is not None and self.chain is not None:
            args += ["-untrusted", chain]
        args += ["-attime", str(self.attime)]
        return args

    def openssl_command(
        self, *, token: str, root: str, chain: str | None = None, data: str | None = None
    ) -> str:
        """The same as one shell line."""
        return shlex.join(self.openssl_args(token=token, root=root, chain=chain, data=data))


def token_exports(case: Case) -> list[TokenExport]:
    """Every token of the case with its files, in log order (for the export package)."""
    exports: list[TokenExport] = []
    for entry, detail in granted_details(case.entries()):
        by_role = {a.role: a for a in detail.artifacts}
        token = by_role.get(TOKEN_ROLE)
        root = by_role.get(ROOT_ROLE)
        if token is None or root is None:
            continue
        covered: Artifact | None = None
        if detail.kind == ITEM and detail.covers.item:
            view = case.state.items.get(detail.covers.item)
            if view is not None:
                covered = next(
                    (
                        a
                        for a in creation_artifacts(view)
                        if a.role == detail.covers.role and a.digest == detail.covers.digest
                    ),
                    None,
                )
        exports.append(
            TokenExport(
                seq=entry.seq,
                kind=detail.kind,
                items=tuple(entry.items),
                tsa=detail.tsa,
                gen_time=detail.gen_time,
                covered_digest=detail.covers.digest,
                covered=covered,
                sealed_seq=detail.covers.seq,
                token=token,
                chain=by_role.get(CHAIN_ROLE),
                root=root,
            )
        )
    return sorted(exports, key=lambda t: (t.seq, id_number(t.items[0]) if t.items else 0))
