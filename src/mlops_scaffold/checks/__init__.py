"""Every offline check of a generated repo, run by `mlops-scaffold check PATH` and the matrix.

Each area contributes a module with `CHECKS`: functions taking the project root and returning
Findings. A check never needs Azure, credentials or the network.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

from mlops_scaffold.checks import rendering
from mlops_scaffold.checks.base import Finding

Check = Callable[[Path], list[Finding]]

ALL_CHECKS: tuple[Check, ...] = (*rendering.CHECKS,)


def run_checks(project: Path, checks: Iterable[Check] = ALL_CHECKS) -> list[Finding]:
    """Run `checks` over the rendered project at `project`; findings sorted by file and line."""
    findings: list[Finding] = []
    for check in checks:
        findings.extend(check(project))
    return sorted(findings, key=lambda finding: (finding.path, finding.line or 0, finding.message))


__all__ = ["ALL_CHECKS", "Check", "Finding", "run_checks"]
