"""The DNS answers for a host at capture time, from the lookup the connection really uses.

The capture resolves each host once, through the system resolver, records every address
returned, and then connects to those addresses itself: the record's answers are the ones
that decided where the connection went, not a second lookup made afterwards. Through a
proxy that resolves names (``socks5h``, HTTP CONNECT) the target is never looked up
locally, which also keeps the investigator's DNS traffic off the local network.
"""

from __future__ import annotations

import ipaddress
import socket
import time
from dataclasses import dataclass

from cybercase.clock import Clock, format_utc
from cybercase.collect.record import DnsLookup

TRANSIENT_GAI_ERRORS = frozenset(
    code for code in (getattr(socket, "EAI_AGAIN", None), getattr(socket, "EAI_FAIL", None)) if code
)


def is_ip_literal(host: str) -> bool:
    """Whether ``host`` is an IP address (no lookup needed)."""
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


@dataclass(frozen=True, slots=True)
class Resolution:
    """A lookup and whether its failure may pass (a temporary resolver error)."""

    lookup: DnsLookup
    transient: bool = False


def resolve(host: str, port: int, clock: Clock) -> Resolution:
    """Ask the system resolver for ``host``'s addresses, in its order, without duplicates."""
    at = format_utc(clock.now())
    started = time.perf_counter()
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        elapsed = (time.perf_counter() - started) * 1000
        return Resolution(
            DnsLookup(
                host=host,
                port=port,
                at=at,
                error=f"{exc.strerror or exc} (code {exc.errno})",
                elapsed_ms=round(elapsed, 3),
            ),
            transient=exc.errno in TRANSIENT_GAI_ERRORS,
        )
    elapsed = (time.perf_counter() - started) * 1000
    addresses: list[str] = []
    for _family, _type, _proto, _name, sockaddr in infos:
        address = str(sockaddr[0])
        if address not in addresses:
            addresses.append(address)
    return Resolution(
        DnsLookup(host=host, port=port, at=at, addresses=addresses, elapsed_ms=round(elapsed, 3))
    )
