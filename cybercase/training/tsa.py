"""A real RFC 3161 time-stamping authority on 127.0.0.1, for tests and the offline demo.

It answers genuine ``application/timestamp-query`` requests with genuine signed tokens
(CMS SignedData over a TSTInfo, ESS signing-certificate-v2 attribute, ECDSA P-256),
which ``openssl ts -verify`` and ``rfc3161-client`` accept. It is built from
``cryptography`` (keys, certificates, signatures) and ``asn1crypto`` (the RFC 3161 and
CMS structures), not by hand.

NOTE: its root certificate says in its subject that it is a TEST/DEMO root nobody
should trust, and its private keys are written unencrypted next to the certificates.
A token from this authority proves nothing about time to anyone but the person who
started it; it exists so that the whole chain (request, token, storage, verification
with openssl) can be exercised offline.

Two deliberate properties of the tokens it makes:

- the ``certificates`` SET inside the token is DER-sorted (asn1crypto sorts SET OF on
  encoding). ``openssl ts -reply`` configured with ``certs =`` does not sort it, and
  strict DER parsers such as rfc3161-client reject such a token (``InvalidSetOrdering``);
  cybercase's client repairs those (see :mod:`cybercase.evidence.timestamps.tokens`), this
  authority simply never makes them;
- the clock is injectable, so a test can obtain a token dated inside the validity of a
  short-lived TSA certificate and check that it still verifies after that certificate
  has expired.
"""

from __future__ import annotations

import contextlib
import hashlib
import http.server
import secrets
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar, Literal

from asn1crypto import cms, core, tsp
from asn1crypto import x509 as ax509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from cybercase.clock import Clock, SystemClock
from cybercase.errors import StorageError, UsageError

TEST_POLICY_OID = "2.25.165085347854171525604336554920548930707"
"""The policy this authority grants under: a UUID-derived OID with no meaning at all."""

ROOT_COMMON_NAME = "cybercase TEST-ONLY TSA root - DO NOT TRUST"
INTERMEDIATE_COMMON_NAME = "cybercase TEST-ONLY TSA issuing CA - DO NOT TRUST"
TSA_COMMON_NAME = "cybercase TEST-ONLY time-stamping unit - DO NOT TRUST"
ORGANISATION = "cybercase test PKI (not a real authority; demo and tests only)"

ROOT_PEM = "root.pem"
CHAIN_PEM = "chain.pem"
"""The TSA certificate followed by its issuing CA: what openssl calls ``-untrusted``."""
_KEYS = ("root.key", "intermediate.key", "tsa.key")
_CERTS = ("root.crt", "intermediate.crt", "tsa.crt")
MAX_REQUEST = 64 * 1024

Behaviour = Literal["grant", "reject", "http-error", "garbage"]
"""How the server answers: tokens, a signed refusal, HTTP 503, or bytes that are no token."""


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, ORGANISATION),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _new_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _ca_certificate(
    subject: x509.Name,
    key: ec.EllipticCurvePrivateKey,
    issuer: x509.Name,
    issuer_key: ec.EllipticCurvePrivateKey,
    not_before: datetime,
    not_after: datetime,
    path_length: int,
) -> x509.Certificate:
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=True, path_length=path_length), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()),
            critical=False,
        )
        .sign(issuer_key, hashes.SHA256())
    )


def _tsa_certificate(
    key: ec.EllipticCurvePrivateKey,
    issuer: x509.Certificate,
    issuer_key: ec.EllipticCurvePrivateKey,
    not_before: datetime,
    not_after: datetime,
) -> x509.Certificate:
    return (
        x509.CertificateBuilder()
        .subject_name(_name(TSA_COMMON_NAME))
        .issuer_name(issuer.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        # RFC 3161 2.3: the one key purpose, marked critical.
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()),
            critical=False,
        )
        .sign(issuer_key, hashes.SHA256())
    )


@dataclass(frozen=True, slots=True)
class TsaPki:
    """A root, an issuing CA and a TSA certificate, with their private keys."""

    root: x509.Certificate
    root_key: ec.EllipticCurvePrivateKey
    intermediate: x509.Certificate
    intermediate_key: ec.EllipticCurvePrivateKey
    tsa: x509.Certificate
    tsa_key: ec.EllipticCurvePrivateKey

    @classmethod
    def generate(
        cls,
        *,
        now: datetime | None = None,
        tsa_not_before: datetime | None = None,
        tsa_not_after: datetime | None = None,
    ) -> TsaPki:
        """A new PKI; the TSA certificate's validity can be narrowed (expiry tests)."""
        now = now or datetime.now(UTC)
        ca_from = now - timedelta(days=3650)
        ca_until = now + timedelta(days=3650)
        root_key, inter_key, tsa_key = _new_key(), _new_key(), _new_key()
        root_name = _name(ROOT_COMMON_NAME)
        root = _ca_certificate(root_name, root_key, root_name, root_key, ca_from, ca_until, 1)
        inter = _ca_certificate(
            _name(INTERMEDIATE_COMMON_NAME), inter_key, root_name, root_key, ca_from, ca_until, 0
        )
        tsa_cert = _tsa_certificate(
            tsa_key,
            inter,
            inter_key,
            tsa_not_before or ca_from,
            tsa_not_after or ca_until,
        )
        return cls(root, root_key, inter, inter_key, tsa_cert, tsa_key)

    def write(self, folder: Path) -> None:
        """Keys and certificates as PEM files, plus ``root.pem`` and ``chain.pem``."""
        folder.mkdir(parents=True, exist_ok=True)
        keys = (self.root_key, self.intermediate_key, self.tsa_key)
        certs = (self.root, self.intermediate, self.tsa)
        for name, key in zip(_KEYS, keys, strict=True):
            (folder / name).write_bytes(
                key.private_bytes(
                    serialization.Encoding.PEM,
                    serialization.PrivateFormat.PKCS8,
                    serialization.NoEncryption(),
                )
            )
        for name, cert in zip(_CERTS, certs, strict=True):
            (folder / name).write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        (folder / ROOT_PEM).write_bytes(self.root.public_bytes(serialization.Encoding.PEM))
        (folder / CHAIN_PEM).write_bytes(
            self.tsa.public_bytes(serialization.Encoding.PEM)
            + self.intermediate.public_bytes(serialization.Encoding.PEM)
        )
        (folder / "README.txt").write_text(
            "TEST/DEMO time-stamping PKI made by cybercase. Nobody should trust it:\n"
            "its private keys are in this folder, unencrypted.\n",
            encoding="utf-8",
        )

    @classmethod
    def load(cls, folder: Path) -> TsaPki:
        """Read a PKI written by :meth:`write`."""
        keys = []
        for name in _KEYS:
            key = serialization.load_pem_private_key((folder / name).read_bytes(), None)
            if not isinstance(key, ec.EllipticCurvePrivateKey):
                raise ValueError(f"{folder / name} is not an EC private key")
            keys.append(key)
        certs = [x509.load_pem_x509_certificate((folder / n).read_bytes()) for n in _CERTS]
        return cls(certs[0], keys[0], certs[1], keys[1], certs[2], keys[2])

    @classmethod
    def load_or_create(cls, folder: Path) -> TsaPki:
        """The PKI in ``folder``, made on first use (so the demo's root stays the same)."""
        if all((folder / name).is_file() for name in (*_KEYS, *_CERTS)):
            return cls.load(folder)
        pki = cls.generate()
        pki.write(folder)
        return pki


class _Refusal(core.Sequence):  # type: ignore[misc]
    """A ``TimeStampResp`` without a token (asn1crypto marks the token as required)."""

    _fields: ClassVar[list[tuple[str, type]]] = [("status", tsp.PKIStatusInfo)]


def _der(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.DER)


class LocalTimestampAuthority:
    """Turns timestamp requests into signed responses (no network: see :class:`TsaServer`)."""

    def __init__(
        self,
        pki: TsaPki,
        *,
        clock: Clock | None = None,
        policy: str = TEST_POLICY_OID,
        embed_intermediate: bool = True,
    ) -> None:
        self.pki = pki
        self.clock: Clock = clock or SystemClock()
        self.policy = policy
        self._leaf = ax509.Certificate.load(_der(pki.tsa))
        self._chain_der = [_der(pki.tsa)]
        if embed_intermediate:
            # Like most public TSAs; without it a verifier needs the chain from elsewhere.
            self._chain_der.append(_der(pki.intermediate))
        # Constant parts, encoded once (asn1crypto re-encodes built structures slowly).
        self._tsa_name = bytes(
            ax509.GeneralName(name="directory_name", value=self._leaf.subject).dump()
        )
        self._issuer_and_serial = bytes(
            cms.IssuerAndSerialNumber(
                {"issuer": self._leaf.issuer, "serial_number": self._leaf.serial_number}
            ).dump()
        )
        ess = tsp.SigningCertificateV2(
            {
                "certs": [
                    {
                        "cert_hash": hashlib.sha256(self._leaf.dump()).digest(),
                        "issuer_serial": {
                            "issuer": [
                                ax509.GeneralName(name="directory_name", value=self._leaf.issuer)
                            ],
                            "serial_number": self._leaf.serial_number,
                        },
                    }
                ]
            }
        )
        self._ess_attribute = bytes(
            cms.CMSAttribute({"type": "signing_certificate_v2", "values": [ess]}).dump()
        )
        self._certificate_set = bytes(
            cms.CertificateSet([ax509.Certificate.load(d) for d in self._chain_der]).dump()
        )
        self._lock = threading.Lock()
        self._serial = secrets.randbits(48)

    def _next_serial(self) -> int:
        with self._lock:
            self._serial += 1
            return self._serial

    def respond(self, request_der: bytes) -> bytes:
        """The DER ``TimeStampResp`` for a DER ``TimeStampReq``."""
        try:
            request = tsp.TimeStampReq.load(request_der)
            imprint = request["message_imprint"]
            algorithm = imprint["hash_algorithm"]["algorithm"].native
            digest = imprint["hashed_message"].native
            nonce = request["nonce"].native
            cert_req = bool(request["cert_req"].native)
            wanted_policy = request["req_policy"].dotted if request["req_policy"].native else None
        except (ValueError, TypeError, KeyError):
            return self.refuse("bad_data_format", "the request is not a DER TimeStampReq")
        sizes = {"sha256": 32, "sha384": 48, "sha512": 64}
        if algorithm not in sizes or len(digest) != sizes[algorithm]:
            return self.refuse("bad_alg", f"unsupported hash algorithm {algorithm}")
        if wanted_policy is not None and wanted_policy != self.policy:
            return self.refuse("unaccepted_policy", f"policy {wanted_policy} is not offered")
        return self._grant(request, nonce, cert_req)

    def refuse(self, reason: str, text: str) -> bytes:
        """A signed-off refusal (``PKIStatus`` rejection) with its failure reason."""
        response = _Refusal(
            {
                "status": {
                    "status": "rejection",
                    "status_string": [text],
                    "fail_info": {reason},
                }
            }
        )
        return bytes(response.dump())

    def _grant(self, request: tsp.TimeStampReq, nonce: int | None, cert_req: bool) -> bytes:
        gen_time = self.clock.now().astimezone(UTC).replace(microsecond=0)
        info: dict[str, object] = {
            "version": "v1",
            "policy": self.policy,
            "message_imprint": tsp.MessageImprint.load(request["message_imprint"].dump()),
            "serial_number": self._next_serial(),
            "gen_time": gen_time,
            "accuracy": {"seconds": 1},
            "tsa": ax509.GeneralName.load(self._tsa_name),
        }
        if nonce is not None:
            info["nonce"] = nonce
        tst_der = bytes(tsp.TSTInfo(info).dump())
        signed_attrs = cms.CMSAttributes(
            [
                {"type": "content_type", "values": ["tst_info"]},
                {"type": "signing_time", "values": [cms.Time(name="utc_time", value=gen_time)]},
                {"type": "message_digest", "values": [hashlib.sha256(tst_der).digest()]},
                cms.CMSAttribute.load(self._ess_attribute),
            ]
        )
        # CMS (RFC 5652 5.4): the signature covers the DER of the attributes as a SET OF.
        signature = self.pki.tsa_key.sign(signed_attrs.dump(), ec.ECDSA(hashes.SHA256()))
        signer = cms.SignerInfo(
            {
                "version": "v1",
                "sid": cms.SignerIdentifier(
                    name="issuer_and_serial_number",
                    value=cms.IssuerAndSerialNumber.load(self._issuer_and_serial),
                ),
                "digest_algorithm": {"algorithm": "sha256"},
                "signed_attrs": signed_attrs,
                "signature_algorithm": {"algorithm": "sha256_ecdsa"},
                "signature": signature,
            }
        )
        signed_data: dict[str, object] = {
            "version": "v3",
            "digest_algorithms": [{"algorithm": "sha256"}],
            "encap_content_info": {
                "content_type": "tst_info",
                "content": core.ParsableOctetString(tst_der),
            },
            "signer_infos": [signer],
        }
        if cert_req:
            # Encoded once (DER-sorted by asn1crypto); loading it again copies the bytes.
            signed_data["certificates"] = cms.CertificateSet.load(self._certificate_set)
        token = cms.ContentInfo({"content_type": "signed_data", "content": signed_data})
        response = tsp.TimeStampResp({"status": {"status": "granted"}, "time_stamp_token": token})
        return bytes(response.dump())


class _Handler(http.server.BaseHTTPRequestHandler):
    server: TsaServer
    protocol_version = "HTTP/1.1"  # keep-alive: a client may send many requests
    disable_nagle_algorithm = True  # headers and body go out at once, no delayed ACK

    def do_POST(self) -> None:
        tsa_server = self.server
        length = int(self.headers.get("Content-Length") or 0)
        if length <= 0 or length > MAX_REQUEST:
            self.send_error(400, "a timestamp query of at most 64 KiB is expected")
            return
        body = self.rfile.read(length)
        tsa_server.count_request()
        behaviour = tsa_server.behaviour
        if behaviour == "http-error":
            self.send_error(503, "test TSA told to fail")
            return
        if behaviour == "garbage":
            reply = b"this is not a timestamp response"
        elif behaviour == "reject":
            reply = tsa_server.authority.refuse("system_failure", "test TSA told to refuse")
        else:
            reply = tsa_server.authority.respond(body)
        self.send_response(200)
        self.send_header("Content-Type", "application/timestamp-reply")
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def log_message(self, format: str, *args: object) -> None:
        """Stay quiet: tests and the demo read results, not access logs."""


class TsaServer(http.server.ThreadingHTTPServer):
    """The authority behind HTTP on 127.0.0.1 and an ephemeral port."""

    daemon_threads = True

    def __init__(
        self, authority: LocalTimestampAuthority, host: str = "127.0.0.1", port: int = 0
    ) -> None:
        super().__init__((host, port), _Handler)
        self.authority = authority
        self.behaviour: Behaviour = "grant"
        self.requests = 0
        self._count_lock = threading.Lock()
        self._connections: set[socket.socket] = set()

    def process_request(self, request: Any, client_address: Any) -> None:
        """Remember each open (keep-alive) connection, so that stopping can cut it."""
        with self._count_lock:
            self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        """Forget a connection when it ends."""
        with self._count_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def drop_connections(self) -> None:
        """Cut every open connection: a stopped TSA must not answer on old ones."""
        with self._count_lock:
            connections, self._connections = set(self._connections), set()
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)

    def count_request(self) -> None:
        """One more request reached the authority (benchmarks count round trips)."""
        with self._count_lock:
            self.requests += 1

    @property
    def url(self) -> str:
        """Where to send requests."""
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}/tsa"


@dataclass(slots=True)
class RunningTsa:
    """A started test TSA: where it answers and the files a verifier needs."""

    url: str
    root_pem: Path
    """The TEST root certificate (``openssl ts -verify -CAfile``)."""
    chain_pem: Path
    """The TSA certificate and its issuing CA (``-untrusted``)."""
    folder: Path
    server: TsaServer
    thread: threading.Thread | None = None
    stopped: bool = field(default=False)

    @property
    def requests(self) -> int:
        """How many requests reached the authority so far."""
        return self.server.requests

    @property
    def authority(self) -> LocalTimestampAuthority:
        """The signer, e.g. to change its clock or policy."""
        return self.server.authority

    def set_behaviour(self, behaviour: Behaviour) -> None:
        """Make the TSA grant, refuse, fail with HTTP 503, or answer garbage."""
        self.server.behaviour = behaviour

    def wait(self) -> None:
        """Block until the server stops (Ctrl-C reaches the caller as KeyboardInterrupt)."""
        while self.thread is not None and self.thread.is_alive():
            self.thread.join(timeout=0.5)

    def stop(self) -> None:
        """Stop answering and close the port: further requests are refused."""
        if self.stopped:
            return
        self.stopped = True
        self.server.shutdown()
        self.server.server_close()
        self.server.drop_connections()
        if self.thread is not None:
            self.thread.join(timeout=5)

    def config_toml(self, name: str = "test-tsa", **extra: str | int) -> str:
        """A ``[tsa]`` configuration naming this authority (tests and the demo)."""
        lines = [
            "[[tsa.authorities]]",
            f'name = "{name}"',
            f'url = "{self.url}"',
            # Absolute: a configuration file reads relative paths from its own folder.
            f'roots = ["{self.root_pem.absolute().as_posix()}"]',
            f'chain = ["{self.chain_pem.absolute().as_posix()}"]',
        ]
        for key, value in extra.items():
            lines.append(f"{key} = {value!r}" if isinstance(value, int) else f'{key} = "{value}"')
        return "\n".join(lines) + "\n"


def start_test_tsa(
    folder: Path,
    *,
    clock: Clock | None = None,
    pki: TsaPki | None = None,
    policy: str = TEST_POLICY_OID,
    port: int = 0,
) -> RunningTsa:
    """Start a test TSA on 127.0.0.1 in a background thread; call ``stop()`` when done.

    ``folder`` keeps the PKI (created on first use and reused after, unless ``pki`` is
    given, which is then written there). ``port`` 0 takes a free port.
    """
    if pki is None:
        pki = TsaPki.load_or_create(folder)
    else:
        pki.write(folder)
    server = TsaServer(LocalTimestampAuthority(pki, clock=clock, policy=policy), port=port)
    thread = threading.Thread(
        target=server.serve_forever, args=(0.05,), name="test-tsa", daemon=True
    )
    running = RunningTsa(
        url=server.url,
        root_pem=folder / ROOT_PEM,
        chain_pem=folder / CHAIN_PEM,
        folder=folder,
        server=server,
        thread=thread,
    )
    thread.start()
    return running


@contextlib.contextmanager
def run_test_tsa(
    folder: Path,
    *,
    clock: Clock | None = None,
    pki: TsaPki | None = None,
    policy: str = TEST_POLICY_OID,
) -> Iterator[RunningTsa]:
    """:func:`start_test_tsa` for the length of a ``with`` block."""
    running = start_test_tsa(folder, clock=clock, pki=pki, policy=policy)
    try:
        yield running
    finally:
        running.stop()


def _case_holding(folder: Path) -> Path | None:
    """The case folder that ``folder`` is in (or is), if any."""
    from cybercase.evidence.case import CASE_JSON
    from cybercase.evidence.log.jsonl import LOG_NAME

    for parent in [folder.absolute(), *folder.absolute().parents]:
        if (parent / CASE_JSON).is_file() and (parent / LOG_NAME).is_file():
            return parent
    return None


def start_classroom_tsa(folder: Path, *, port: int = 0) -> RunningTsa:
    """Start a test TSA for a class and write what students point cybercase at.

    Its URL goes to ``url.txt`` in ``folder``, next to ``root.pem`` and ``chain.pem``,
    and the ``[tsa]`` configuration naming it to ``config.toml`` (for
    ``CYBERCASE_CONFIG``). The PKI in ``folder`` is reused on the next start, so
    tokens granted on day one still verify on day two.
    """
    from cybercase.training.marketplace import bind_error

    case = _case_holding(folder)
    if case is not None:
        raise UsageError(
            f"{folder} is inside the case {case}: the test TSA's private keys would become "
            "part of the case (and of its exports)",
            hint="run it from outside the case, or give --dir a folder outside it",
        )
    try:
        folder.mkdir(parents=True, exist_ok=True)
        pki = TsaPki.load_or_create(folder)
    except OSError as exc:
        raise StorageError(
            f"cannot keep the classroom TSA's certificates in {folder}: {exc.strerror or exc}",
            hint="choose a folder you can write to with --dir",
        ) from exc
    try:
        running = start_test_tsa(folder, pki=pki, port=port)
    except OSError as exc:
        raise bind_error(port, exc) from exc
    (folder / "url.txt").write_text(running.url + "\n", encoding="utf-8")
    (folder / "config.toml").write_text(running.config_toml("classroom-tsa"), encoding="utf-8")
    return running
