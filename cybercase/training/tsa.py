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

import hashlib
import secrets
import threading
from datetime import UTC
from typing import ClassVar, Literal

from asn1crypto import cms, core, tsp
from asn1crypto import x509 as ax509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from cybercase.clock import Clock, SystemClock
from cybercase.training.tsa_pki import TEST_POLICY_OID, TsaPki

Behaviour = Literal["grant", "reject", "http-error", "garbage"]
"""How the server answers: tokens, a signed refusal, HTTP 503, or bytes that are no token."""


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
