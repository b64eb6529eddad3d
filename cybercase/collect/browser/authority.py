"""The recording proxy's certificates: one throwaway key, one certificate per host.

The browser trusts only the proxy, for its own context; the key never leaves a private
temporary folder and is deleted when the browser closes.
"""

from __future__ import annotations

import ipaddress
import os
import shutil
import ssl
import tempfile
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path


class ProxyAuthority:
    """Certificates the proxy shows the browser: one throwaway key, one cert per host."""

    def __init__(self) -> None:
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import ec

        self._key = ec.generate_private_key(ec.SECP256R1())
        self._folder = Path(tempfile.mkdtemp(prefix="cybercase-proxy-"))
        os.chmod(self._folder, 0o700)
        self._key_path = self._folder / "key.pem"
        fd = os.open(self._key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(
                self._key.private_bytes(
                    serialization.Encoding.PEM,
                    serialization.PrivateFormat.PKCS8,
                    serialization.NoEncryption(),
                )
            )
        self._contexts: dict[str, ssl.SSLContext] = {}
        self._lock = threading.Lock()

    def context_for(self, host: str) -> ssl.SSLContext:
        """A server-side TLS context presenting a certificate for ``host``."""
        with self._lock:
            context = self._contexts.get(host)
            if context is None:
                context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
                context.set_alpn_protocols(["http/1.1"])
                cert_path = self._folder / f"cert-{len(self._contexts)}.pem"
                cert_path.write_bytes(self._certificate(host))
                context.load_cert_chain(str(cert_path), str(self._key_path))
                self._contexts[host] = context
            return context

    def _certificate(self, host: str) -> bytes:
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.x509.oid import NameOID

        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host[:64] or "host")])
        general: x509.GeneralName
        try:
            general = x509.IPAddress(ipaddress.ip_address(host.strip("[]")))
        except ValueError:
            general = x509.DNSName(host)
        now = datetime.now(UTC)
        cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "cybercase proxy")]))
            .public_key(self._key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1))
            .not_valid_after(now + timedelta(days=7))
            .add_extension(x509.SubjectAlternativeName([general]), critical=False)
            .sign(self._key, hashes.SHA256())
        )
        return cert.public_bytes(serialization.Encoding.PEM)

    def close(self) -> None:
        shutil.rmtree(self._folder, ignore_errors=True)
