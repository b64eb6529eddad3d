"""``--notify CMD``: tell a mail or chat hook what a watch run found.

The command is run through the system shell (so ``mail -s ... someone@agency`` or a
script with arguments works as typed, on Windows too) with one event as JSON on its
standard input. A hook that fails or hangs never stops the run: it is reported as a
warning, and the evidence is in the case whatever the hook did.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from typing import Any

NOTIFY_TIMEOUT = 60.0


@dataclass(frozen=True, slots=True)
class Notifier:
    """Runs one command per event."""

    command: str
    timeout: float = NOTIFY_TIMEOUT

    def send(self, event: dict[str, Any]) -> str | None:
        """Run the command with ``event`` on stdin; a one-line problem, or ``None``."""
        data = (json.dumps(event, ensure_ascii=False, sort_keys=True) + "\n").encode("utf-8")
        # The investigator's own command line, run by the shell on purpose (pipes, quoting).
        try:
            done = subprocess.run(
                self.command,
                shell=True,
                input=data,
                capture_output=True,
                timeout=self.timeout,
                check=False,
            )
        except subprocess.TimeoutExpired:
            return f"--notify command did not finish in {self.timeout:.0f} s"
        except OSError as exc:
            return f"--notify command could not start: {exc.strerror or exc}"
        if done.returncode != 0:
            tail = done.stderr.decode("utf-8", errors="replace").strip().splitlines()
            said = f": {tail[-1][:200]}" if tail else ""
            return f"--notify command exited {done.returncode}{said}"
        return None
