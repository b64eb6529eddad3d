"""Collection: capturing web pages as evidence (WARC, record, text, images, EXIF).

``capture_url`` captures one URL as one committed item; ``run_batch`` captures many
(concurrency, politeness, resume, clean stop). Extra per-URL work such as browser
rendering plugs in as a :class:`Stage`. The modules are imported lazily by the CLI; this
package's names are its public surface.
"""

from cybercase.collect.batch import BatchResult, parse_url_list, run_batch
from cybercase.collect.capture import (
    Capturer,
    CaptureRequest,
    CaptureResult,
    PreparedCapture,
    capture_url,
    commit_captures,
    open_capturer,
)
from cybercase.collect.config import CaptureSettings, load_capture_settings
from cybercase.collect.record import CaptureRecord
from cybercase.collect.stages import Stage, StageFile, StageOutput

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
