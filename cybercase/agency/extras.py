"""The optional extra behind the agency features, and the one message when it is missing."""

from __future__ import annotations

from cybercase.errors import CybercaseError


def not_installed(exc: ImportError) -> CybercaseError:
    """The one message for a missing optional extra (boto3, psycopg, procrastinate)."""
    missing = exc.name or "a package"
    return CybercaseError(
        f"the agency features are not installed ({missing} is missing)",
        hint='install them with: pip install "cybercase[agency]"',
    )
