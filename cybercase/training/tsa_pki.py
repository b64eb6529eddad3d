"""The test TSA's certificates: a root, an issuing CA and a time-stamping unit, all TEST-ONLY.

Made on first use into a folder (keys and certificates as PEM), so that a classroom or a
test suite can verify tokens with ``openssl ts -verify -CAfile root.pem``; no real
authority's name or policy is used.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

TEST_POLICY_OID = "2.25.165085347854171525604336554920548930707"
"""The policy this authority grants under: a UUID-derived OID with no meaning at all."""

ROOT_COMMON_NAME = "cybercase TEST-ONLY TSA root - DO NOT TRUST"

INTERMEDIATE_COMMON_NAME = "cybercase TEST-ONLY TSA issuing CA - DO NOT TRUST"

TSA_COMMON_NAME = "cybercase TEST-ONLY time-stamping unit - DO NOT TRUST"

ORGANISATION = "cybercase test PKI (not a real authority; demo and tests only)"

ROOT_PEM = "root.pem"

CHAIN_PEM = "chain.pem"
"""The TSA certificate followed by its issuing CA: what openssl calls ``-untrusted``."""

KEYS = ("root.key", "intermediate.key", "tsa.key")

CERTS = ("root.crt", "intermediate.crt", "tsa.crt")


def name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, ORGANISATION),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def new_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def ca_certificate(
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


def tsa_certificate(
    key: ec.EllipticCurvePrivateKey,
    issuer: x509.Certificate,
    issuer_key: ec.EllipticCurvePrivateKey,
    not_before: datetime,
    not_after: datetime,
) -> x509.Certificate:
    return (
        x509.CertificateBuilder()
        .subject_name(name(TSA_COMMON_NAME))
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
        root_key, inter_key, tsa_key = new_key(), new_key(), new_key()
        root_name = name(ROOT_COMMON_NAME)
        root = ca_certificate(root_name, root_key, root_name, root_key, ca_from, ca_until, 1)
        inter = ca_certificate(
            name(INTERMEDIATE_COMMON_NAME), inter_key, root_name, root_key, ca_from, ca_until, 0
        )
        tsa_cert = tsa_certificate(
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
        for name, key in zip(KEYS, keys, strict=True):
            (folder / name).write_bytes(
                key.private_bytes(
                    serialization.Encoding.PEM,
                    serialization.PrivateFormat.PKCS8,
                    serialization.NoEncryption(),
                )
            )
        for name, cert in zip(CERTS, certs, strict=True):
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
        for name in KEYS:
            key = serialization.load_pem_private_key((folder / name).read_bytes(), None)
            if not isinstance(key, ec.EllipticCurvePrivateKey):
                raise ValueError(f"{folder / name} is not an EC private key")
            keys.append(key)
        certs = [x509.load_pem_x509_certificate((folder / n).read_bytes()) for n in CERTS]
        return cls(certs[0], keys[0], certs[1], keys[1], certs[2], keys[2])

    @classmethod
    def load_or_create(cls, folder: Path) -> TsaPki:
        """The PKI in ``folder``, made on first use (so the demo's root stays the same)."""
        if all((folder / name).is_file() for name in (*KEYS, *CERTS)):
            return cls.load(folder)
        pki = cls.generate()
        pki.write(folder)
        return pki
