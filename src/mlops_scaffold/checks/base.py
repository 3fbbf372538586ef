"""What every check returns, and how a check declares the files it reads."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Finding:
    path: str  # relative to the project root
    line: int | None  # 1-based, None when it is about the whole file
    message: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {self.message}"


Check = Callable[[Path], list[Finding]]


def reads(*patterns: str) -> Callable[[Check], Check]:
    """Declare the project files (glob patterns) a check's result depends on, so the matrix can
    cache its findings by their content."""

    def mark(check: Check) -> Check:
        check.reads = patterns  # type: ignore[attr-defined]
        return check

    return mark
