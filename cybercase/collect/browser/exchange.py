"""One exchange through the recording proxy while it is relayed, and the visit it belongs to.

The proxy (:class:`~cybercase.collect.browser.traffic.ContextTraffic`) fills an exchange
as bytes pass, so that a visit ended mid-stream still records what had arrived.
"""

from __future__ import annotations

import hashlib
import socket
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import h11

from cybercase.collect.http.failures import Classified
from cybercase.collect.http.spool import Spool
from cybercase.collect.http.wire import HopTap
from cybercase.collect.record import ConnectTry

RECV = 64 * 1024
"""Bytes read from a socket at a time."""


@dataclass(eq=False)
class ProxyExchange:
    """One request the browser made, as it progresses (guarded by ``lock``)."""

    number: int
    url: str
    method: str
    started: str
    started_mono: float
    lock: threading.Lock = field(default_factory=threading.Lock)
    cancel: threading.Event = field(default_factory=threading.Event)
    tap: HopTap | None = None
    spool: Spool | None = None
    request_pairs: list[tuple[str, str]] = field(default_factory=list)
    status: int | None = None
    reason: str | None = None
    http_version: str | None = None
    response_headers: list[tuple[bytes, bytes]] = field(default_factory=list)
    response_head: bytes | None = None
    transfer_encoding: bytes | None = None
    payload: Any = field(default_factory=hashlib.sha256)
    block: Any = None
    size: int = 0
    truncated: Literal["length", "time", "disconnect"] | None = None
    failure: Classified | None = None
    unparsed: bytes | None = None
    done: bool = False
    frozen: bool = False
    verification_error: str | None = None
    earlier_tries: list[ConnectTry] = field(default_factory=list)
    ended: str | None = None


class ProxyVisit:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.exchanges: list[ProxyExchange] = []
        self.warnings: list[str] = []
        self.lock = threading.Lock()
        self.open = True

    def folder_source(self) -> Path:
        self.folder.mkdir(parents=True, exist_ok=True)
        return self.folder


def block_digest_of(head: bytes, spool: Spool | None) -> str:
    """The WARC block digest of a response whose head was changed (a value withheld)."""
    block = hashlib.sha256(head)
    if spool is not None:
        with spool.open() as stream:
            while chunk := stream.read(RECV):
                block.update(chunk)
    return "sha256:" + block.hexdigest()


def next_h11_event(conn: h11.Connection, sock: socket.socket) -> Any:
    """The next h11 event, reading from ``sock`` as needed (bounded by the socket timeout)."""
    for _ in range(1_000_000):
        event = conn.next_event()
        if event is not h11.NEED_DATA:
            return event
        data = sock.recv(RECV)
        conn.receive_data(data)
        if not data:
            return conn.next_event()
    return h11.ConnectionClosed()


def host_of(authority: str) -> str:
    """``host`` of ``host:port`` (``[v6]:port`` too)."""
    if authority.startswith("["):
        return authority[1 : authority.index("]")]
    return authority.rsplit(":", 1)[0]
