"""RFC 3161 timestamp tokens: reading them, repairing a known encoding fault, verifying them.

Parsing and cryptographic verification are rfc3161-client's (which hands the CMS
signature and the certificate path to OpenSSL, checked as of the token's genTime, so a
token still verifies after its TSA certificate has expired). This module adds what a
case needs around it: facts in plain types, one clear message for a token that cannot
be read, checks that name what differs (imprint, nonce, policy, chain), certificates in
any order, and which configured root a token chains to.

NOTE on trust: rfc3161-client puts every certificate it is given (roots *and*
intermediates) into one OpenSSL trust store, so a self-signed certificate passed as an
"intermediate" would become a trust anchor. Intermediates taken from a token or from a
case are therefore filtered here: only certificates that are not self-signed are ever
passed as intermediates, and roots come only from the caller (the configuration, or
explicitly the case's record, which the caller then reports as such).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.serialization import Encoding

from cybercase.errors import InvalidInputError, TimestampError

if TYPE_CHECKING:
    from rfc3161_client import TimeStampResponse

HASH_NAMES = {
    "2.16.840.1.101.3.4.2.1": "sha256",
    "2.16.840.1.101.3.4.2.2": "sha384",
    "2.16.840.1.101.3.4.2.3": "sha512",
}
_GRANTED = (0, 1)
_UNREADABLE_HINT = (
    "the file is damaged or is not a timestamp response; if it came from a time-stamping "
    "authority, ask its operator to check that it sends DER-encoded responses"
)


@dataclass(frozen=True, slots=True)
class TokenProblem:
    """One reason a token does not vouch for what it should."""

    code: str
    """``token.imprint``, ``token.nonce``, ``token.policy``, ``token.chain``, ..."""
    message: str


@dataclass(frozen=True, slots=True)
class TokenFacts:
    """What a token says, in plain types."""

    gen_time: datetime
    """When the authority says it saw the imprint (UTC)."""
    serial: int
    policy: str
    """The policy OID the token was issued under, dotted."""
    nonce: int | None
    algorithm: str
    """Name of the imprint's hash algorithm (``sha256``) or its OID when unknown."""
    imprint_hex: str
    tsa_name: str | None
    """The TSA's own name for itself, when the token carries one."""
    certificates: tuple[x509.Certificate, ...]
    """Certificates carried inside the token, in no particular order."""
    signer: x509.Certificate | None
    """Among them, the one the SignerInfo names (the TSA certificate)."""


@dataclass(frozen=True, slots=True)
class ParsedToken:
    """A granted timestamp response, readable by strict DER parsers."""

    data: bytes
    """The response's bytes as stored (``openssl ts -verify -in`` reads them)."""
    repaired: bool
    """True when the certificate SET had to be re-sorted into DER order to be read."""
    response: TimeStampResponse
    facts: TokenFacts


def load_pem_certificates(path: Path) -> list[x509.Certificate]:
    """Every certificate in a PEM file; a missing or certificate-less file is a usage error."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InvalidInputError(
            f"cannot read certificate file {path}: {exc.strerror}",
            hint="fix the path in the [tsa] configuration",
        ) from exc
    return pem_certificates(data, str(path))


def pem_certificates(data: bytes, source: str) -> list[x509.Certificate]:
    """Every certificate in PEM bytes."""
    try:
        return x509.load_pem_x509_certificates(data)
    except ValueError as exc:
        raise InvalidInputError(
            f"{source} holds no readable PEM certificate",
            hint="a TSA root or chain file is PEM text beginning '-----BEGIN CERTIFICATE-----'",
        ) from exc


def certificates_pem(certs: Iterable[x509.Certificate]) -> bytes:
    """Certificates as one PEM file, in the order given."""
    return b"".join(cert.public_bytes(Encoding.PEM) for cert in certs)


def fingerprint(cert: x509.Certificate) -> str:
    """``sha256:<hex>`` of a certificate's DER."""
    return "sha256:" + cert.fingerprint(hashes.SHA256()).hex()


def subject_text(cert: x509.Certificate) -> str:
    """A certificate's subject as RFC 4514 text."""
    return cert.subject.rfc4514_string()


def is_self_signed(cert: x509.Certificate) -> bool:
    """Whether a certificate is its own issuer (a root, as far as trust stores go)."""
    # A damaged certificate may parse lazily and fail only here: it is no root.
    try:
        if cert.subject != cert.issuer:
            return False
        cert.verify_directly_issued_by(cert)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def _issued_by(child: x509.Certificate, parent: x509.Certificate) -> bool:
    try:
        if child.issuer != parent.subject:
            return False
        child.verify_directly_issued_by(parent)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def order_chain(
    leaf: x509.Certificate, candidates: Iterable[x509.Certificate]
) -> list[x509.Certificate]:
    """``leaf`` then each issuer found among ``candidates``, up to (not including) a root.

    The candidates may come in any order, with duplicates and unrelated certificates.
    """
    pool = [c for c in _unique(candidates) if not is_self_signed(c)]
    chain = [leaf]
    current = leaf
    while True:
        parent = next((c for c in pool if c not in chain and _issued_by(current, c)), None)
        if parent is None:
            return chain
        chain.append(parent)
        current = parent


def _unique(certs: Iterable[x509.Certificate]) -> list[x509.Certificate]:
    seen: dict[bytes, x509.Certificate] = {}
    for cert in certs:
        seen.setdefault(cert.fingerprint(hashes.SHA256()), cert)
    return list(seen.values())


def _parse_error(exc: Exception) -> str:
    text = str(exc)
    kind = re.search(r"kind: (\w+)", text)
    if kind:
        return f"DER decoding failed: {kind.group(1)}"
    return text.splitlines()[0][:160] if text else type(exc).__name__


def resort_certificate_set(data: bytes) -> bytes | None:
    """The response with its certificate SET in DER order, or ``None`` if that cannot help.

    ``openssl ts -reply`` with ``certs =`` writes the SET in the order of its file; DER
    wants SET OF elements sorted. The certificates are outside what the TSA signed, so
    sorting them changes no signed byte; asn1crypto sorts a SET OF when it encodes one.
    """
    from asn1crypto import cms, tsp

    try:
        response = tsp.TimeStampResp.load(data)
        token = response["time_stamp_token"]
        if token.native is None:
            return None
        signed = token["content"]
        certs = signed["certificates"]
        if certs.native is None:
            return None
        signed["certificates"] = cms.CertificateSet(list(certs))
        return bytes(response.dump())
    except (ValueError, TypeError, KeyError):
        return None


def parse_response(data: bytes, *, repair: bool = True) -> ParsedToken:
    """Read a timestamp response; refused, empty or unreadable ones are a TimestampError."""
    from rfc3161_client import decode_timestamp_response

    repaired = False
    try:
        response = decode_timestamp_response(data)
    except ValueError as exc:
        fixed = resort_certificate_set(data) if repair else None
        if fixed is None:
            raise TimestampError(
                f"not a readable RFC 3161 timestamp response ({_parse_error(exc)})",
                hint=_UNREADABLE_HINT,
            ) from exc
        try:
            response = decode_timestamp_response(fixed)
        except ValueError as exc2:
            raise TimestampError(
                f"not a readable RFC 3161 timestamp response ({_parse_error(exc2)})",
                hint=_UNREADABLE_HINT,
            ) from exc2
        data, repaired = fixed, True
    if response.status not in _GRANTED:
        texts = "; ".join(response.status_string) or "no reason given"
        raise TimestampError(
            f"the authority refused the request (status {response.status}: {texts})"
        )
    try:
        facts = _facts(response)
    except (ValueError, TypeError) as exc:
        raise TimestampError(
            f"the timestamp response has no readable token ({_parse_error(exc)})",
            hint=_UNREADABLE_HINT,
        ) from exc
    return ParsedToken(data=data, repaired=repaired, response=response, facts=facts)


def _facts(response: TimeStampResponse) -> TokenFacts:
    info = response.tst_info
    imprint = info.message_imprint
    oid = imprint.hash_algorithm.dotted_string
    certs = tuple(
        x509.load_der_x509_certificate(der) for der in sorted(response.signed_data.certificates)
    )
    signer: x509.Certificate | None = None
    signer_infos = list(response.signed_data.signer_infos)
    if len(signer_infos) == 1:
        sid = signer_infos[0]
        signer = next(
            (c for c in certs if c.issuer == sid.issuer and c.serial_number == sid.serial_number),
            None,
        )
    tsa_name: str | None
    try:
        name = info.name
        value = getattr(name, "value", None)
        tsa_name = value.rfc4514_string() if isinstance(value, x509.Name) else str(value)
    except ValueError:
        tsa_name = None
    return TokenFacts(
        gen_time=info.gen_time,
        serial=int(info.serial_number),
        policy=info.policy.dotted_string,
        nonce=None if info.nonce is None else int(info.nonce),
        algorithm=HASH_NAMES.get(oid, oid),
        imprint_hex=imprint.message.hex(),
        tsa_name=tsa_name,
        certificates=certs,
        signer=signer,
    )


def signer_identity(token: ParsedToken) -> tuple[x509.Name, int] | None:
    """Issuer and serial number of the TSA certificate the token names."""
    infos = list(token.response.signed_data.signer_infos)
    if len(infos) != 1:
        return None
    return infos[0].issuer, infos[0].serial_number


def _openssl_reasons(text: str) -> str:
    found: list[str] = []
    for match in re.finditer(r'(?:reason|data): "([^"]+)"', text):
        value = match.group(1).removeprefix("Verify error:")
        if value and value not in found:
            found.append(value)
    return ", ".join(found) if found else text.splitlines()[0][:200]


def verify_token(
    token: ParsedToken,
    *,
    digest_hex: str,
    roots: Sequence[x509.Certificate],
    intermediates: Sequence[x509.Certificate] = (),
    nonce: int | None = None,
    policy: str | None = None,
) -> tuple[list[TokenProblem], x509.Certificate | None, list[x509.Certificate]]:
    """Check a token against what it must cover and whom it must chain to.

    Returns the problems found (none when it verifies), the root it chains to (as of
    its genTime), and its chain from the TSA certificate up to that root. Certificates
    may come, in the token and in ``intermediates``, in any order.
    """
    from rfc3161_client import VerificationError, VerifierBuilder

    facts = token.facts
    problems: list[TokenProblem] = []
    if facts.algorithm != "sha256":
        problems.append(
            TokenProblem(
                "token.algorithm", f"the token's imprint uses {facts.algorithm}, not sha256"
            )
        )
    elif facts.imprint_hex != digest_hex:
        problems.append(
            TokenProblem(
                "token.imprint",
                f"the token covers sha256:{facts.imprint_hex}, not sha256:{digest_hex}: "
                "the data no longer matches what was timestamped",
            )
        )
    if nonce is not None and facts.nonce != nonce:
        problems.append(
            TokenProblem("token.nonce", "the token's nonce is not the one that was sent")
        )
    if policy is not None and facts.policy != policy:
        problems.append(
            TokenProblem(
                "token.policy", f"the token was issued under policy {facts.policy}, not {policy}"
            )
        )
    identity = signer_identity(token)
    candidates = _unique([*facts.certificates, *intermediates])
    leaf = facts.signer
    if leaf is None and identity is not None:
        leaf = next(
            (c for c in candidates if (c.issuer, c.serial_number) == identity),
            None,
        )
    if leaf is None:
        problems.append(
            TokenProblem(
                "token.chain",
                "the TSA certificate is neither inside the token nor in the given chain",
            )
        )
        return problems, None, []
    untrusted = [c for c in candidates if not is_self_signed(c)]
    if not roots:
        problems.append(TokenProblem("token.chain", "no trusted root to check the token against"))
        return problems, None, order_chain(leaf, untrusted)
    imprint = bytes.fromhex(facts.imprint_hex)
    reason = ""
    for root in roots:
        try:
            verifier = VerifierBuilder(
                roots=[root],
                intermediates=list(untrusted),
                tsa_certificate=None if facts.signer is not None else leaf,
            ).build()
            verifier.verify(token.response, imprint)
        except VerificationError as exc:
            reason = _openssl_reasons(str(exc))
            continue
        except BaseException as exc:
            # rfc3161-client's Rust core panics (a BaseException) on some damaged
            # certificates instead of raising; that is a failed check, not a crash.
            if type(exc).__name__ != "PanicException":
                raise
            reason = "a certificate of the chain is damaged and cannot be read"
            continue
        return problems, root, order_chain(leaf, untrusted)
    problems.append(
        TokenProblem(
            "token.chain",
            "the signature does not verify with a certificate chain to a trusted root as of "
            f"the token's time ({facts.gen_time.isoformat()}): {reason}",
        )
    )
    return problems, None, order_chain(leaf, untrusted)
