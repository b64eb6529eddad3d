"""Collection: capturing web pages as evidence (WARC, record, text, images, EXIF).

``capture_url`` captures one URL as one committed item; ``run_batch`` captures many
(concurrency, politeness, resume, clean stop). Extra per-URL work such as browser
rendering plugs in as a :class:`Stage`. This package's names are its public surface;
each is imported from its module on first use, so ``import cybercase.collect`` is cheap.

Layout: :mod:`cybercase.collect.http` fetches and records raw HTTP (hops, TLS, DNS);
:mod:`cybercase.collect.browser` renders pages in Chromium and records its traffic;
beside them, :mod:`~cybercase.collect.capture` (one URL to one prepared item),
:mod:`~cybercase.collect.commit` (the custody entry), :mod:`~cybercase.collect.batch`
(many URLs), :mod:`~cybercase.collect.session` (a whole ``cybercase capture`` run),
:mod:`~cybercase.collect.record` (the record format) and :mod:`~cybercase.collect.warc`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cybercase.lazy import lazy_names

if TYPE_CHECKING:
    from cybercase.collect.batch import BatchResult, parse_url_list, run_batch
    from cybercase.collect.capture import Capturer, capture_url, open_capturer
    from cybercase.collect.commit import (
        CaptureRequest,
        CaptureResult,
        PreparedCapture,
        commit_captures,
    )
    from cybercase.collect.config import CaptureSettings, load_capture_settings
    from cybercase.collect.record import CaptureRecord
    from cybercase.collect.stages import Stage, StageFile, StageOutput

_HOMES = {
    "BatchResult": "cybercase.collect.batch",
    "CaptureRecord": "cybercase.collect.record",
    "CaptureRequest": "cybercase.collect.commit",
    "CaptureResult": "cybercase.collect.commit",
    "CaptureSettings": "cybercase.collect.config",
    "Capturer": "cybercase.collect.capture",
    "PreparedCapture": "cybercase.collect.commit",
    "Stage": "cybercase.collect.stages",
    "StageFile": "cybercase.collect.stages",
    "StageOutput": "cybercase.collect.stages",
    "capture_url": "cybercase.collect.capture",
    "commit_captures": "cybercase.collect.commit",
    "load_capture_settings": "cybercase.collect.config",
    "open_capturer": "cybercase.collect.capture",
    "parse_url_list": "cybercase.collect.batch",
    "run_batch": "cybercase.collect.batch",
}
"""Where each public name is defined: imported only when first asked for."""

__all__ = [
    "BatchResult",
    "CaptureRecord",
    "CaptureRequest",
    "CaptureResult",
    "CaptureSettings",
    "Capturer",
    "PreparedCapture",
    "Stage",
    "StageFile",
    "StageOutput",
    "capture_url",
    "commit_captures",
    "load_capture_settings",
    "open_capturer",
    "parse_url_list",
    "run_batch",
]


__getattr__, __dir__ = lazy_names(__name__, _HOMES, __all__)
