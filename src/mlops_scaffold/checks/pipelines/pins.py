"""Pins: no floating reference (`@main`, `:latest`, a branch ref), Azure DevOps tasks at the
newest major version the vendored azure-pipelines schema knows, actions pinned to a release tag or
a commit sha, and every Dockerfile FROM on a tag other than latest (an ARG's default counts). A
floating reference lets a run change behaviour with no change to the repo.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from mlops_scaffold.checks.base import Finding
from mlops_scaffold.checks.pipelines.files import USES, _code_lines, _rel, _walk_files, ado_files, pipeline_files
from mlops_scaffold.checks.pipelines.schemas import _azure_pipelines_schema

FLOATING = re.compile(r"@(main|master|latest|HEAD)\b|:latest\b|\bref:\s*refs/heads/")
ADO_TASK = re.compile(r"^\s*-?\s*task:\s*['\"]?([\w.\-]+?)(?:@(\d+))?['\"]?\s*(?:#.*)?$")
ACTION_REF = re.compile(r"^v\d+(\.\d+){0,2}$|^[0-9a-f]{40}$")
FROM_LINE = re.compile(r"^\s*FROM\s+(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?", re.IGNORECASE)
ARG_LINE = re.compile(r"^\s*ARG\s+([A-Za-z_]\w*)(?:=(\S*))?\s*$", re.IGNORECASE)
ARG_REFERENCE = re.compile(r"\$\{([A-Za-z_]\w*)\}|\$([A-Za-z_]\w*)")


@cache
def ado_task_majors() -> dict[str, int]:
    """Task name (lower case) -> the newest major version the vendored azure-pipelines schema knows."""
    try:
        schema = _azure_pipelines_schema()
    except (ModuleNotFoundError, FileNotFoundError):
        return {}
    majors: dict[str, int] = {}
    for task in schema["definitions"]["task"]["anyOf"]:
        pattern = task.get("properties", {}).get("task", {}).get("pattern", "")
        found = re.fullmatch(r"\^(.+)@(\d+)\$", pattern)
        if found:
            name = found.group(1).lower()
            majors[name] = max(majors.get(name, 0), int(found.group(2)))
    return majors


def _dockerfiles(project: Path) -> list[Path]:
    return [path for path in _walk_files(project) if path.name == "Dockerfile" or path.name.startswith("Dockerfile.")]


def _dockerfile_pins(project: Path, path: Path) -> list[Finding]:
    """Every FROM names a tag other than latest (or a digest); `${ARG}` in it is read as the ARG's default."""
    findings: list[Finding] = []
    stages: set[str] = set()
    defaults: dict[str, str] = {}
    for number, line in _code_lines(path):
        argument = ARG_LINE.match(line)
        if argument:
            defaults[argument.group(1)] = (argument.group(2) or "").strip("'\"")
            continue
        found = FROM_LINE.match(line)
        if not found:
            continue
        image, alias = found.group(1), found.group(2)
        if alias:
            stages.add(alias.lower())
        unset = [name for name in _arg_names(image) if not defaults.get(name)]
        if unset:
            message = f"FROM {image}: ARG {', '.join(unset)} has no default, so the image is not pinned"
            findings.append(Finding(_rel(project, path), number, message))
            continue
        resolved = ARG_REFERENCE.sub(lambda match: defaults[match.group(1) or match.group(2)], image)
        if resolved.lower() in stages or resolved == "scratch" or "@sha256:" in resolved:
            continue
        tag = resolved.rsplit("/", 1)[-1].partition(":")[2]
        if not tag or tag == "latest":
            shown = image if resolved == image else f"{image} (= {resolved})"
            findings.append(Finding(_rel(project, path), number, f"FROM {shown}: pin an image tag other than latest"))
    return findings


def _arg_names(text: str) -> list[str]:
    return [match.group(1) or match.group(2) for match in ARG_REFERENCE.finditer(text)]


def check_pins(project: Path) -> list[Finding]:
    """No floating references; Azure DevOps tasks at their newest major; actions and images pinned."""
    findings: list[Finding] = []
    majors = ado_task_majors()
    for path in pipeline_files(project):
        rel = _rel(project, path)
        is_ado = path in ado_files(project)
        for number, line in _code_lines(path):
            floating = FLOATING.search(line)
            if floating:
                findings.append(Finding(rel, number, f"floating reference {floating.group(0).strip()}: pin a version"))
            task = ADO_TASK.match(line) if is_ado else None
            if task:
                name, major = task.group(1), task.group(2)
                if major is None:
                    findings.append(Finding(rel, number, f"task {name} has no major version (use {name}@N)"))
                elif name.lower() in majors and int(major) < majors[name.lower()]:
                    current = f"{name}@{majors[name.lower()]}"
                    findings.append(Finding(rel, number, f"task {name}@{major} is not the current major ({current})"))
            uses = USES.match(line) if not is_ado and not floating else None
            if uses and not uses.group(1).startswith("./"):
                reference = uses.group(1)
                if reference.startswith("docker://"):
                    image = reference.removeprefix("docker://")
                    if "@sha256:" not in image and ":" not in image.rsplit("/", 1)[-1]:
                        findings.append(Finding(rel, number, f"{reference} has no tag: pin a version"))
                elif "@" not in reference:
                    findings.append(Finding(rel, number, f"{reference} is not pinned: use @vN or a commit sha"))
                elif not ACTION_REF.match(reference.rsplit("@", 1)[1]):
                    findings.append(Finding(rel, number, f"{reference} is not pinned to a release tag or commit sha"))
    for path in _dockerfiles(project):
        findings.extend(_dockerfile_pins(project, path))
    return findings
