"""Static guarantees of a generated repo's CI/CD (Azure DevOps pipelines or GitHub Actions workflows).

- schemas: Azure Pipelines YAML validates with check-jsonschema's vendored `vendor.azure-pipelines`
  schema (`--data-transform azure-pipelines`), workflows with `vendor.github-workflows`, composite
  actions with `vendor.github-actions`; variables templates with the same schema's `variablesTemplate`.
- variables: every variable a pipeline reads is defined, and every documented variable is read.
- references: every `template:`, local action, script path, `python -m` module, file path and
  Makefile target a pipeline names exists.
- pins: no floating references; Azure DevOps tasks at the newest major the schema knows; actions pinned.
- shell: every shell script passes `bash -n` and shellcheck.

Every check takes the project root and returns Findings naming file and line; none needs the network.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from mlops_scaffold import yamlio
from mlops_scaffold.checks.base import Finding, reads, uses
from mlops_scaffold.project_files import parse, read_text

ADO_PATTERNS = (".pipelines/*.yml", ".pipelines/*.yaml", "environment_setup/*.yml", "environment_setup/*.yaml")
WORKFLOW_PATTERNS = (".github/workflows/*.yml", ".github/workflows/*.yaml")
ACTION_PATTERNS = (".github/actions/*/action.yml", ".github/actions/*/action.yaml")
SKIPPED_DIRS = {".git", ".venv", "venv", "node_modules", "__pycache__", ".terraform", "build", "mlruns"}

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
PYTHON_MODULE = re.compile(r"\bpython3?\s+-m\s+([A-Za-z_][\w.]*)")
MAKE_CALL = re.compile(r"(?<![\w\-./])make((?:\s+[^\s;&|#)]+)+)")
PATH_TOKEN = re.compile(r"""(?:^|(?<=[\s"'=,\[(]))(\.?/?[\w.\-]+(?:/[\w.\-]+)+)""")
FLOATING = re.compile(r"@(main|master|latest|HEAD)\b|:latest\b|\bref:\s*refs/heads/")
ADO_TASK = re.compile(r"^\s*-?\s*task:\s*['\"]?([\w.\-]+?)(?:@(\d+))?['\"]?\s*(?:#.*)?$")
USES = re.compile(r"^\s*-?\s*uses:\s*['\"]?([^'\"\s#]+)")
ACTION_REF = re.compile(r"^v\d+(\.\d+){0,2}$|^[0-9a-f]{40}$")
FROM_LINE = re.compile(r"^\s*FROM\s+(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?", re.IGNORECASE)
ARG_LINE = re.compile(r"^\s*ARG\s+([A-Za-z_]\w*)(?:=(\S*))?\s*$", re.IGNORECASE)
ARG_REFERENCE = re.compile(r"\$\{([A-Za-z_]\w*)\}|\$([A-Za-z_]\w*)")


# --- files --------------------------------------------------------------------------------------


def _files(project: Path, patterns: tuple[str, ...]) -> list[Path]:
    found: set[Path] = set()
    for pattern in patterns:
        found.update(path for path in project.glob(pattern) if path.is_file())
    return sorted(found)


def ado_files(project: Path) -> list[Path]:
    return _files(project, ADO_PATTERNS)


def workflow_files(project: Path) -> list[Path]:
    return _files(project, WORKFLOW_PATTERNS)


def action_files(project: Path) -> list[Path]:
    return _files(project, ACTION_PATTERNS)


def pipeline_files(project: Path) -> list[Path]:
    return ado_files(project) + workflow_files(project) + action_files(project)


def _walk_files(project: Path) -> Iterator[Path]:
    for path in sorted(project.rglob("*")):
        if path.is_file() and not SKIPPED_DIRS.intersection(path.relative_to(project).parts[:-1]):
            yield path


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
    try:
        return parse("yaml", path.read_text(encoding="utf-8") if (text := read_text(path)) is None else text)
    except (yaml.YAMLError, UnicodeDecodeError):
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


# --- schemas ------------------------------------------------------------------------------------


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


PIPELINE_FILES = (*ADO_PATTERNS, *WORKFLOW_PATTERNS, *ACTION_PATTERNS)


@reads(*PIPELINE_FILES)
@uses("check-jsonschema")
def check_schemas(project: Path) -> list[Finding]:
    """Azure Pipelines and GitHub Actions YAML validate against check-jsonschema's vendored schemas."""
    return schema_findings([project])[project]


# --- variables ----------------------------------------------------------------------------------


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

    ml_service = project / "ml_service"
    code = ""
    if ml_service.is_dir():
        # ml_service/settings.py loads (and requires) every variable its data files list.
        sources = [*ml_service.rglob("*.py"), *ml_service.glob("variables/*.json")]
        code = "\n".join(path.read_text(encoding="utf-8") for path in sorted(sources))
    words = set(re.findall(r"\w+", code))  # a documented name is a word: as \bNAME\b would find it
    for name, (doc, line) in documented.items():
        if name not in read and name not in words:
            findings.append(Finding(doc, line, f"{name} is documented but no pipeline or ml_service code reads it"))
    return findings


# --- references ---------------------------------------------------------------------------------


def makefile_targets(project: Path) -> set[str] | None:
    makefile = project / "Makefile"
    if not makefile.is_file():
        return None
    targets: set[str] = set()
    for line in makefile.read_text(encoding="utf-8").splitlines():
        rule = re.match(r"^([A-Za-z0-9_.\-/ ]+?)\s*::?(?!=)", line)
        if rule and not line.startswith("\t"):
            targets.update(rule.group(1).split())
    return targets


def _module_exists(project: Path, module: str) -> bool:
    base = project.joinpath(*module.split("."))
    return base.with_suffix(".py").is_file() or (base / "__main__.py").is_file()


def _ado_template_refs(path: Path, data: Any) -> Iterator[str]:
    for mapping in _walk(data):
        value = mapping.get("template")
        if isinstance(value, str) and "${{" not in value:
            yield value


def check_references(project: Path) -> list[Finding]:
    """Templates, local actions, scripts, modules, file paths and Makefile targets a pipeline names exist."""
    findings: list[Finding] = []
    package = sample_name(project)
    project_dirs = {path.name for path in project.iterdir() if path.is_dir()}
    source_roots = project_dirs | {"ml_service", ".pipelines", ".github", "environment_setup"} | ({package} - {None})
    targets = makefile_targets(project)

    for path in ado_files(project):
        data = _load_yaml(path)
        for template in _ado_template_refs(path, data):
            if "@" in template:
                continue  # a template in another repository: the pins check covers its ref
            target = project / template.lstrip("/") if template.startswith("/") else path.parent / template
            if not target.is_file():
                line = _line_of(path, template)
                findings.append(Finding(_rel(project, path), line, f"template {template} does not exist"))
    for path in workflow_files(project) + action_files(project):
        for number, line in _code_lines(path):
            uses = USES.match(line)
            if uses and uses.group(1).startswith("./"):
                target = project / uses.group(1)
                if not (target.is_file() or (target / "action.yml").is_file() or (target / "action.yaml").is_file()):
                    findings.append(Finding(_rel(project, path), number, f"{uses.group(1)} does not exist"))

    for path in pipeline_files(project):
        rel = _rel(project, path)
        for number, line in _code_lines(path):
            for module in PYTHON_MODULE.findall(line):
                if module.split(".")[0] in source_roots and not _module_exists(project, module):
                    findings.append(Finding(rel, number, f"python -m {module}: no such module in the project"))
            for call in MAKE_CALL.findall(line):
                words = [word for word in call.split() if not word.startswith("-") and "=" not in word]
                for word in words:
                    if not re.fullmatch(r"[\w.\-]+", word):
                        break
                    if targets is None:
                        findings.append(Finding(rel, number, f"make {word}: the project has no Makefile"))
                    elif word not in targets:
                        findings.append(Finding(rel, number, f"make {word}: no such target in the Makefile"))
            if line.lstrip().startswith("uses:") or line.lstrip().startswith("- uses:"):
                continue
            for token in PATH_TOKEN.findall(line):
                if any(char in token for char in "*$%{}"):
                    continue
                relative = token.removeprefix("./")
                first = relative.split("/")[0]
                last = relative.rsplit("/", 1)[-1]
                if first not in source_roots or not ("." in last or last in {"Dockerfile", "Makefile"}):
                    continue
                if not (project / relative).exists():
                    findings.append(Finding(rel, number, f"{token} does not exist"))
    return findings


# --- pins ---------------------------------------------------------------------------------------


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


# --- shell --------------------------------------------------------------------------------------


def shell_scripts(project: Path) -> list[Path]:
    return [path for path in _walk_files(project) if path.suffix == ".sh"]


@reads("**/*.sh")
@uses("shellcheck")
def check_shell(project: Path) -> list[Finding]:
    """Every shell script passes `bash -n` and shellcheck."""
    scripts = shell_scripts(project)
    if not scripts:
        return []
    findings: list[Finding] = []
    for script in scripts:
        result = subprocess.run(["bash", "-n", str(script)], capture_output=True, text=True, check=False)
        for line in result.stderr.splitlines():
            found = re.search(r"line (\d+): (.*)", line)
            number = int(found.group(1)) if found else None
            findings.append(Finding(_rel(project, script), number, f"bash -n: {found.group(2) if found else line}"))
    if shutil.which("shellcheck") is None:
        findings.append(Finding(".", None, "shellcheck is not installed: the shell scripts were not linted"))
        return findings
    result = subprocess.run(
        ["shellcheck", "--format=gcc", *(str(script) for script in scripts)],
        capture_output=True,
        text=True,
        check=False,
        cwd=project,
    )
    for line in result.stdout.splitlines():
        found = re.match(r"^(.*?):(\d+):\d+: (\w+): (.*)$", line)
        if found:
            path = Path(found.group(1))
            rel = _rel(project, path if path.is_absolute() else project / path)
            findings.append(Finding(rel, int(found.group(2)), f"shellcheck {found.group(3)}: {found.group(4)}"))
    return findings


CHECKS = [check_schemas, check_variables, check_references, check_pins, check_shell]
