"""Talking to an S3 store: where a replica lives, a client, and errors a user can act on.

Credentials and the endpoint come only from the standard AWS environment and files
(``AWS_ACCESS_KEY_ID``, ``AWS_PROFILE``, ``AWS_ENDPOINT_URL``, ``~/.aws/config``...), read
by boto3 itself: a secret never passes through cybercase's command line, so it never lands
in shell history, process listings or the custody log. What the log records is the
bucket, the prefix and the endpoint's address, never a key.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from cybercase.agency.extras import not_installed
from cybercase.errors import (
    CybercaseError,
    IdentityError,
    InvalidInputError,
    NetworkError,
    NotFoundError,
    StorageError,
)

S3Client = Any
"""boto3's S3 client (boto3 ships no type hints)."""

_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
MAX_POOL = 16
"""HTTP connections kept to the store: enough for the replication threads."""


@dataclass(frozen=True, slots=True)
class S3Location:
    """``s3://BUCKET/PREFIX``: the folder of a replica in a bucket."""

    bucket: str
    prefix: str
    """Without leading or trailing slash; may be empty."""

    @classmethod
    def parse(cls, text: str) -> S3Location:
        """Read ``s3://BUCKET[/PREFIX]``; anything else is a one-line error."""
        if not text.startswith("s3://"):
            raise InvalidInputError(f"not an S3 address: {text!r}", hint="write s3://BUCKET/PREFIX")
        bucket, _, prefix = text[5:].partition("/")
        if not _BUCKET.match(bucket):
            raise InvalidInputError(
                f"not a valid bucket name: {bucket!r}",
                hint="bucket names are 3-63 lowercase letters, digits, dots and hyphens",
            )
        prefix = prefix.strip("/")
        if ".." in prefix.split("/"):
            raise InvalidInputError(f"the prefix {prefix!r} may not contain '..'")
        return cls(bucket, prefix)

    def key(self, relative: str) -> str:
        """The object key of a path relative to the replica's folder."""
        return f"{self.prefix}/{relative}" if self.prefix else relative

    def relative(self, key: str) -> str:
        """A key's path relative to the replica's folder."""
        if not self.prefix:
            return key
        return key[len(self.prefix) + 1 :]

    def __str__(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}" if self.prefix else f"s3://{self.bucket}"


def make_client() -> S3Client:
    """An S3 client configured only from the standard AWS environment and files."""
    try:
        import boto3
        from botocore.config import Config
    except ImportError as exc:
        raise not_installed(exc) from exc
    config = Config(
        max_pool_connections=MAX_POOL,
        retries={"max_attempts": 5, "mode": "standard"},
        request_checksum_calculation="when_required",
        response_checksum_validation="when_required",
    )
    session = boto3.session.Session()
    return session.client("s3", config=config)


def endpoint_of(client: S3Client) -> str:
    """The store's address, for the record (scheme, host and port only)."""
    return str(client.meta.endpoint_url)


def error_code(exc: BaseException) -> str:
    """The S3 error code of a botocore ClientError (``""`` for anything else)."""
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        return str(response.get("Error", {}).get("Code", ""))
    return ""


def map_error(exc: BaseException, doing: str) -> CybercaseError:
    """A botocore failure as the most specific cybercase error, with what to try."""
    from botocore.exceptions import (
        ClientError,
        EndpointConnectionError,
        NoCredentialsError,
        PartialCredentialsError,
    )

    if isinstance(exc, NoCredentialsError | PartialCredentialsError):
        return IdentityError(
            f"no S3 credentials to {doing}",
            hint="set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or AWS_PROFILE (never on the "
            "command line)",
        )
    if isinstance(exc, EndpointConnectionError):
        return NetworkError(
            f"cannot reach the S3 store to {doing}: {exc}",
            hint="check AWS_ENDPOINT_URL and that the store is running",
        )
    if isinstance(exc, ClientError):
        code = error_code(exc)
        message = exc.response.get("Error", {}).get("Message", "") or code
        if code in ("NoSuchBucket", "404", "NotFound"):
            return NotFoundError(f"the bucket does not exist ({doing})", hint="check the name")
        if code in ("AccessDenied", "403", "InvalidAccessKeyId", "SignatureDoesNotMatch"):
            return StorageError(
                f"the S3 store refused to {doing}: {message}",
                hint="check the credentials' permissions on this bucket",
            )
        return StorageError(f"the S3 store failed to {doing}: {code} {message}")
    return NetworkError(f"cannot {doing}: {exc}")
