"""The trusted timestamps of a package: where each token's files are, and its openssl line.

:func:`cybercase.evidence.timestamps.grant.token_exports` says, for every token of the case,
which artifacts an offline verifier needs (the token, the certificates openssl calls
``-untrusted``, the root it chained to when granted, and, for an item token, the file
it covers). Here those artifacts are matched with their copies in the package, so that
``VERIFY.txt`` and the report can give the exact command, with the package's own paths,
that checks each token with nothing but openssl.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from cybercase.errors import InvalidInputError
from cybercase.evidence.timestamps.exports import TokenExport
from cybercase.evidence.timestamps.records import TokenSummary
from cybercase.evidence.timestamps.tokens import fingerprint, pem_certificates, subject_text
from cybercase.report.layout import Plan, PlannedFile


@dataclass(frozen=True, slots=True)
class TsaRoot:
    """A root certificate shipped in the package, as a reader should check it."""

    path: str
    """Relative to the package root (``data/3-preservation/tsa-certificates/...``)."""
    subject: str
    fingerprint: str
    """``sha256:<hex>`` of the certificate's DER."""

    @property
    def openssl_fingerprint(self) -> str:
        """The same, as ``openssl x509 -fingerprint -sha256`` prints it (``AB:CD:...``)."""
        hex_value = self.fingerprint.removeprefix("sha256:").upper()
        return ":".join(hex_value[i : i + 2] for i in range(0, len(hex_value), 2))


@dataclass(frozen=True, slots=True)
class PackagedToken(TokenSummary):
    """One token in the package and the command that checks it."""

    sealed_seq: int | None
    """Seals: the last custody entry they anchor."""
    covered_name: str | None
    """Item tokens: the covered artifact's name as the log records it."""
    token: str
    """Paths relative to the package root, as the manifests write them."""
    root: TsaRoot
    chain: str | None
    data: str | None
    """The covered file's copy in the package (``None`` for a seal)."""
    command: str
    """``openssl ts -verify ...``, runnable from the package root."""

    @property
    def covers(self) -> str:
        """What the token covers, for people."""
        if self.kind == "seal":
            return f"custody log entries 1-{self.sealed_seq} (the hash of entry {self.sealed_seq})"
        items = ", ".join(self.items)
        return f"{self.covered_name or 'a file'} of {items}"


def _first_copy(plan: Plan) -> dict[str, PlannedFile]:
    copies: dict[str, PlannedFile] = {}
    for planned in plan.files:
        copies.setdefault(planned.digest, planned)
    return copies


def _root(planned: PlannedFile, read: Callable[[PlannedFile], bytes]) -> TsaRoot:
    try:
        [cert, *_] = pem_certificates(read(planned), planned.data_path)
    except (InvalidInputError, ValueError) as exc:
        raise InvalidInputError(
            f"the TSA root certificate {planned.name} cannot be read",
            hint="run 'cybercase verify' on the case",
        ) from exc
    return TsaRoot(planned.data_path, subject_text(cert), fingerprint(cert))


def package_tokens(
    exports: Sequence[TokenExport], plan: Plan, read: Callable[[PlannedFile], bytes]
) -> list[PackagedToken]:
    """The tokens whose files are in the package (those of left-out items are not)."""
    copies = _first_copy(plan)
    roots: dict[str, TsaRoot] = {}
    found: list[PackagedToken] = []
    for export in exports:
        token = copies.get(export.token.digest)
        root_file = copies.get(export.root.digest)
        if token is None or root_file is None:
            continue
        if root_file.digest not in roots:
            roots[root_file.digest] = _root(root_file, read)
        chain = copies.get(export.chain.digest) if export.chain else None
        data = copies.get(export.covered.digest) if export.covered else None
        command = export.openssl_command(
            token=token.data_path,
            root=root_file.data_path,
            chain=chain.data_path if chain else None,
            data=data.data_path if data else None,
        )
        found.append(
            PackagedToken(
                seq=export.seq,
                kind=export.kind,
                items=export.items,
                tsa=export.tsa,
                gen_time=export.gen_time,
                covered_digest=export.covered_digest,
                sealed_seq=export.sealed_seq,
                covered_name=export.covered.name if export.covered else None,
                token=token.data_path,
                root=roots[root_file.digest],
                chain=chain.data_path if chain else None,
                data=data.data_path if data else None,
                command=command,
            )
        )
    return found


def distinct_roots(tokens: Sequence[PackagedToken]) -> list[TsaRoot]:
    """Each root certificate once, in the order the tokens name them."""
    seen: dict[str, TsaRoot] = {}
    for token in tokens:
        seen.setdefault(token.root.path, token.root)
    return list(seen.values())
