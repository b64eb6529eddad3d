"""What a verification says: findings, one line per family of checks, and the report.

Shared by every verifier (a live case, an exported package, a WACZ, a replica), so that
scripts read one shape whatever was verified.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

Severity = Literal["error", "warning", "info"]
CheckStatus = Literal["passed", "failed", "warning", "not checked"]


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem (or remark), at one place."""

    severity: Severity
    code: str
    """A stable identifier for scripts, e.g. ``object.corrupt``."""
    where: str
    """The place: ``custody.jsonl line 7 (seq 7)``, ``E0003 screenshot.png``, a file."""
    message: str

    def line(self) -> str:
        """The one line shown to a person."""
        return f"{self.severity.upper()}: {self.where}: {self.message}"

    def to_json(self) -> dict[str, str]:
        """For ``--json``."""
        return {
            "severity": self.severity,
            "code": self.code,
            "where": self.where,
            "message": self.message,
        }


@dataclass(frozen=True, slots=True)
class CheckResult:
    """One line of a verification: a family of checks, its status, its summary, its findings.

    Every verifier (a case, a package, a WACZ, a replica, an extra check such as the
    trusted timestamps) says what it found in this one shape.
    """

    name: str
    status: CheckStatus
    summary: str
    findings: tuple[Finding, ...] = ()

    @classmethod
    def judge(
        cls,
        name: str,
        findings: Sequence[Finding],
        passed: str,
        failed: str,
        *,
        checked: bool = True,
    ) -> CheckResult:
        """Its status from the worst finding, and a summary true either way.

        ``checked`` is False when there was nothing the family could check: it is then
        shown as "not checked", never as passed.
        """
        errors = sum(1 for f in findings if f.severity == "error")
        status: CheckStatus
        if errors:
            status = "failed"
        elif any(f.severity == "warning" for f in findings):
            status = "warning"
        else:
            status = "passed" if checked else "not checked"
        summary = f"{failed}: {errors} problem(s)" if errors else passed
        return cls(name, status, summary, tuple(findings))


@dataclass(slots=True)
class VerificationReport:
    """Everything a verification found."""

    target: str
    case_id: str | None
    findings: list[Finding] = field(default_factory=list)
    checks: list[CheckResult] = field(default_factory=list)
    stats: dict[str, int] = field(default_factory=dict)
    keys: list[dict[str, str]] = field(default_factory=list)
    """The case's root key and custodian keys (fingerprint, name, role)."""
    unanchored: tuple[int, int] | None = None
    """The entries after the last seal (first, last seq): not yet anchored in time."""

    def add(self, *checks: CheckResult) -> None:
        """Add lines to the report, in order, with their findings."""
        for check in checks:
            self.findings.extend(check.findings)
            self.checks.append(check)

    @property
    def errors(self) -> list[Finding]:
        """Findings that mean the case is not intact."""
        return [f for f in self.findings if f.severity == "error"]

    @property
    def warnings(self) -> list[Finding]:
        """Findings worth reading that do not break integrity."""
        return [f for f in self.findings if f.severity == "warning"]

    @property
    def ok(self) -> bool:
        """True when no error was found."""
        return not self.errors

    def to_json(self) -> dict[str, Any]:
        """For ``--json`` and ``verification.json`` in an export."""
        return {
            "target": self.target,
            "case_id": self.case_id,
            "result": "passed" if self.ok else "failed",
            "errors": len(self.errors),
            "warnings": len(self.warnings),
            "checks": [
                {"name": c.name, "status": c.status, "summary": c.summary} for c in self.checks
            ],
            "stats": self.stats,
            "keys": self.keys,
            "unanchored": (
                {"from_seq": self.unanchored[0], "to_seq": self.unanchored[1]}
                if self.unanchored
                else None
            ),
            "findings": [f.to_json() for f in self.findings],
        }
