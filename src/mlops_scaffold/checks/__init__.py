"""Every offline check of a generated repo, run by `mlops-scaffold check PATH` and the matrix.

Each area contributes a module with `CHECKS`: functions taking the project root and returning
Findings. A check never needs Azure, credentials or the network. A slow check may declare the
files it reads (`@reads("environment_setup/**")`); then its findings are cached by the content of
those files, so identical inputs across combinations are checked once.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from collections.abc import Iterable
from functools import cache
from pathlib import Path

from mlops_scaffold.checks import (
    aml,
    answers,
    artifacts,
    behaviour,
    docs,
    environment_names,
    exposure,
    iac,
    iac_schema,
    identity,
    leaks,
    ml,
    pipelines,
    rendering,
    trust,
)
from mlops_scaffold.checks.base import Check, Finding, content_key, keyed_by, reads, uses
from mlops_scaffold.checks.tools import tool_version
from mlops_scaffold.project_files import Project

ALL_CHECKS: tuple[Check, ...] = (
    *rendering.CHECKS,
    *answers.CHECKS,
    *ml.CHECKS,
    *pipelines.CHECKS,
    *iac.CHECKS,
    *iac_schema.CHECKS,
    *exposure.CHECKS,
    *artifacts.CHECKS,
    *identity.CHECKS,
    *trust.CHECKS,
    *behaviour.CHECKS,
    *docs.CHECKS,
    *environment_names.CHECKS,
    *leaks.CHECKS,
    *aml.CHECKS,
)


@cache
def _code_version() -> str:
    """A hash of this package's code: a cached finding is only valid for the code that made it."""
    digest = hashlib.sha256()
    for path in sorted(Path(__file__).resolve().parents[1].rglob("*.py")):
        digest.update(path.read_bytes())
    return digest.hexdigest()


# Tools the matrix runs beside the checks: `make -n` for the run tier's index, `bash -n` for scripts.
_MATRIX_TOOLS = ("make", "bash")


def environment_key() -> str | None:
    """What every check's findings depend on beyond the project: this package's code, the
    versions of the tools checks run, the schema references they read. None while a tool is
    missing, so that nothing found without it is remembered."""
    tools = sorted({*_MATRIX_TOOLS, *(tool for check in ALL_CHECKS for tool in getattr(check, "tools", ()))})
    versions = [tool_version(tool) for tool in tools]
    if None in versions:
        return None
    return json.dumps([_code_version(), versions, iac_schema.references_key(), sys.version])


def cache_file(check: Check, project: Path, cache_dir: Path) -> Path | None:
    """Where the check's findings for this project's inputs are cached; None for an uncached check,
    and for a check whose tool is missing (a "not installed" finding must not outlive the install)."""
    versions = [tool_version(tool) for tool in getattr(check, "tools", ())]
    if None in versions:
        return None
    if hasattr(check, "cache_key"):
        inputs = check.cache_key(project)
    elif hasattr(check, "reads"):
        inputs = content_key(project, check.reads)
    else:
        return None
    name = f"{check.__module__}.{check.__qualname__}"
    key = hashlib.sha256(f"{name}:{_code_version()}:{versions}:{inputs}".encode()).hexdigest()
    return cache_dir / f"{key}.json"


def read_cached(path: Path) -> list[Finding] | None:
    return [Finding(**row) for row in json.loads(path.read_text())] if path.is_file() else None


def write_cached(path: Path, findings: list[Finding]) -> None:
    write_atomically(path, json.dumps([finding.__dict__ for finding in findings]))


def write_atomically(path: Path, text: str) -> None:
    """Write a cache file so that parallel readers and writers never see half of it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(f".{os.getpid()}.tmp")
    temporary.write_text(text)
    temporary.replace(path)


def _run_one(check: Check, project: Path, cache_dir: Path | None) -> list[Finding]:
    cached = cache_file(check, project, cache_dir) if cache_dir is not None else None
    if cached is None:
        return check(project)
    findings = read_cached(cached)
    if findings is None:
        findings = check(project)
        write_cached(cached, findings)
    return findings


def run_checks(project: Path, checks: Iterable[Check] = ALL_CHECKS, cache_dir: Path | None = None) -> list[Finding]:
    """Run `checks` over the rendered project at `project`; findings sorted by file and line."""
    findings: list[Finding] = []
    with Project.opened(project):  # each file read and parsed once for all the checks
        for check in checks:
            findings.extend(_run_one(check, project, cache_dir))
    return sorted(findings, key=lambda finding: (finding.path, finding.line or 0, finding.message))


__all__ = [
    "ALL_CHECKS",
    "Check",
    "Finding",
    "content_key",
    "environment_key",
    "keyed_by",
    "reads",
    "run_checks",
    "uses",
]
