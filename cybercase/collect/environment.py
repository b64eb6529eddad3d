"""Who collected, on which machine, with which tools and with what clock.

These are the Berkeley Protocol's minimum collection data. They are gathered once per
batch (the clock's reading is taken again for each capture). Nothing here calls an
outside service unless the investigator configured it: the clock offset is measured only
against a configured NTP server, and the public egress address only through a configured
lookup URL, fetched through the same proxy as the captures (so it shows the address the
servers saw). Otherwise the record says "not checked".
"""

from __future__ import annotations

import ipaddress
import platform
import socket
import ssl
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from importlib import metadata

from cybercase import __version__
from cybercase.clock import format_utc
from cybercase.collect.record import ClockCheck, Egress, Environment, Investigator, Machine

LIBRARIES = ("httpx", "httpcore", "h11", "warcio", "exifread", "pydantic", "cryptography")


def software_versions() -> dict[str, str]:
    """The tool's version and those of the libraries that shape the evidence."""
    versions = {
        "cybercase": __version__,
        "python": platform.python_version(),
        "openssl": ssl.OPENSSL_VERSION,
    }
    for name in LIBRARIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def local_addresses() -> list[str]:
    """This machine's IP addresses, loopback excluded."""
    import psutil

    found: list[str] = []
    for entries in psutil.net_if_addrs().values():
        for entry in entries:
            if entry.family not in (socket.AF_INET, socket.AF_INET6):
                continue
            address = entry.address.split("%", 1)[0]
            try:
                if ipaddress.ip_address(address).is_loopback:
                    continue
            except ValueError:
                continue
            if address not in found:
                found.append(address)
    return found


def machine() -> Machine:
    """The collecting machine."""
    return Machine(
        hostname=socket.gethostname(),
        os=f"{platform.system()} {platform.release()}".strip(),
        platform=platform.platform(),
        local_addresses=local_addresses(),
    )


def ntp_offset(server: str, timeout: float = 3.0) -> tuple[float | None, str | None]:
    """System clock minus NTP time, in ms, or the error (never raises for a network fault)."""
    import ntplib

    host, _, port = server.partition(":")
    try:
        response = ntplib.NTPClient().request(
            host, version=3, port=int(port) if port else "ntp", timeout=timeout
        )
    except (ntplib.NTPException, OSError, ValueError) as exc:
        return None, f"{type(exc).__name__}: {exc}"
    return round(-response.offset * 1000, 3), None


@dataclass(frozen=True, slots=True)
class Surroundings:
    """What is the same for every capture of a batch."""

    investigator: Investigator
    persona: str | None
    machine: Machine
    software: dict[str, str]
    ntp_server: str | None
    ntp_offset_ms: float | None
    ntp_error: str | None
    egress: Egress

    def at(self, now: datetime) -> Environment:
        """The environment of a capture that started at ``now``."""
        if self.ntp_server is None:
            clock = ClockCheck(system_utc=format_utc(now))
        else:
            clock = ClockCheck(
                system_utc=format_utc(now),
                ntp_server=self.ntp_server,
                ntp_status="failed" if self.ntp_error else "checked",
                ntp_offset_ms=self.ntp_offset_ms,
                ntp_error=self.ntp_error,
            )
        return Environment(
            investigator=self.investigator,
            persona=self.persona,
            machine=self.machine,
            software=self.software,
            clock=clock,
            egress=self.egress,
        )


def egress_from_answer(url: str, body: bytes | None, error: str | None) -> Egress:
    """Interpret the lookup service's answer (it must be a bare IP address)."""
    if error is not None or body is None:
        return Egress(status="failed", lookup_url=url, error=error or "no answer")
    text = body.decode("ascii", "replace").strip()
    try:
        return Egress(status="checked", lookup_url=url, address=str(ipaddress.ip_address(text)))
    except ValueError:
        return Egress(
            status="failed", lookup_url=url, error=f"the answer is not an IP address: {text[:60]!r}"
        )


def survey(
    *,
    investigator_name: str,
    investigator_key: str,
    persona: str | None,
    ntp_server: str | None,
    egress_lookup_url: str | None,
    fetch_small: Callable[[str], tuple[bytes | None, str | None]] | None,
) -> Surroundings:
    """Gather the batch's environment; ``fetch_small`` fetches the egress lookup URL."""
    offset: float | None = None
    ntp_error: str | None = None
    if ntp_server:
        offset, ntp_error = ntp_offset(ntp_server)
    egress = Egress()
    if egress_lookup_url and fetch_small is not None:
        body, error = fetch_small(egress_lookup_url)
        egress = egress_from_answer(egress_lookup_url, body, error)
    return Surroundings(
        investigator=Investigator(name=investigator_name, key=investigator_key),
        persona=persona,
        machine=machine(),
        software=software_versions(),
        ntp_server=ntp_server or None,
        ntp_offset_ms=offset,
        ntp_error=ntp_error,
        egress=egress,
    )


def python_build() -> str:
    """The interpreter, for the warcinfo record."""
    return f"Python {platform.python_version()} ({sys.implementation.name})"
