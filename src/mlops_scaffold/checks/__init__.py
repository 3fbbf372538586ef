"""Every offline check of a generated repo, run by `mlops-scaffold check PATH` and the matrix.

Each area contributes a module with `CHECKS`: functions taking the project root and returning
Findings. A check never needs Azure, credentials or the network. A slow check may declare the
files it reads (`@reads("environment_setup/**")`); then its findings are cached by the content of
those files, so identical inputs across combinations are checked once.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from functools import cache
from pathlib import Path

from mlops_scaffold.checks import aml, iac, ml, pipelines, rendering
from mlops_scaffold.checks.base import Check, Finding, reads

ALL_CHECKS: tuple[Check, ...] = (*rendering.CHECKS, *ml.CHECKS, *pipelines.CHECKS, *iac.CHECKS, *aml.CHECKS)


@cache
def _code_version() -> str:
    """A hash of this package's code: a cached finding is only valid for the code that made it."""
    digest = hashlib.sha256()
    for path in sorted(Path(__file__).resolve().parents[1].rglob("*.py")):
        digest.update(path.read_bytes())
    return digest.hexdigest()


def content_key(project: Path, patterns: Iterable[str], salt: str = "") -> str:
    """A hash of the files under `project` matching `patterns`: names and contents."""
    digest = hashlib.sha256(salt.encode())
    files = sorted({path for pattern in patterns for path in project.glob(pattern) if path.is_file()})
    for path in files:
        digest.update(str(path.relative_to(project)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def _run_one(check: Check, project: Path, cache_dir: Path | None) -> list[Finding]:
    patterns = getattr(check, "reads", None)
    if cache_dir is None or patterns is None:
        return check(project)
    key = content_key(project, patterns, salt=f"{check.__module__}.{check.__qualname__}:{_code_version()}")
    cached = cache_dir / f"{key}.json"
    if cached.is_file():
        return [Finding(**row) for row in json.loads(cached.read_text())]
    findings = check(project)
    cache_dir.mkdir(parents=True, exist_ok=True)
    temporary = cached.with_suffix(f".{id(findings)}.tmp")
    temporary.write_text(json.dumps([finding.__dict__ for finding in findings]))
    temporary.replace(cached)
    return findings


def run_checks(project: Path, checks: Iterable[Check] = ALL_CHECKS, cache_dir: Path | None = None) -> list[Finding]:
    """Run `checks` over the rendered project at `project`; findings sorted by file and line."""
    findings: list[Finding] = []
    for check in checks:
        findings.extend(_run_one(check, project, cache_dir))
    return sorted(findings, key=lambda finding: (finding.path, finding.line or 0, finding.message))


__all__ = ["ALL_CHECKS", "Check", "Finding", "content_key", "reads", "run_checks"]
