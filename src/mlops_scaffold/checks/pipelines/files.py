"""Which files of a generated repo are CI/CD, and how the pipeline checks read them: Azure
DevOps pipelines (.pipelines/, environment_setup/), GitHub Actions workflows and composite actions,
each file's non-comment lines and parsed YAML (the opened Project's reading when run_checks opened
one), the line a needle is on, and the sample package's name. Every pipeline check imports these;
this module imports none of them, so there is no cycle.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from mlops_scaffold import yamlio
from mlops_scaffold.project_files import RUNTIME_DIRS, Project, parse_yaml, read_text

ADO_PATTERNS = (".pipelines/*.yml", ".pipelines/*.yaml", "environment_setup/*.yml", "environment_setup/*.yaml")
WORKFLOW_PATTERNS = (".github/workflows/*.yml", ".github/workflows/*.yaml")
ACTION_PATTERNS = (".github/actions/*/action.yml", ".github/actions/*/action.yaml")
SKIPPED_DIRS = RUNTIME_DIRS  # folders a run creates: never walked
PIPELINE_FILES = (*ADO_PATTERNS, *WORKFLOW_PATTERNS, *ACTION_PATTERNS)

USES = re.compile(r"^\s*-?\s*uses:\s*['\"]?([^'\"\s#]+)")


def _files(project: Path, patterns: tuple[str, ...]) -> list[Path]:
    opened = Project.of(project)
    return sorted({path for pattern in patterns for path in opened.glob(pattern)})


def ado_files(project: Path) -> list[Path]:
    return _files(project, ADO_PATTERNS)


def workflow_files(project: Path) -> list[Path]:
    return _files(project, WORKFLOW_PATTERNS)


def action_files(project: Path) -> list[Path]:
    return _files(project, ACTION_PATTERNS)


def pipeline_files(project: Path) -> list[Path]:
    return ado_files(project) + workflow_files(project) + action_files(project)


def _walk_files(project: Path) -> Iterator[Path]:
    yield from Project.of(project).files()


def _rel(project: Path, path: Path) -> str:
    return path.relative_to(project).as_posix()


def _code_lines(path: Path) -> Iterator[tuple[int, str]]:
    """(line number, text) of the lines that are not comments."""
    text = read_text(path)  # the opened Project's reading, when run_checks opened one
    if text is None:
        text = path.read_text(encoding="utf-8", errors="replace")
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.lstrip().startswith("#"):
            yield number, line


def _load_yaml(path: Path) -> Any:
    text = read_text(path)  # the opened Project's reading, when run_checks opened one
    if text is None:
        return None  # not UTF-8: the schema check reports it
    try:
        return parse_yaml(text)
    except yaml.YAMLError:
        return None  # the schema check reports the parse error with its line


def _walk(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for item in node:
            yield from _walk(item)


def _line_of(path: Path, needle: str) -> int | None:
    text = read_text(path)  # the opened Project's reading, when run_checks opened one
    if text is None:
        text = path.read_text(encoding="utf-8", errors="replace")
    for number, line in enumerate(text.splitlines(), start=1):
        if needle in line:
            return number
    return None


def sample_name(project: Path) -> str | None:
    answers = project / ".copier-answers.yml"
    if answers.is_file():
        data = yamlio.load(answers.read_text(encoding="utf-8")) or {}
        return data.get("sample_name")
    return None
