"""Schemas: Azure Pipelines YAML validates with check-jsonschema's vendored `vendor.azure-pipelines`
schema (`--data-transform azure-pipelines`), workflows with `vendor.github-workflows`, composite
actions with `vendor.github-actions`, variables templates with the same schema's `variablesTemplate`.
A misspelled key or a step in the wrong place is then caught here, with its line, rather than by
Azure DevOps or GitHub when the pipeline first runs. Identical files are validated once.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from mlops_scaffold import yamlio
from mlops_scaffold.checks.base import Finding, reads, uses
from mlops_scaffold.checks.pipelines.files import (
    PIPELINE_FILES,
    _load_yaml,
    _rel,
    action_files,
    ado_files,
    pipeline_files,
    workflow_files,
)


def _yaml_line(text: str, json_path: str) -> int | None:
    """The line of the node at a check-jsonschema path like `$.stages[1].jobs[0]` (the deepest
    node that exists in the source, since compile-time expressions are flattened before validation)."""
    try:
        node = yamlio.compose(text)
    except yaml.YAMLError:
        return None
    if node is None:
        return None
    line = node.start_mark.line + 1
    for key, index in re.findall(r"\.([^.\[]+)|\[(\d+)\]", json_path.removeprefix("$")):
        child = None
        if key and isinstance(node, yaml.MappingNode):
            child = next((value for name, value in node.value if name.value == key), None)
        elif index and isinstance(node, yaml.SequenceNode) and int(index) < len(node.value):
            child = node.value[int(index)]
        if child is None:
            break
        node = child
        line = node.start_mark.line + 1
    return line


def _shorten(message: str, limit: int = 160) -> str:
    message = " ".join(message.split())
    return message if len(message) <= limit else message[: limit - 1] + "…"


def _is_variables_template(data: Any) -> bool:
    return isinstance(data, dict) and "variables" in data and set(data) <= {"variables", "parameters"}


def _run_check_jsonschema(files: list[Path], schema: str, transform: str | None) -> list[tuple[Path, int | None, str]]:
    """(file, line, message) for every schema error in `files`, validated in one check-jsonschema run."""
    if not files:
        return []
    command = [sys.executable, "-m", "check_jsonschema", "--regex-variant", "python", "--builtin-schema", schema]
    if transform:
        command += ["--data-transform", transform]
    command += ["--output-format", "JSON", *map(str, files)]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    try:
        report = json.loads(result.stdout)
    except json.JSONDecodeError:
        detail = (result.stderr.strip().splitlines() or ["no output"])[-1]
        return [(path, None, f"check-jsonschema could not run ({schema}): {detail}") for path in files]
    errors = []
    for error in report.get("errors", []):
        path = Path(error["filename"])
        match = error.get("best_deep_match") or error
        line = _yaml_line(path.read_text(encoding="utf-8"), match["path"])
        errors.append((path, line, f"{schema}: {match['path']}: {_shorten(match['message'])}"))
    for error in report.get("parse_errors", []):
        path = Path(error["filename"])
        found = re.search(r"line (\d+)", error.get("message", ""))
        errors.append((path, int(found.group(1)) if found else None, f"not valid YAML: {_shorten(error['message'])}"))
    return errors


@cache
def _azure_pipelines_schema() -> dict[str, Any]:
    from importlib.resources import files

    text = files("check_jsonschema.builtin_schemas.vendor").joinpath("azure-pipelines.json").read_text("utf-8")
    return json.loads(text)


def _check_variables_template(project: Path, path: Path, data: Any) -> list[Finding]:
    import jsonschema

    schema = _azure_pipelines_schema()
    validator = jsonschema.Draft7Validator({"$ref": "#/definitions/variablesTemplate", **schema})
    text = path.read_text(encoding="utf-8")
    findings = []
    for error in validator.iter_errors(data):
        json_path = "$" + "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in error.absolute_path)
        findings.append(
            Finding(_rel(project, path), _yaml_line(text, json_path), f"variables template: {_shorten(error.message)}")
        )
    return findings


def schema_findings(projects: list[Path]) -> dict[Path, list[Finding]]:
    """check_schemas for many projects at once: one check-jsonschema run per schema for all of them."""
    findings: dict[Path, list[Finding]] = {project: [] for project in projects}
    try:
        import check_jsonschema  # noqa: F401
    except ImportError:
        for project in projects:
            if pipeline_files(project):
                findings[project].append(Finding(".", None, "check-jsonschema is not installed: schemas not checked"))
        return findings
    owner: dict[Path, Path] = {}
    batches: dict[tuple[str, str | None], list[Path]] = {}
    for project in projects:
        for path in ado_files(project):
            data = _load_yaml(path)
            if _is_variables_template(data):
                findings[project] += _check_variables_template(project, path, data)
            else:
                batches.setdefault(("vendor.azure-pipelines", "azure-pipelines"), []).append(path)
            owner[path] = project
        for path in workflow_files(project):
            batches.setdefault(("vendor.github-workflows", None), []).append(path)
            owner[path] = project
        for path in action_files(project):
            batches.setdefault(("vendor.github-actions", None), []).append(path)
            owner[path] = project
    for (schema, transform), files in batches.items():
        # Identical files (most pipelines repeat across combinations) are validated once.
        same_content: dict[bytes, list[Path]] = {}
        for path in files:
            same_content.setdefault(path.read_bytes(), []).append(path)
        representatives = {group[0]: group for group in same_content.values()}
        for path, line, message in _run_check_jsonschema(list(representatives), schema, transform):
            for twin in representatives[path]:
                project = owner[twin]
                findings[project].append(Finding(_rel(project, twin), line, message))
    return findings


@reads(*PIPELINE_FILES)
@uses("check-jsonschema")
def check_schemas(project: Path) -> list[Finding]:
    """Azure Pipelines and GitHub Actions YAML validate against check-jsonschema's vendored schemas."""
    return schema_findings([project])[project]
