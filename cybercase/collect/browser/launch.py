"""How the browser is started and named in the record: its flags, sandbox and driver.

The flags keep the browser from reaching the network around the recording proxy and
give the same colours on every machine; each result records whether it was sandboxed.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

LAUNCH_FLAGS = (
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
    # WebRTC could reach the network around a proxy and reveal the investigator's address.
    "--webrtc-ip-handling-policy=disable_non_proxied_udp",
    # The same colours on every machine, whatever its display profile.
    "--force-color-profile=srgb",
)
NO_SANDBOX_FLAG = "--no-sandbox"


def playwright_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("playwright")
    except PackageNotFoundError:
        return "unknown version"


def is_root() -> bool:
    return sys.platform != "win32" and hasattr(os, "geteuid") and os.geteuid() == 0


def browser_name(executable: Path) -> str:
    text = str(executable).lower()
    if "edge" in text:
        return "Microsoft Edge"
    if "chromium" in text or "ms-playwright" in text:
        return "Chromium"
    if "chrome" in text:
        return "Google Chrome"
    return "Chromium-based browser"
