"""TLS facts of a connection: protocol, cipher and the certificate chain the server sent.

Python exposes the chain a server presented only since 3.13 (``get_unverified_chain``);
on 3.11 and 3.12 the same method exists on the underlying ``_ssl`` object and is used
from there. Where neither exists only the leaf certificate is recorded, and the record
says so in a warning.
"""

from __future__ import annotations

import hashlib
import ssl
from collections.abc import Callable
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from cybercase.clock import format_utc
from cybercase.collect.record import Certificate, TlsFacts


def peer_chain_der(ssl_object: Any) -> tuple[list[bytes], bool]:
    """The DER certificates the peer sent, leaf first, and whether the whole chain was read."""
    getter: Callable[[], Any] | None = getattr(ssl_object, "get_unverified_chain", None)
    if getter is None:
        inner = getattr(ssl_object, "_sslobj", None)
        getter = getattr(inner, "get_unverified_chain", None)
    if getter is not None:
        chain = getter() or []
        ders: list[bytes] = []
        for cert in chain:
            if isinstance(cert, bytes):
                ders.append(cert)
            else:
                # Certificate.public_bytes() gives PEM text by default, on every version.
                ders.append(ssl.PEM_cert_to_DER_cert(cert.public_bytes()))
        if ders:
            return ders, True
    leaf = ssl_object.getpeercert(binary_form=True)
    return ([leaf] if leaf else []), False


def describe_certificate(der: bytes) -> Certificate:
    """The facts of one DER certificate."""
    cert = x509.load_der_x509_certificate(der)
    names: list[str] = []
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        names = [str(v) for v in san.get_values_for_type(x509.DNSName)]
        names += [str(v) for v in san.get_values_for_type(x509.IPAddress)]
    except x509.ExtensionNotFound:
        pass
    return Certificate(
        pem=cert.public_bytes(serialization.Encoding.PEM).decode("ascii"),
        sha256_fingerprint="sha256:" + hashlib.sha256(der).hexdigest(),
        subject=cert.subject.rfc4514_string(),
        issuer=cert.issuer.rfc4514_string(),
        serial_number=format(cert.serial_number, "x"),
        not_before=format_utc(cert.not_valid_before_utc),
        not_after=format_utc(cert.not_valid_after_utc),
        subject_alt_names=names,
    )


def tls_facts(
    ssl_object: Any, server_name: str | None, *, verified: bool, warnings: list[str]
) -> TlsFacts:
    """Read the session facts of an established TLS connection."""
    cipher = ssl_object.cipher()
    ders, complete = peer_chain_der(ssl_object)
    if not complete:
        warnings.append("only the server's leaf certificate could be read (not the whole chain)")
    chain: list[Certificate] = []
    for der in ders:
        try:
            chain.append(describe_certificate(der))
        except ValueError as exc:
            warnings.append(f"a certificate of the server's chain could not be parsed: {exc}")
    return TlsFacts(
        protocol=ssl_object.version(),
        cipher=cipher[0] if cipher else None,
        cipher_bits=cipher[2] if cipher else None,
        alpn=ssl_object.selected_alpn_protocol(),
        server_name=server_name,
        verified=verified,
        peer_chain=chain,
    )
