"""Terraform structure: the folder parses with python-hcl2, every `var.X` is declared, every
declared variable is used and has a default or a tfvars value, tfvars sets only declared variables,
resource and data references name blocks of the module, and nothing changes on every run.
`load_terraform` parses the folder once per content for every check that reads it (this module's,
the security defaults, the names, identity and iac_schema), so it lives here with its cache.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlops_scaffold.checks.base import Finding, reads
from mlops_scaffold.checks.hcl import parse_hcl
from mlops_scaffold.checks.iac._common import TF_DIR, TF_FOLDERS, TF_PER_RUN, _line_of, _unquote
from mlops_scaffold.project_files import Project, universal_newlines


@dataclass
class TerraformModule:
    """What the checks need from a Terraform folder, read with python-hcl2."""

    blocks: dict[str, list[tuple[str, dict[str, Any]]]]  # kind -> [(file, block dict)]
    texts: dict[str, str]  # relative path -> text
    tfvars: dict[str, Any]

    def named(self, kind: str) -> dict[str, tuple[str, dict[str, Any]]]:
        """variable/output blocks by name -> (file, body)."""
        result = {}
        for file, block in self.blocks.get(kind, []):
            for name, body in block.items():
                result[_unquote(name)] = (file, body)
        return result

    def resources(self, kind: str = "resource") -> dict[tuple[str, str], tuple[str, dict[str, Any]]]:
        result = {}
        for file, block in self.blocks.get(kind, []):
            for resource_type, by_name in block.items():
                for name, body in by_name.items():
                    result[(_unquote(resource_type), _unquote(name))] = (file, body)
        return result


# Terraform folders by content -> (module, parse findings). Findings name files relative to the
# project, so a module serves every project with the same files; checks only read it.
_TERRAFORM_CACHE: dict[tuple[Any, ...], tuple[TerraformModule, list[Finding]]] = {}


def terraform_folders(project: Path) -> list[str]:
    """The project's Terraform root modules: the environments', and the registry's if any."""
    opened = Project.of(project)
    return [folder for folder in TF_FOLDERS if opened.glob(f"{folder}/*.tf")]


def tfvars_files(project: Path, folder: str = TF_DIR) -> list[str]:
    """The folder's values files: terraform.tfvars, or one `<environment>.tfvars` per environment
    (ADR 28), each applied on its own (`terraform apply -var-file=…`)."""
    opened = Project.of(project)
    if opened.is_file(f"{folder}/terraform.tfvars"):
        return ["terraform.tfvars"]
    return [path.name for path in opened.glob(f"{folder}/*.tfvars")] or ["terraform.tfvars"]


def load_terraform(
    project: Path, findings: list[Finding], folder: str = TF_DIR, tfvars_name: str | None = None
) -> TerraformModule | None:
    """A Terraform folder of the project (the environments' by default) with one of its values
    files (the first of `tfvars_files`), parsed once per content (several checks read it, and the
    matrix renders the same folder in many combinations)."""
    opened = Project.of(project)  # the files run_checks already read, when it opened the project
    if not opened.is_dir(folder):
        return None
    tfvars = f"{folder}/{tfvars_name or tfvars_files(project, folder)[0]}"
    key = (
        folder,
        tfvars,
        tuple((path.name, opened.data(f"{folder}/{path.name}")) for path in opened.glob(f"{folder}/*.tf")),
        opened.data(tfvars) if opened.is_file(tfvars) else None,
    )
    if key not in _TERRAFORM_CACHE:
        if len(_TERRAFORM_CACHE) > 256:
            _TERRAFORM_CACHE.clear()
        problems: list[Finding] = []
        _TERRAFORM_CACHE[key] = (_parse_terraform(*key, problems), problems)
    module, problems = _TERRAFORM_CACHE[key]
    findings.extend(problems)
    return module


def _parse_terraform(
    folder: str, tfvars_path: str, files: tuple[tuple[str, bytes], ...], tfvars: bytes | None, findings: list[Finding]
) -> TerraformModule:
    module = TerraformModule(blocks={}, texts={}, tfvars={})
    for name, content in files:
        relative = f"{folder}/{name}"
        text = universal_newlines(content.decode("utf-8"))
        module.texts[relative] = text
        parsed, line, error = parse_hcl(text)
        if parsed is None:
            findings.append(Finding(relative, line, f"does not parse: {error}".splitlines()[0]))
            continue
        for kind, blocks in parsed.items():
            if kind.startswith("__"):
                continue
            for block in blocks if isinstance(blocks, list) else [blocks]:
                module.blocks.setdefault(kind, []).append((relative, block))
    if tfvars is not None:
        try:
            parsed_vars, _, error = parse_hcl(universal_newlines(tfvars.decode("utf-8")))
        except UnicodeDecodeError as decode_error:
            parsed_vars, error = None, str(decode_error)
        if parsed_vars is None:
            findings.append(Finding(tfvars_path, None, f"does not parse: {error}".splitlines()[0]))
        else:
            module.tfvars = {key: _unquote(value) for key, value in parsed_vars.items() if not key.startswith("__")}
    return module


_VAR_USE = re.compile(r"\bvar\.([A-Za-z_][\w-]*)")
_RESOURCE_USE = re.compile(r"(?<![\w.\"])((?:azurerm|azapi)_[a-z0-9_]+)\.([a-z0-9_]+)\b")
_DATA_USE = re.compile(r"\bdata\.([a-z0-9_]+)\.([a-z0-9_]+)\b")


@reads("environment_setup/tf-templates/**/*")
def terraform_structure(project: Path) -> list[Finding]:
    """Terraform: parses with python-hcl2; every var.X is declared, every declared variable is used
    and set; tfvars sets only declared variables; references name declared resources. Each root
    module (the environments', the registry's) on its own."""
    findings: list[Finding] = []
    for folder in TF_FOLDERS:
        if folder == TF_DIR or folder in terraform_folders(project):
            findings.extend(_folder_structure(project, folder))
    return list(dict.fromkeys(findings))


def _folder_structure(project: Path, folder: str) -> list[Finding]:
    findings: list[Finding] = []
    module = load_terraform(project, findings, folder)
    if module is None:
        return findings
    for name in tfvars_files(project, folder)[1:]:  # each environment's values, after the first
        other = load_terraform(project, findings, folder, name)
        if other is not None:
            findings.extend(_values_problems(other, f"{folder}/{name}"))
    variables = module.named("variable")
    used: dict[str, tuple[str, int | None]] = {}
    for relative, text in module.texts.items():
        for match in _VAR_USE.finditer(text):
            used.setdefault(match.group(1), (relative, text.count("\n", 0, match.start()) + 1))
        code = "\n".join(line for line in text.splitlines() if not re.match(r"\s*(resource|data)\s+\"", line))
        code = re.sub(r"#.*", "", code)
        resources = module.resources()
        data = module.resources("data")
        for match in _RESOURCE_USE.finditer(code):
            if (match.group(1), match.group(2)) not in resources:
                findings.append(
                    Finding(
                        relative, _line_of(text, match.group(0)), f"{match.group(0)} is not a resource of the module"
                    )
                )
        for match in _DATA_USE.finditer(code):
            if (match.group(1), match.group(2)) not in data:
                findings.append(Finding(relative, _line_of(text, match.group(0)), f"{match.group(0)} is not declared"))
    for relative, text in module.texts.items():
        for match in TF_PER_RUN.finditer(text):
            findings.append(Finding(relative, _line_of(text, match.group(0)), f"{match.group(0)} changes on every run"))
    for name, (relative, line) in sorted(used.items()):
        if name not in variables:
            findings.append(Finding(relative, line, f"var.{name} is used but not declared"))
    for name, (relative, _body) in sorted(variables.items()):
        if name not in used:
            findings.append(
                Finding(relative, _line_of(module.texts[relative], f'"{name}"'), f"variable {name} is never used")
            )
    findings.extend(_values_problems(module, f"{folder}/{tfvars_files(project, folder)[0]}"))
    return findings


def _values_problems(module: TerraformModule, tfvars_path: str) -> list[Finding]:
    """A values file sets every variable without a default (but those the pipeline passes), and
    only declared ones."""
    findings = []
    variables = module.named("variable")
    for name, (_, body) in sorted(variables.items()):
        if "default" not in body and name not in module.tfvars and not passed_on_command_line(body):
            findings.append(Finding(tfvars_path, None, f"variable {name} has no default and no value"))
    for name in sorted(set(module.tfvars) - set(variables)):
        findings.append(Finding(tfvars_path, None, f"{name} is set but not declared in variables"))
    return findings


# A variable only a deployment knows (another deployment's output, an identity's object id): its
# description says it is passed on the command line (`-var`), like an ARM parameter's `passedBy`.
PASSED_ON_COMMAND_LINE = "Passed on the command line"


def passed_on_command_line(body: dict[str, Any]) -> bool:
    return PASSED_ON_COMMAND_LINE in str(_unquote(body.get("description", "")))
