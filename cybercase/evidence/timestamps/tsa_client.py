"""Time-stamping authorities: their configuration, and asking them for tokens.

The ``[tsa]`` table of the configuration lists one or more authorities, tried in order
until one grants a token that verifies against that authority's configured roots::

    [tsa]
    gap_warning_seconds = 3600     # verify warns when TSA time and our time differ more
    item_tokens = "single"         # "single" | "always" | "never" (see docs/timestamps.md)
    trust_roots = ["retired-tsa-root.pem"]   # roots still trusted for old tokens

    [[tsa.authorities]]
    name = "freetsa"
    url = "https://freetsa.org/tsr"
    roots = ["freetsa-cacert.pem"]
    chain = ["freetsa-tsa.crt"]     # optional: certificates between the TSA and the root
    policy = "1.2.3.4.1"            # optional: the policy OID to ask for and insist on
    timeout = 10

Relative paths are read from the configuration file's folder.

Requests are built with asn1crypto's RFC 3161 definitions from a digest we already
hold (the one the custody log names), so a 1 GiB original is never read into memory
to be timestamped and a seal can ask for the entry hash itself; rfc3161-client's
request builder only takes the data. Responses are parsed and verified with
rfc3161-client (:mod:`cybercase.evidence.timestamps.tokens`). A token is accepted only after it
verifies: status granted, our imprint, our nonce, the policy, and a signature chain
to the authority's roots as of its genTime.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from cybercase.clock import Clock, SystemClock, format_utc
from cybercase.digest import Digest
from cybercase.errors import TimestampError
from cybercase.evidence.timestamps.tokens import (
    ParsedToken,
    TokenProblem,
    load_pem_certificates,
    parse_response,
    verify_token,
)
from cybercase.settings import config_path, invalid_setting, load_config, section

QUERY_TYPE = "application/timestamp-query"
REPLY_TYPE = "application/timestamp-reply"
MAX_REPLY = 1024 * 1024

ItemTokenPolicy = Literal["single", "always", "never"]


class AuthorityConfig(BaseModel):
    """One time-stamping authority, from ``[[tsa.authorities]]``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1, max_length=64)
    """A short label, recorded in each entry the authority's tokens appear in."""
    url: str
    """Where to POST ``application/timestamp-query`` (http or https)."""
    roots: list[Path] = Field(min_length=1)
    """PEM files of the root certificates a token from this authority must chain to."""
    chain: list[Path] = Field(default_factory=list)
    """PEM files of certificates between the TSA certificate and the root (any order)."""
    policy: str | None = None
    """The TSA policy OID to request and to insist on; ``None`` accepts the default."""
    timeout: float = Field(default=10.0, gt=0, le=300)
    """Seconds to wait for the authority before trying the next one."""
    proxy: str | None = None
    """An HTTP(S) or SOCKS proxy URL; none by default (the environment is not used)."""

    @field_validator("url")
    @classmethod
    def _http_only(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("the url must start with http:// or https://")
        return value

    @field_validator("policy")
    @classmethod
    def _oid(cls, value: str | None) -> str | None:
        if value is not None:
            parts = value.split(".")
            if len(parts) < 2 or not all(p.isdigit() for p in parts):
                raise ValueError("a policy is a dotted OID such as 1.2.3.4.1")
        return value


class TsaSettings(BaseModel):
    """The ``[tsa]`` table: which authorities to ask, and how verification judges tokens."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    authorities: list[AuthorityConfig] = Field(default_factory=list)
    """Authorities in the order they are tried; empty means timestamping is off."""
    gap_warning_seconds: int = Field(default=3600, ge=0)
    """Verification warns when a token's time and the time it vouches for differ more."""
    item_tokens: ItemTokenPolicy = "single"
    """When an item gets its own token rather than a place under the next seal."""
    trust_roots: list[Path] = Field(default_factory=list)
    """Extra roots trusted when verifying (e.g. of an authority no longer used)."""

    @property
    def enabled(self) -> bool:
        """Whether any authority is configured."""
        return bool(self.authorities)

    @classmethod
    def from_config(cls, config: dict[str, Any], base: Path | None = None) -> TsaSettings:
        """Validate the ``[tsa]`` table; relative paths are taken from ``base``."""
        table = section(config, "tsa")
        try:
            settings = cls.model_validate(table)
        except ValidationError as exc:
            raise invalid_setting(
                exc, "configuration [tsa]", hint="see docs/timestamps.md for the [tsa] table"
            ) from exc
        if base is None:
            return settings
        return settings.model_copy(
            update={
                "authorities": [
                    a.model_copy(
                        update={
                            "roots": [_resolve(base, p) for p in a.roots],
                            "chain": [_resolve(base, p) for p in a.chain],
                        }
                    )
                    for a in settings.authorities
                ],
                "trust_roots": [_resolve(base, p) for p in settings.trust_roots],
            }
        )

    @classmethod
    def load(cls, explicit: Path | None = None) -> TsaSettings:
        """The settings in the configuration file in effect (none: timestamping off)."""
        path = config_path(explicit)
        return cls.from_config(load_config(explicit), path.parent)

    def authority(self, name: str) -> AuthorityConfig | None:
        """The configured authority with this name, if any."""
        return next((a for a in self.authorities if a.name == name), None)

    def trusted_roots(self) -> list[x509.Certificate]:
        """Every root this configuration trusts, each once."""
        found: dict[bytes, x509.Certificate] = {}
        for path in [p for a in self.authorities for p in a.roots] + list(self.trust_roots):
            for cert in load_pem_certificates(path):
                found.setdefault(cert.fingerprint(hashes.SHA256()), cert)
        return list(found.values())


def _resolve(base: Path, path: Path) -> Path:
    path = path.expanduser()
    return path if path.is_absolute() else base / path


@dataclass(frozen=True, slots=True)
class TsaAttempt:
    """One authority that did not give a usable token, and why."""

    authority: str
    url: str
    at: str
    error: str

    def to_json(self) -> dict[str, str]:
        """As recorded in a ``timestamp.failed`` entry."""
        return {"authority": self.authority, "url": self.url, "at": self.at, "error": self.error}


@dataclass(frozen=True, slots=True)
class Grant:
    """A token an authority granted over one digest, verified on arrival."""

    authority: AuthorityConfig
    digest: Digest
    nonce: int
    token: ParsedToken
    received: bytes
    """The response exactly as the authority sent it (differs from ``token.data`` if repaired)."""
    root: x509.Certificate
    """The configured root the token chains to."""
    chain: list[x509.Certificate]
    """The TSA certificate, then the certificates up to (not including) the root."""


@dataclass(slots=True)
class TsaClient:
    """Asks the configured authorities, in order, for tokens over digests."""

    settings: TsaSettings
    clock: Clock = field(default_factory=SystemClock)
    round_trips: int = 0
    """HTTP requests sent (benchmarks report it)."""
    _clients: dict[str, Any] = field(default_factory=dict)

    def __enter__(self) -> TsaClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the HTTP connections kept open between requests."""
        for client in self._clients.values():
            client.close()
        self._clients.clear()

    def timestamp(self, digest: Digest) -> tuple[Grant | None, list[TsaAttempt]]:
        """A verified token from the first authority that gives one, and the failures before.

        Never raises for an authority's failure: each becomes a :class:`TsaAttempt`.
        """
        attempts: list[TsaAttempt] = []
        if not self.settings.authorities:
            return None, attempts
        for authority in self.settings.authorities:
            try:
                return self._ask(authority, digest), attempts
            except TimestampError as exc:
                attempts.append(
                    TsaAttempt(
                        authority=authority.name,
                        url=authority.url,
                        at=format_utc(self.clock.now()),
                        error=exc.message,
                    )
                )
        return None, attempts

    def require(self, digest: Digest) -> Grant:
        """Like :meth:`timestamp`, but no token at all is a :class:`TimestampError`."""
        if not self.settings.authorities:
            raise TimestampError(
                "no time-stamping authority is configured",
                hint="add a [[tsa.authorities]] table to your configuration "
                "(see docs/timestamps.md)",
            )
        grant, attempts = self.timestamp(digest)
        if grant is None:
            raise TimestampError(
                "no time-stamping authority gave a token: "
                + "; ".join(f"{a.authority}: {a.error}" for a in attempts),
                hint="check the network and the [tsa] configuration, then try again",
            )
        return grant

    def _http(self, authority: AuthorityConfig) -> Any:
        import httpx

        client = self._clients.get(authority.name)
        if client is None:
            client = httpx.Client(
                timeout=authority.timeout,
                trust_env=False,
                proxy=authority.proxy,
                follow_redirects=False,
            )
            self._clients[authority.name] = client
        return client

    def _ask(self, authority: AuthorityConfig, digest: Digest) -> Grant:
        import httpx

        nonce = secrets.randbits(63) | 1
        query = build_request(digest, nonce=nonce, policy=authority.policy)
        self.round_trips += 1
        try:
            reply = self._http(authority).post(
                authority.url, content=query, headers={"Content-Type": QUERY_TYPE}
            )
        except httpx.TimeoutException as exc:
            raise TimestampError(f"no answer within {authority.timeout:g} s") from exc
        except httpx.HTTPError as exc:
            raise TimestampError(f"cannot reach {authority.url}: {_reason(exc)}") from exc
        if reply.status_code != 200:
            raise TimestampError(f"the authority answered HTTP {reply.status_code}")
        content_type = reply.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type != REPLY_TYPE:
            raise TimestampError(
                f"the answer is {content_type or 'untyped'}, not {REPLY_TYPE}: "
                "probably not a time-stamping service at this URL"
            )
        received = reply.content
        if len(received) > MAX_REPLY:
            raise TimestampError("the answer is too large to be a timestamp response")
        token = parse_response(received)
        roots = _load_all(authority.roots)
        configured_chain = _load_all(authority.chain)
        problems, root, chain = verify_token(
            token,
            digest_hex=digest.hex,
            roots=roots,
            intermediates=configured_chain,
            nonce=nonce,
            policy=authority.policy,
        )
        if problems or root is None:
            raise TimestampError(
                "the token does not verify: " + "; ".join(p.message for p in problems)
            )
        return Grant(authority, digest, nonce, token, received, root, chain)


def _load_all(paths: Sequence[Path]) -> list[x509.Certificate]:
    return [cert for path in paths for cert in load_pem_certificates(path)]


def _reason(exc: Exception) -> str:
    text = str(exc) or type(exc).__name__
    if "refused" in text.lower():
        return "connection refused"
    return text.splitlines()[0][:200]


def build_request(digest: Digest, *, nonce: int, policy: str | None = None) -> bytes:
    """A DER ``TimeStampReq`` over a SHA-256 digest, asking for the TSA's certificate."""
    from asn1crypto import tsp

    request: dict[str, object] = {
        "version": "v1",
        "message_imprint": {
            "hash_algorithm": {"algorithm": "sha256"},
            "hashed_message": bytes.fromhex(digest.hex),
        },
        "nonce": nonce,
        "cert_req": True,
    }
    if policy is not None:
        request["req_policy"] = policy
    return bytes(tsp.TimeStampReq(request).dump())


def problems_text(problems: Sequence[TokenProblem]) -> str:
    """Problems as one line."""
    return "; ".join(p.message for p in problems)
