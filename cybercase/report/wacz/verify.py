"""``cybercase verify FILE.wacz``: every file's hash, the signature and the trusted timestamp.

The checks follow the WACZ signing spec's verification steps (wacz-auth 0.1.0, anonymous
form): every file against ``datapackage.json``, the hash in ``datapackage-digest.json``
against ``datapackage.json``, the ECDSA signature of that hash with the ``publicKey``.
Then what cybercase adds: the investigator's Ed25519 key binding of that public key,
and the RFC 3161 token over the signature, judged against the configured trust roots
like every other token (one that chains only to the root shipped inside the WACZ is a
warning naming that root's fingerprint), whose time must lie within 10 minutes of
``created`` (the spec's rule for its timestamped form). Findings name the file inside the
WACZ they concern, in the same format as ``verify PACKAGE``.

NOTE: only ``hash`` is signed in ``signedData``; its other fields are checked against
``datapackage.json`` (which the hash covers), and a digest file written by cybercase must
be byte for byte as cybercase writes it, so no byte of the WACZ can change unnoticed.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import zipfile
import zlib
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path, PurePosixPath
from typing import Any

from cybercase.clock import parse_utc
from cybercase.errors import CybercaseError, NotFoundError
from cybercase.evidence.timestamps.tokens import (
    fingerprint,
    is_self_signed,
    parse_response,
    pem_certificates,
    subject_text,
    verify_token,
)
from cybercase.evidence.timestamps.tsa_client import TsaSettings
from cybercase.evidence.verify.findings import Family, Finding, Severity, VerificationReport
from cybercase.report.wacz.sign import SIGNING_SPEC_VERSION, binding_ok, signature_ok, time_imprint
from cybercase.report.wacz.write import DATAPACKAGE, DIGEST_FILE, WACZ_VERSION

TIME_WINDOW = timedelta(minutes=10)
_CHUNK = 1024 * 1024
_SIGNED_KEYS = frozenset(
    {"hash", "created", "software", "version", "signature", "publicKey"}
    | {"timeSignature", "timestampCert", "domain", "domainCert", "crossSignedCert"}
)


def is_wacz(path: Path) -> bool:
    """Whether ``path`` names a WACZ file (by its extension)."""
    return path.suffix.lower() == ".wacz"


@dataclass(slots=True)
class _State:
    findings: dict[str, list[Finding]] = field(
        default_factory=lambda: {k: [] for k in ("zip", "files", "signature", "timestamp")}
    )
    package: dict[str, Any] | None = None
    package_bytes: bytes | None = None
    matched: int = 0
    listed: int = 0
    signer: str | None = None
    timestamp_checked: bool = False
    timestamp_summary: str = "no trusted timestamp"

    def add(self, family: str, severity: Severity, code: str, where: str, message: str) -> None:
        self.findings[family].append(Finding(severity, code, where, message))


def verify_wacz(path: Path, *, tsa_settings: TsaSettings | None = None) -> VerificationReport:
    """Verify a WACZ file; never raises for a problem it can describe."""
    if not path.is_file():
        raise NotFoundError(f"no WACZ file at {path}")
    report = VerificationReport(target=str(path), case_id=None)
    state = _State()
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        state.add("zip", "error", "wacz.unreadable", path.name, f"not a readable zip: {exc}")
        archive = None
    if archive is not None:
        with archive:
            members = _members(archive, state)
            _check_files(archive, members, state)
            if state.package_bytes is not None:
                digest = _check_signature(archive, members, state)
                if digest is not None:
                    _check_timestamp(digest, state, tsa_settings)
        if state.package is not None:
            block = state.package.get("cybercase")
            if isinstance(block, dict) and isinstance(block.get("case_id"), str):
                report.case_id = block["case_id"]
    families = [
        Family("zip", state.findings["zip"], "a readable zip", "the zip is damaged or unsafe"),
        Family(
            "files",
            state.findings["files"],
            f"{state.matched} files match datapackage.json",
            f"{state.matched} of {state.listed} files match datapackage.json",
        ),
        Family(
            "signature",
            state.findings["signature"],
            f"datapackage.json signed by {state.signer or 'an anonymous key'}",
            "the signature of datapackage.json does not hold",
        ),
        Family(
            "timestamp",
            state.findings["timestamp"],
            state.timestamp_summary,
            "the trusted timestamp over the signature does not hold",
            state.timestamp_checked,
        ),
    ]
    for family in families:
        report.findings.extend(family.findings)
        report.checks.append(family.result())
    report.stats = {"files": state.listed, "matched": state.matched}
    return report


def _members(archive: zipfile.ZipFile, state: _State) -> dict[str, zipfile.ZipInfo]:
    found: dict[str, zipfile.ZipInfo] = {}
    for info in archive.infolist():
        name = info.filename
        parts = PurePosixPath(name).parts
        if info.is_dir():
            continue
        if (
            not name
            or name.startswith("/")
            or "\\" in name
            or any(p in ("..", ".") or ":" in p for p in parts)
        ):
            state.add("zip", "error", "wacz.unsafe", name, "an unsafe name in the zip")
            continue
        if name in found:
            state.add("zip", "error", "wacz.duplicate", name, "two members with this name")
            continue
        found[name] = info
    return found


def _read(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> tuple[bytes | None, str | None]:
    try:
        return archive.read(info), None
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError, ValueError) as exc:
        return None, str(exc)


def _hash_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> tuple[str, int] | str:
    hasher = hashlib.sha256()
    size = 0
    try:
        with archive.open(info) as fh:
            while chunk := fh.read(_CHUNK):
                hasher.update(chunk)
                size += len(chunk)
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError, ValueError) as exc:
        return str(exc)
    return f"sha256:{hasher.hexdigest()}", size


def _check_files(
    archive: zipfile.ZipFile, members: dict[str, zipfile.ZipInfo], state: _State
) -> None:
    info = members.get(DATAPACKAGE)
    if info is None:
        state.add("files", "error", "wacz.datapackage", DATAPACKAGE, "missing: not a WACZ")
        return
    data, error = _read(archive, info)
    if data is None:
        state.add("zip", "error", "wacz.corrupt", DATAPACKAGE, f"cannot be unpacked: {error}")
        return
    try:
        package = json.loads(data)
        resources = package["resources"]
        if not isinstance(package, dict) or not isinstance(resources, list):
            raise TypeError("no resources")
    except (ValueError, KeyError, TypeError):
        state.add("files", "error", "wacz.datapackage", DATAPACKAGE, "not readable JSON")
        return
    state.package, state.package_bytes = package, data
    if package.get("wacz_version") != WACZ_VERSION:
        state.add(
            "files",
            "warning",
            "wacz.version",
            DATAPACKAGE,
            f"WACZ version {package.get('wacz_version')!r}, not {WACZ_VERSION}",
        )
    listed: set[str] = set()
    for resource in resources:
        where = str(resource.get("path")) if isinstance(resource, dict) else DATAPACKAGE
        try:
            path, expected, size = resource["path"], resource["hash"], resource["bytes"]
        except (KeyError, TypeError):
            state.add("files", "error", "wacz.resource", where, "a malformed resource entry")
            continue
        state.listed += 1
        listed.add(path)
        member = members.get(path)
        if member is None:
            state.add(
                "files", "error", "wacz.missing", path, "listed in datapackage.json but missing"
            )
            continue
        got = _hash_member(archive, member)
        if isinstance(got, str):
            state.add("files", "error", "wacz.corrupt", path, f"cannot be unpacked: {got}")
            continue
        digest, length = got
        if digest != expected or length != size:
            state.add(
                "files",
                "error",
                "wacz.checksum",
                path,
                f"the content changed: datapackage.json says {expected} ({size} bytes), "
                f"the file is {digest} ({length} bytes)",
            )
            continue
        state.matched += 1
    for name in sorted(members):
        if name not in listed and name not in (DATAPACKAGE, DIGEST_FILE):
            state.add(
                "files",
                "error",
                "wacz.unlisted",
                name,
                "a file datapackage.json does not list (added after signing)",
            )


def _canonical_digest(data: dict[str, Any]) -> bytes:
    return (json.dumps(data, indent=2) + "\n").encode()


def _check_signature(
    archive: zipfile.ZipFile, members: dict[str, zipfile.ZipInfo], state: _State
) -> dict[str, Any] | None:
    """Spec steps 2 and 3, and the key binding; returns ``signedData`` when it holds."""
    assert state.package is not None and state.package_bytes is not None
    info = members.get(DIGEST_FILE)
    if info is None:
        state.add(
            "signature", "error", "wacz.unsigned", DIGEST_FILE, "missing: the WACZ is unsigned"
        )
        return None
    raw, error = _read(archive, info)
    if raw is None:
        state.add("zip", "error", "wacz.corrupt", DIGEST_FILE, f"cannot be unpacked: {error}")
        return None
    try:
        digest = json.loads(raw)
        signed = digest["signedData"]
        if not isinstance(digest, dict) or not isinstance(signed, dict):
            raise TypeError("not an object")
    except (ValueError, KeyError, TypeError):
        state.add(
            "signature", "error", "wacz.digest-unreadable", DIGEST_FILE, "not readable, or unsigned"
        )
        return None
    problems = state.findings["signature"]
    before = len(problems)
    actual = f"sha256:{hashlib.sha256(state.package_bytes).hexdigest()}"
    if digest.get("path") != DATAPACKAGE:
        state.add(
            "signature", "error", "wacz.digest-path", DIGEST_FILE, "does not name datapackage.json"
        )
    if digest.get("hash") != actual or signed.get("hash") != actual:
        state.add(
            "signature",
            "error",
            "wacz.datapackage-changed",
            DATAPACKAGE,
            f"changed since it was signed: it is {actual}, the signed hash is {signed.get('hash')}",
        )
    if "publicKey" not in signed and "domainCert" in signed:
        state.add(
            "signature",
            "warning",
            "wacz.domain-signed",
            DIGEST_FILE,
            f"signed with the domain certificate of {signed.get('domain')!r} (the spec's "
            "signed form, made by a signing server): cybercase does not check that form; "
            "use 'wacz validate --verify-auth'",
        )
        return None
    unknown = sorted(set(signed) - _SIGNED_KEYS)
    missing = sorted({"hash", "created", "signature", "publicKey"} - set(signed))
    if unknown or missing:
        state.add(
            "signature",
            "error",
            "wacz.digest-fields",
            DIGEST_FILE,
            f"unexpected fields {unknown} or missing fields {missing} in signedData",
        )
    if signed.get("created") != state.package.get("created"):
        state.add(
            "signature",
            "error",
            "wacz.created",
            DIGEST_FILE,
            "signedData.created differs from datapackage.json's created",
        )
    ours = str(state.package.get("software", "")).startswith("cybercase")
    if ours and signed.get("software") != state.package.get("software"):
        state.add(
            "signature", "error", "wacz.software", DIGEST_FILE, "signedData.software was altered"
        )
    if ours and signed.get("version") != SIGNING_SPEC_VERSION:
        state.add(
            "signature", "error", "wacz.version", DIGEST_FILE, "signedData.version was altered"
        )
    if ours and raw != _canonical_digest(digest):
        state.add(
            "signature",
            "error",
            "wacz.digest-altered",
            DIGEST_FILE,
            "not byte for byte as cybercase writes it: the file was edited",
        )
    public, signature = str(signed.get("publicKey", "")), str(signed.get("signature", ""))
    if not signature_ok(public, signature, str(signed.get("hash", ""))):
        state.add(
            "signature",
            "error",
            "wacz.signature",
            DIGEST_FILE,
            "the signature is not a valid ECDSA P-384 signature of the hash by publicKey",
        )
    block = state.package.get("cybercase")
    if not isinstance(block, dict):
        state.add(
            "signature",
            "warning",
            "wacz.anonymous",
            DATAPACKAGE,
            "no investigator vouches for the signing key: check publicKey out of band",
        )
    elif block.get("waczPublicKey") != public or not binding_ok(
        str(block.get("ed25519PublicKey", "")), public, str(block.get("keyBinding", ""))
    ):
        state.add(
            "signature",
            "error",
            "wacz.key-binding",
            DATAPACKAGE,
            "the investigator's key does not vouch for the key that signed",
        )
    else:
        state.signer = f"{block.get('investigator')} (investigator key {block.get('fingerprint')})"
    return signed if len(problems) == before else None


def _check_timestamp(signed: dict[str, Any], state: _State, settings: TsaSettings | None) -> None:
    where = f"{DIGEST_FILE} timeSignature"
    if "timeSignature" not in signed:
        state.add(
            "timestamp",
            "warning",
            "wacz.no-timestamp",
            DIGEST_FILE,
            "no trusted timestamp over the signature: it shows who signed, not when",
        )
        return
    state.timestamp_checked = True
    try:
        token = parse_response(base64.b64decode(str(signed["timeSignature"]), validate=True))
    except (CybercaseError, ValueError, binascii.Error) as exc:
        message = exc.message if isinstance(exc, CybercaseError) else str(exc)
        state.add("timestamp", "error", "wacz.token-unreadable", where, message)
        return
    try:
        shipped = pem_certificates(str(signed.get("timestampCert", "")).encode(), DIGEST_FILE)
    except CybercaseError:
        state.add(
            "timestamp",
            "error",
            "wacz.timestamp-cert",
            f"{DIGEST_FILE} timestampCert",
            "unreadable",
        )
        return
    if token.facts.signer is not None and shipped and shipped[0] != token.facts.signer:
        state.add(
            "timestamp",
            "error",
            "wacz.timestamp-cert",
            f"{DIGEST_FILE} timestampCert",
            "its first certificate is not the one that signed the token",
        )
    try:
        active = settings if settings is not None else TsaSettings.load()
        roots = active.trusted_roots()
    except CybercaseError as exc:
        state.add("timestamp", "warning", "timestamp.config", "trusted timestamps", exc.one_line())
        roots = []
    imprint = time_imprint(str(signed["signature"])).hex
    intermediates = [c for c in shipped if not is_self_signed(c)]
    problems, root, chain = verify_token(
        token, digest_hex=imprint, roots=roots, intermediates=intermediates
    )
    chain_only = problems and all(p.code == "token.chain" for p in problems)
    if chain_only:
        own = [c for c in shipped if is_self_signed(c)]
        again, own_root, own_chain = verify_token(
            token, digest_hex=imprint, roots=own, intermediates=intermediates
        )
        if not again and own_root is not None:
            state.add(
                "timestamp",
                "warning",
                "timestamp.untrusted-root",
                where,
                f"verifies only up to the root shipped in the WACZ, {subject_text(own_root)} "
                f"({fingerprint(own_root)}), which is not among your trusted roots: check that "
                "fingerprint with the authority, then add the root to [tsa]",
            )
            problems, root, chain = [], own_root, own_chain
    for problem in problems:
        state.add("timestamp", "error", problem.code, where, problem.message)
    if problems:
        return
    if root is not None and shipped != [*chain, root]:
        state.add(
            "timestamp",
            "error",
            "wacz.timestamp-cert",
            f"{DIGEST_FILE} timestampCert",
            "the certificates differ from the chain the token verifies with: they were altered",
        )
        return
    gen_time = token.facts.gen_time
    try:
        created = parse_utc(str(signed.get("created", "")))
    except ValueError:
        state.add("timestamp", "error", "wacz.created", DIGEST_FILE, "created is not a UTC time")
        return
    if abs(gen_time - created) > TIME_WINDOW:
        state.add(
            "timestamp",
            "error",
            "wacz.timestamp-gap",
            where,
            f"the TSA time {gen_time.isoformat()} is more than 10 minutes from created "
            f"{signed.get('created')}",
        )
        return
    authority = token.facts.tsa_name or (subject_text(root) if root is not None else "a TSA")
    state.timestamp_summary = (
        f"signature timestamped by {authority} at {gen_time.strftime('%Y-%m-%dT%H:%M:%SZ')}"
    )
