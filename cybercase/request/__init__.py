"""Preservation, disclosure, emergency and takedown requests to platforms.

What a capture cannot reach (subscriber records, IP logs, messages, deleted listings)
must be requested from the platform that holds it. This layer prepares those requests
(``request.json`` and a letter), records every step of their life in the custody log,
keeps their deadlines, and takes in what the platforms send back as evidence.

The names below are its public surface; the CLI (``cybercase request ...``) is a thin
layer over them.

Each name is imported from its module on first use, so importing one module of this package
(a watch run needs only a few helpers) does not load the rest.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cybercase.lazy import lazy_names

if TYPE_CHECKING:
    from cybercase.request.config import RequestConfig
    from cybercase.request.create import create_request
    from cybercase.request.draft import RequestSpec
    from cybercase.request.fields import FieldSpec, MissingValuesError
    from cybercase.request.lifecycle import Deadline, RequestStatus, derive, derive_all
    from cybercase.request.models import RequestRecord
    from cybercase.request.platforms import (
        Platform,
        PlatformDirectory,
        init_user_directory,
        load_directory,
    )
    from cybercase.request.query import (
        DEFAULT_DUE_DAYS,
        RequestDetails,
        RequestSummary,
        due_requests,
        list_requests,
        request_details,
        save_request_files,
    )
    from cybercase.request.result import StepResult
    from cybercase.request.steps import close_request, extend_request, mark_sent, record_response

_HOMES = {
    "DEFAULT_DUE_DAYS": "cybercase.request.query",
    "Deadline": "cybercase.request.lifecycle",
    "FieldSpec": "cybercase.request.fields",
    "MissingValuesError": "cybercase.request.fields",
    "Platform": "cybercase.request.platforms",
    "PlatformDirectory": "cybercase.request.platforms",
    "RequestConfig": "cybercase.request.config",
    "RequestDetails": "cybercase.request.query",
    "RequestRecord": "cybercase.request.models",
    "RequestSpec": "cybercase.request.draft",
    "RequestStatus": "cybercase.request.lifecycle",
    "RequestSummary": "cybercase.request.query",
    "StepResult": "cybercase.request.result",
    "close_request": "cybercase.request.steps",
    "create_request": "cybercase.request.create",
    "derive": "cybercase.request.lifecycle",
    "derive_all": "cybercase.request.lifecycle",
    "due_requests": "cybercase.request.query",
    "extend_request": "cybercase.request.steps",
    "init_user_directory": "cybercase.request.platforms",
    "list_requests": "cybercase.request.query",
    "load_directory": "cybercase.request.platforms",
    "mark_sent": "cybercase.request.steps",
    "record_response": "cybercase.request.steps",
    "request_details": "cybercase.request.query",
    "save_request_files": "cybercase.request.query",
}
"""Where each public name is defined: imported only when first asked for."""

__all__ = [
    "DEFAULT_DUE_DAYS",
    "Deadline",
    "FieldSpec",
    "MissingValuesError",
    "Platform",
    "PlatformDirectory",
    "RequestConfig",
    "RequestDetails",
    "RequestRecord",
    "RequestSpec",
    "RequestStatus",
    "RequestSummary",
    "StepResult",
    "close_request",
    "create_request",
    "derive",
    "derive_all",
    "due_requests",
    "extend_request",
    "init_user_directory",
    "list_requests",
    "load_directory",
    "mark_sent",
    "record_response",
    "request_details",
    "save_request_files",
]


__getattr__, __dir__ = lazy_names(__name__, _HOMES, __all__)
