"""Connections to the sites: httpcore pools through the wire recorder, verifying or not.

The raw fetch and the browser's recording proxy reach sites the same way — the same trust
(certifi plus the capture's CA bundle), the same upstream proxy, no keep-alive (each
exchange's bytes belong to one connection) — so both take their pools from here.
"""

from __future__ import annotations

import ssl
import threading
from pathlib import Path
from typing import Any

import certifi
import httpcore
import httpx

from cybercase.collect.http.wire import RecordingBackend
from cybercase.errors import InvalidInputError


def client_context(ca_bundle: Path | None, *, verify: bool) -> ssl.SSLContext:
    """certifi's roots plus ``ca_bundle``; or no verification at all (``--insecure``)."""
    if not verify:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context
    context = ssl.create_default_context(cafile=certifi.where())
    if ca_bundle is not None:
        try:
            context.load_verify_locations(cafile=str(ca_bundle))
        except (OSError, ssl.SSLError) as exc:
            raise InvalidInputError(f"cannot read the CA bundle {ca_bundle}: {exc}") from exc
    return context


class UpstreamPools:
    """One verifying and one unverified pool, made on first use; safe between threads."""

    def __init__(
        self, backend: RecordingBackend, ca_bundle: Path | None, proxy: str | None
    ) -> None:
        self.backend = backend
        self.proxy = proxy
        self._contexts = {
            True: client_context(ca_bundle, verify=True),
            False: client_context(ca_bundle, verify=False),
        }
        self._lock = threading.Lock()
        self._pools: dict[bool, httpcore.ConnectionPool] = {}

    def pool(self, verify: bool) -> httpcore.ConnectionPool:
        """The pool for this kind of trust (direct, or through the upstream proxy)."""
        with self._lock:
            pool = self._pools.get(verify)
            if pool is not None:
                return pool
            common: dict[str, Any] = {
                "ssl_context": self._contexts[verify],
                "max_connections": None,
                "max_keepalive_connections": 0,
                "network_backend": self.backend,
            }
            if self.proxy is None:
                pool = httpcore.ConnectionPool(**common)
            else:
                url = httpx.URL(self.proxy)
                auth = (url.username, url.password) if url.username else None
                core = httpcore.URL(
                    scheme=url.raw_scheme, host=url.raw_host, port=url.port, target=b"/"
                )
                if url.scheme == "http":
                    pool = httpcore.HTTPProxy(proxy_url=core, proxy_auth=auth, **common)
                else:
                    pool = httpcore.SOCKSProxy(proxy_url=core, proxy_auth=auth, **common)
            self._pools[verify] = pool
            return pool

    def close(self) -> None:
        """Close every connection."""
        with self._lock:
            for pool in self._pools.values():
                pool.close()
            self._pools.clear()
