"""What every check returns, and how a check declares the files it reads."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from pathlib import Path

from mlops_scaffold.model import Finding
from mlops_scaffold.project_files import Project

__all__ = ["Check", "Finding", "content_key", "keyed_by", "reads", "uses"]


Check = Callable[[Path], list[Finding]]


def reads(*patterns: str) -> Callable[[Check], Check]:
    """Declare the project files (glob patterns) a check's result depends on, so the matrix can
    cache its findings by their content."""

    def mark(check: Check) -> Check:
        check.reads = patterns  # type: ignore[attr-defined]
        return check

    return mark


def uses(*tools: str) -> Callable[[Check], Check]:
    """Declare the external tools a check runs: its cached findings are keyed by their versions,
    and nothing is cached while one of them is missing (checks/tools.py)."""

    def mark(check: Check) -> Check:
        check.tools = tools  # type: ignore[attr-defined]
        return check

    return mark


def keyed_by(key: Callable[[Path], str]) -> Callable[[Check], Check]:
    """Declare a function of the project that changes whenever the check's result can change,
    for checks whose inputs are more than files (reads() is the common case of this)."""

    def mark(check: Check) -> Check:
        check.cache_key = key  # type: ignore[attr-defined]
        return check

    return mark


def content_key(project: Path, patterns: Iterable[str], salt: str = "") -> str:
    """A hash of the files under `project` matching `patterns`: names and contents."""
    opened = Project.of(project)
    digest = hashlib.sha256(salt.encode())
    files = sorted({path for pattern in patterns for path in opened.glob(pattern)})
    for path in files:
        relative = str(path.relative_to(project))
        digest.update(f"{relative}\0{opened.digest(relative)}\0".encode())
    return digest.hexdigest()
