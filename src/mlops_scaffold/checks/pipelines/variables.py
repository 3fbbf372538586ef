"""Variables: every variable or parameter a pipeline reads is defined (in a variables template,
the documented variable group, a `setvariable`, an env block or a predefined variable), and every
documented variable is read by a pipeline or by ml_service. An undefined variable expands to
nothing at run time; a documented one nobody reads is a setting the user fills in for nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from mlops_scaffold.checks.base import Finding, reads
from mlops_scaffold.checks.pipelines.files import (
    PIPELINE_FILES,
    _code_lines,
    _load_yaml,
    _rel,
    _walk,
    action_files,
    ado_files,
    workflow_files,
)
from mlops_scaffold.project_files import Project, text_of

# Azure DevOps predefined variables: https://learn.microsoft.com/azure/devops/pipelines/build/variables
ADO_SYSTEM_PREFIXES = (
    "agent.",
    "build.",
    "checks.",
    "common.",
    "environment.",
    "pipeline.",
    "release.",
    "resources.",
    "strategy.",
    "system.",
    "task.",
)
ADO_SYSTEM_NAMES = {"TF_BUILD"}
# Secrets GitHub provides itself.
GITHUB_SECRETS = {"GITHUB_TOKEN"}

MACRO = re.compile(r"\$\(([A-Za-z_][A-Za-z0-9_.\-]*)\)")
EXPRESSION = re.compile(r"\$\{\{(.*?)\}\}|\$\[(.*?)\]")
INDEXED_VARIABLE = re.compile(r"\bvariables\[\s*'([^']+)'\s*\]")
DOTTED_VARIABLE = re.compile(r"\bvariables\.([A-Za-z_][\w\-]*)")
PARAMETER = re.compile(r"\bparameters\.([A-Za-z_][\w\-]*)")
SET_VARIABLE = re.compile(r"##vso\[task\.setvariable variable=([\w.\-]+)")
GH_CONTEXT = re.compile(r"(?<![\w.])(vars|secrets|env|inputs)\.([A-Za-z_][\w\-]*)")
GITHUB_ENV_WRITE = re.compile(r"""(?:echo|printf)\s+["']?([A-Za-z_]\w*)=.*>>\s*"?\$\{?GITHUB_ENV""")
DOC_ROW = re.compile(r"^\|\s*`([A-Z][A-Z0-9_]*)`\s*\|")
ENV_LINE = re.compile(r"^([A-Z][A-Z0-9_]*)=")


def documented_variables(project: Path) -> dict[str, tuple[str, int]]:
    """Variable name -> (file, line) as documented in docs/variable_group.md (else .env.example)."""
    documented: dict[str, tuple[str, int]] = {}
    doc = project / "docs" / "variable_group.md"
    if doc.is_file():
        for number, line in enumerate(doc.read_text(encoding="utf-8").splitlines(), start=1):
            row = DOC_ROW.match(line)
            if row:
                documented.setdefault(row.group(1), ("docs/variable_group.md", number))
        return documented
    env = project / ".env.example"
    if env.is_file():
        for number, line in enumerate(env.read_text(encoding="utf-8").splitlines(), start=1):
            row = ENV_LINE.match(line)
            if row and row.group(1) != "MLFLOW_TRACKING_URI":
                documented.setdefault(row.group(1), (".env.example", number))
    return documented


def _is_ado_system(name: str) -> bool:
    return name in ADO_SYSTEM_NAMES or name.lower().startswith(ADO_SYSTEM_PREFIXES)


def _ado_declared_variables(data: Any) -> set[str]:
    names: set[str] = set()
    for mapping in _walk(data):
        block = mapping.get("variables")
        if isinstance(block, dict):
            names.update(str(key) for key in block if not str(key).startswith("${{"))
        elif isinstance(block, list):
            names.update(str(item["name"]) for item in block if isinstance(item, dict) and "name" in item)
    return names


def _declared_parameters(data: Any) -> set[str]:
    block = data.get("parameters") if isinstance(data, dict) else None
    if isinstance(block, dict):
        return {str(key) for key in block}
    if isinstance(block, list):
        return {str(item["name"]) for item in block if isinstance(item, dict) and "name" in item}
    return set()


def _step_names(data: Any) -> set[str]:
    return {str(mapping["name"]) for mapping in _walk(data) if isinstance(mapping.get("name"), str)}


def _ado_reads(path: Path) -> Iterator[tuple[int, str, str]]:
    """(line, kind, name) for every variable or parameter an Azure Pipelines file reads."""
    for number, line in _code_lines(path):
        for name in MACRO.findall(line):
            yield number, "variable", name
        for name in INDEXED_VARIABLE.findall(line):
            yield number, "variable", name
        spans = [compile_time or runtime for compile_time, runtime in EXPRESSION.findall(line)]
        if line.strip().startswith("condition:"):
            spans.append(line)
        for span in spans:
            for name in DOTTED_VARIABLE.findall(span):
                yield number, "variable", name
            for name in PARAMETER.findall(span):
                yield number, "parameter", name


def _github_reads(path: Path) -> Iterator[tuple[int, str, str]]:
    """(line, context, name) for every vars/secrets/env/inputs read in a workflow or action."""
    for number, line in _code_lines(path):
        for compile_time, _ in EXPRESSION.findall(line):
            for context, name in GH_CONTEXT.findall(compile_time):
                yield number, context, name


def _github_inputs(data: Any, is_action: bool) -> set[str]:
    if not isinstance(data, dict):
        return set()
    if is_action:
        return set((data.get("inputs") or {}).keys())
    triggers = data.get("on", data.get(True))  # YAML 1.1 reads a bare `on` key as True
    names: set[str] = set()
    if isinstance(triggers, dict):
        for event in ("workflow_dispatch", "workflow_call"):
            spec = triggers.get(event) or {}
            names.update((spec.get("inputs") or {}).keys())
    return names


def _github_env_names(data: Any) -> set[str]:
    names: set[str] = set()
    for mapping in _walk(data):
        block = mapping.get("env")
        if isinstance(block, dict):
            names.update(str(key) for key in block)
    return names


@reads(*PIPELINE_FILES, "docs/variable_group.md", ".env.example", "ml_service/**/*.py", "ml_service/variables/*.json")
def check_variables(project: Path) -> list[Finding]:
    """Every variable a pipeline reads is defined, and every documented variable is read somewhere."""
    documented = documented_variables(project)
    findings: list[Finding] = []
    read: set[str] = set()

    ado = ado_files(project)
    parsed_ado = {path: _load_yaml(path) for path in ado}
    ado_defined = set(documented)
    for path, data in parsed_ado.items():
        ado_defined |= _ado_declared_variables(data)
        ado_defined.update(SET_VARIABLE.findall(path.read_text(encoding="utf-8")))
    for path, data in parsed_ado.items():
        parameters = _declared_parameters(data)
        steps = _step_names(data)
        for line, kind, name in _ado_reads(path):
            if kind == "parameter":
                if name not in parameters:
                    problem = f"parameters.{name} is not declared in this file"
                    findings.append(Finding(_rel(project, path), line, problem))
                continue
            read.add(name)
            if name in ado_defined or _is_ado_system(name) or name.split(".")[0] in steps:
                continue
            findings.append(
                Finding(
                    _rel(project, path),
                    line,
                    f"variable {name} is not defined (variables template, docs/variable_group.md or a system variable)",
                )
            )

    github = [(path, False) for path in workflow_files(project)] + [(path, True) for path in action_files(project)]
    env_written: set[str] = set()
    parsed_github = {}
    for path, _ in github:
        parsed_github[path] = _load_yaml(path)
        env_written.update(GITHUB_ENV_WRITE.findall(path.read_text(encoding="utf-8")))
    for path, is_action in github:
        data = parsed_github[path]
        inputs = _github_inputs(data, is_action)
        env = _github_env_names(data) | env_written
        for line, context, name in _github_reads(path):
            problem = None
            if context in ("vars", "secrets"):
                read.add(name)
                if name not in documented and not (context == "secrets" and name in GITHUB_SECRETS):
                    problem = f"{context}.{name} is not a variable documented in docs/variable_group.md"
            elif context == "env":
                read.add(name)
                if name not in env and name not in documented:
                    problem = f"env.{name} is not set in this file's env blocks, by $GITHUB_ENV or documented"
            elif name not in inputs:
                problem = f"inputs.{name} is not declared"
            if problem:
                findings.append(Finding(_rel(project, path), line, problem))

    # ml_service/settings.py loads (and requires) every variable its data files list.
    opened = Project.of(project)
    sources = [*opened.glob("ml_service/**/*.py"), *opened.glob("ml_service/variables/*.json")]
    code = "\n".join(text_of(path) for path in sorted(sources))
    words = set(re.findall(r"\w+", code))  # a documented name is a word: as \bNAME\b would find it
    for name, (doc, line) in documented.items():
        if name not in read and name not in words:
            findings.append(Finding(doc, line, f"{name} is documented but no pipeline or ml_service code reads it"))
    return findings
