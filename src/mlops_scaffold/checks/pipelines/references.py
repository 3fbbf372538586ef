"""References: every `template:`, local action, `python -m` module, file path and Makefile
target a pipeline names exists in the project. A renamed script or target would otherwise fail
only when the pipeline reaches that step, on Azure DevOps or GitHub rather than here. A path
written through one of the file's own variables that holds a folder of the project
(`$(TEMPLATE_DIR)/cloud-environment.json`, `$TF_DIR/…`, `${{ env.TF_DIR }}/…`) is checked with the
variable's value in place; a file a step of the pipeline writes (`> what-if.txt`, `-out=…`) is not
a reference.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from mlops_scaffold.checks.base import Finding
from mlops_scaffold.checks.pipelines.files import (
    USES,
    _code_lines,
    _line_of,
    _load_yaml,
    _rel,
    _walk,
    action_files,
    ado_files,
    pipeline_files,
    sample_name,
    workflow_files,
)

PYTHON_MODULE = re.compile(r"\bpython3?\s+-m\s+([A-Za-z_][\w.]*)")
MAKE_CALL = re.compile(r"(?<![\w\-./])make((?:\s+[^\s;&|#)]+)+)")
# A path: after a space, quote, `=`, `,`, `[`, `(` or `@` (az's "@file" argument).
PATH_TOKEN = re.compile(r"""(?:^|(?<=[\s"'=,\[(@]))(\.?/?[\w.\-]+(?:/[\w.\-]+)+)""")


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


def _path_variables(data: Any, source_roots: set[str]) -> dict[str, str]:
    """The pipeline-level variables (ADO `variables:` name/value, GitHub `env:`) whose value is a
    literal path under one of the project's folders."""
    found: dict[str, str] = {}
    if not isinstance(data, dict):
        return found
    variables = data.get("variables")
    entries = variables if isinstance(variables, list) else []
    pairs = [(entry.get("name"), entry.get("value")) for entry in entries if isinstance(entry, dict)]
    if isinstance(variables, dict):
        pairs += list(variables.items())
    if isinstance(data.get("env"), dict):
        pairs += list(data["env"].items())
    for name, value in pairs:
        literal = isinstance(value, str) and re.fullmatch(r"[\w.\-]+(?:/[\w.\-]+)+", value)
        if isinstance(name, str) and literal and value.split("/")[0] in source_roots:
            found[name] = value
    return found


def _substituted(line: str, variables: dict[str, str]) -> str:
    """`line` with $(NAME), ${NAME}, $NAME and ${{ env.NAME }} of `variables` replaced by their values."""
    for name, value in variables.items():
        for pattern in (rf"\$\({name}\)", rf"\$\{{{name}\}}", rf"\$\{{\{{\s*env\.{name}\s*\}}\}}", rf"\${name}\b"):
            line = re.sub(pattern, lambda _match, value=value: value, line)
    return line


# A file a step writes, not one it reads: `> file`, `>> file`, `-out=file`, `tee file`.
WRITTEN = re.compile(r"(?:>>?|-out=|\btee\s+)\s*[\"']?([^\s\"';|&]+)")


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
        variables = _path_variables(_load_yaml(path), source_roots)
        lines = [(number, _substituted(line, variables)) for number, line in _code_lines(path)]
        written = {match.rsplit("/", 1)[-1] for _, line in lines for match in WRITTEN.findall(line)}
        for number, line in lines:
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
                if last in written:
                    continue  # an output of an earlier step
                if not (project / relative).exists():
                    findings.append(Finding(rel, number, f"{token} does not exist"))
    return findings
