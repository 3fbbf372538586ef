"""The generated docs match the code: every `make` target, `python -m` module and file path they
name in code exists in the rendering, and what they say about Azure roles and manual setup agrees
with the IaC.

Only code is read (inline `code` and fenced blocks), so prose may say "make sure".
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from mlops_scaffold.checks.base import Finding, reads

DOCS = ("README.md", "docs/*.md", "ml_service/README.md")

# Outputs of running the project, named by the docs but never rendered.
_RUNTIME_PATHS = ("build/", "outputs/", "mlruns", ".venv/", ".env", "model/", "model.json", "test-results.xml")

# Roles that let the deploying identity create role assignments.
ROLE_ASSIGNERS = ("Owner", "Role Based Access Control Administrator", "User Access Administrator")
# Built-in role ids the ARM templates reference -> their names.
ARM_ROLE_IDS = {
    "7f951dda-4ed3-4680-a7ca-43fe172d538d": "AcrPull",
    "00482a5a-887f-4fb3-b363-3b7fe8e74483": "Key Vault Administrator",
    "ba92f5b4-2d11-453d-a403-e96b0029c9fe": "Storage Blob Data Contributor",
    "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1": "Storage Blob Data Reader",
    "b7e6dc6d-f1e8-4753-8033-0f276bb0955b": "Storage Blob Data Owner",
    "4633458b-17de-408a-b874-0445c86b69e6": "Key Vault Secrets User",
    "f6c7c914-8db3-469d-8ca1-694a8f32e121": "AzureML Data Scientist",
}
# Roles the docs may name for the identity that deploys, which the IaC never assigns itself.
DEPLOYER_ROLES = ("Contributor", "Reader", *ROLE_ASSIGNERS)
# Roles the docs recommend for callers of a scoring endpoint (people, client apps): the IaC cannot
# know them, so it assigns these to no one; the CD identity scores through Contributor.
CALLER_ROLES = ("AzureML Data Scientist",)
_ROLE_NAMES = (*DEPLOYER_ROLES, *ARM_ROLE_IDS.values())

# A manual command the docs must not ask for when the IaC already creates its resource:
# (command, ARM resource type or Terraform resource, what it is).
MANUAL_STEPS = (
    ("az aks create", ("Microsoft.ContainerService/managedClusters", "azurerm_kubernetes_cluster"), "the AKS cluster"),
    (
        "az k8s-extension create",
        ("Microsoft.KubernetesConfiguration/extensions", "azurerm_kubernetes_cluster_extension"),
        "the Azure ML extension",
    ),
    (
        "az ml compute attach",
        ('"computeType": "Kubernetes"', "Microsoft.MachineLearningServices/workspaces/computes@"),
        "the Kubernetes compute attachment",
    ),
)


def _doc_files(project: Path) -> list[Path]:
    return sorted({path for pattern in DOCS for path in project.glob(pattern) if path.is_file()})


def code_spans(text: str) -> Iterator[tuple[int, str]]:
    """(line, code) for each inline `code` span and each line of a fenced block."""
    fenced = False
    for number, line in enumerate(text.splitlines(), start=1):
        if line.lstrip().startswith("```"):
            fenced = not fenced
            continue
        if fenced:
            yield number, line
        else:
            for span in re.findall(r"`([^`]+)`", line):
                yield number, span


def make_targets(project: Path) -> set[str]:
    makefile = project / "Makefile"
    if not makefile.is_file():
        return set()
    return set(re.findall(r"^([A-Za-z0-9][A-Za-z0-9_.-]*)\s*:(?!=)", makefile.read_text(encoding="utf-8"), re.M))


def _module_exists(project: Path, module: str) -> bool:
    base = project.joinpath(*module.split("."))
    return base.with_suffix(".py").is_file() or (base / "__init__.py").is_file()


def _is_project_module(project: Path, module: str) -> bool:
    top = module.split(".")[0]
    return (project / top).is_dir() or (project / f"{top}.py").is_file()


_MAKE = re.compile(r"(?:^|[;&|(]\s*|\s)make((?:\s+[a-z][a-z0-9_-]*)+)")
_MODULE = re.compile(r"-m\s+([A-Za-z_][\w.]*)")
_PATH = re.compile(r"^\.?[\w.-]+(?:/[\w.*-]+)+/?$")
# Top-level folders a rendering may have: a path under one of them is a path of this repo. (A bare
# file name or `train/model.json` is read relative to a context the check cannot see.)
_PROJECT_FOLDERS = (".pipelines", ".github", "environment_setup", "environments", "ml_service", "docs", "data", "tests")


def _path_exists(project: Path, doc: Path, path: str) -> bool:
    if path.startswith(_RUNTIME_PATHS):
        return True
    for root in (project, doc.parent):
        if "*" in path:
            if any(root.glob(path)):
                return True
        elif (root / path).exists():
            return True
    return False


def names_exist(project: Path) -> list[Finding]:
    """Make targets, project modules and file paths named in the docs' code exist."""
    targets = make_targets(project)
    findings = []
    for doc in _doc_files(project):
        relative = str(doc.relative_to(project))
        for number, code in code_spans(doc.read_text(encoding="utf-8")):
            for match in _MAKE.finditer(code):
                for target in match.group(1).split():
                    if targets and target not in targets:
                        findings.append(Finding(relative, number, f"names `make {target}`, not a Makefile target"))
            for module in _MODULE.findall(code):
                module = module.rstrip(".")
                if _is_project_module(project, module) and not _module_exists(project, module):
                    findings.append(Finding(relative, number, f"names `python -m {module}`, which does not exist"))
            token = code.strip()
            folder = token.split("/", 1)[0]
            ours = folder in _PROJECT_FOLDERS or (project / folder).is_dir()
            if _PATH.match(token) and ours and not _path_exists(project, doc, token.rstrip("/")):
                findings.append(Finding(relative, number, f"names the path {token}, which does not exist"))
    return findings


def _iac_text(project: Path) -> str:
    folder = project / "environment_setup"
    if not folder.is_dir():
        return ""
    return "\n".join(
        path.read_text(encoding="utf-8")
        for path in sorted(folder.rglob("*"))
        if path.is_file() and path.suffix in {".json", ".tf"}
    )


def iac_roles(iac: str) -> set[str]:
    """Role names the IaC assigns (ARM role ids mapped to their names, Terraform names as written)."""
    roles = set(re.findall(r'role_definition_name\s*=\s*"([^"]+)"', iac))
    roles |= {name for role_id, name in ARM_ROLE_IDS.items() if role_id in iac}
    return roles


def _creates_role_assignments(iac: str) -> bool:
    return "Microsoft.Authorization/roleAssignments" in iac or '"azurerm_role_assignment"' in iac


def _sections(text: str) -> Iterator[tuple[int, str]]:
    """(first line, text) of each `## ` section (the part before the first heading included)."""
    start, lines = 1, []
    for number, line in enumerate(text.splitlines(), start=1):
        if line.startswith("## ") and lines:
            yield start, "\n".join(lines)
            start, lines = number, []
        lines.append(line)
    if lines:
        yield start, "\n".join(lines)


def _deploys_infrastructure(section: str) -> bool:
    """The section sets up the identity that deploys the IaC: it assigns roles with the CLI, or
    names the infrastructure together with a service connection or a role."""
    if "az role assignment create" in section:
        return True
    about_access = re.search(r"service connection|\bContributor\b", section)
    return bool(re.search(r"infrastructure", section, re.I) and about_access)


@reads(*DOCS, "environment_setup/**/*")
def roles_agree(project: Path) -> list[Finding]:
    """The roles the docs name agree with the IaC: a role they say a managed identity holds is
    assigned by the IaC, and the identity that deploys the IaC can create its role assignments."""
    iac = _iac_text(project)
    if not iac:
        return []
    assigned = iac_roles(iac)
    needs_assigner = _creates_role_assignments(iac)
    findings = []
    for doc in _doc_files(project):
        relative = str(doc.relative_to(project))
        for start, section in _sections(doc.read_text(encoding="utf-8")):
            lines = section.splitlines()
            named = {role for role in _ROLE_NAMES if re.search(rf"\b{re.escape(role)}\b", section)}
            if needs_assigner and _deploys_infrastructure(section) and not named & set(ROLE_ASSIGNERS):
                line = start + next((i for i, row in enumerate(lines) if "Contributor" in row), 0)
                findings.append(
                    Finding(
                        relative,
                        line,
                        "sets up the identity that deploys the IaC without Owner or Role Based Access Control "
                        "Administrator, but the IaC creates role assignments",
                    )
                )
            for role in sorted(named - set(DEPLOYER_ROLES) - set(CALLER_ROLES) - assigned):
                line = start + next(i for i, row in enumerate(lines) if role in row)
                findings.append(Finding(relative, line, f"names the role {role}, which the IaC assigns to no one"))
    return findings


@reads(*DOCS, "environment_setup/**/*")
def manual_steps_not_in_iac(project: Path) -> list[Finding]:
    """The docs ask for no manual `az` step that creates what the IaC already creates."""
    iac = _iac_text(project)
    findings = []
    for doc in _doc_files(project):
        relative = str(doc.relative_to(project))
        for number, code in code_spans(doc.read_text(encoding="utf-8")):
            for command, markers, what in MANUAL_STEPS:
                if command in code and any(marker in iac for marker in markers):
                    findings.append(
                        Finding(relative, number, f"asks to run `{command}`, but the IaC already creates {what}")
                    )
    return findings


CHECKS = (names_exist, roles_agree, manual_steps_not_in_iac)
