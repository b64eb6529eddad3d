"""Preservation, disclosure, emergency and takedown requests to platforms.

What a capture cannot reach (subscriber records, IP logs, messages, deleted listings)
must be requested from the platform that holds it. This layer prepares those requests
(``request.json`` and a letter), records every step of their life in the custody log,
keeps their deadlines, and takes in what the platforms send back as evidence.

The names below are its public surface; the CLI (``cybercase request ...``) is a thin
layer over them.
"""

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
