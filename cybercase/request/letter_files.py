"""A rendered letter stored as the request's artifacts (HTML, and its PDF when possible).

Shared by the steps that write letters (``request.created`` and ``request.extended``):
what a template sees (:func:`letter_context`), how a letter cites the request it
follows, and the storing of the HTML and PDF.
"""

from __future__ import annotations

from typing import Any

from cybercase.clock import format_utc
from cybercase.evidence import Artifact, Case
from cybercase.request.lifecycle import RequestStatus
from cybercase.request.models import (
    RequestRecord,
)
from cybercase.request.pdf import PdfChoice, make_pdf, resolve_pdf


def letter_context(
    case: Case,
    record: RequestRecord,
    *,
    date_text: str,
    follows: dict[str, Any] | None = None,
    extension: dict[str, Any] | None = None,
    language: str | None = None,
) -> dict[str, Any]:
    """What a letter template sees (documented in docs/requests.md)."""
    data = record.model_dump(mode="json")
    return {
        "request": data,
        "case": case.meta.model_dump(),
        "agency": data["authority"],
        "officer": data["officer"],
        "addressee": data["addressee"],
        "grounds": data["grounds"],
        "data": data["data"],
        "targets": data["targets"],
        "evidence": data["evidence"],
        "date": date_text,
        "reference": f"{case.meta.id}/{record.id}",
        "language": language or record.language,
        "follows": follows,
        "extension": extension,
    }


def follows_context(case: Case, status: RequestStatus | None) -> dict[str, Any] | None:
    """How a letter refers to the request it follows."""
    if status is None:
        return None
    text = f"{case.meta.id}/{status.id}"
    if status.reference:
        text += f" (your reference {status.reference})"
    return {
        "id": status.id,
        "type": status.type,
        "reference": status.reference,
        "reference_text": text,
        "sent": format_utc(status.sent_at) if status.sent_at else None,
    }


def store_letter(
    case: Case,
    html: str,
    pdf_choice: PdfChoice,
    *,
    stem: str,
    role: str,
) -> tuple[list[Artifact], list[str]]:
    """Store a rendered letter (HTML, and PDF when a browser is there) as artifacts."""
    html_bytes = html.encode("utf-8")
    digest = case.store.put_bytes(html_bytes, sync=False)
    artifacts = [
        Artifact(
            role=role,
            name=f"{stem}.html",
            digest=str(digest),
            size=len(html_bytes),
            media_type="text/html",
        )
    ]
    messages: list[str] = []
    maker, why = resolve_pdf(pdf_choice)
    pdf = None
    if maker is not None:
        pdf, why = make_pdf(html, maker)
    if pdf is not None:
        pdf_digest = case.store.put_bytes(pdf, sync=False)
        artifacts.append(
            Artifact(
                role=f"{role}-pdf",
                name=f"{stem}.pdf",
                digest=str(pdf_digest),
                size=len(pdf),
                media_type="application/pdf",
            )
        )
    elif why:
        messages.append(why)
    return artifacts, messages
