"""The generated docs match the code: every `make` target, `python -m` module and file path they
name in code exists in the rendering, and what they say about Azure roles and manual setup agrees
with the IaC.

Only code is read (inline `code` and fenced blocks), so prose may say "make sure".
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from pathlib import Path

from mlops_scaffold import targets
from mlops_scaffold.checks.base import Finding, reads
from mlops_scaffold.project_files import Project, text_of

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
MANUAL_STEPS: tuple[tuple[str, tuple[str, str], str], ...] = targets.collect("MANUAL_STEPS")


def _doc_files(project: Path) -> list[Path]:
    opened = Project.of(project)
    return sorted({path for pattern in DOCS for path in opened.glob(pattern)})


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
    if not Project.of(project).is_file("Makefile"):
        return set()
    return set(re.findall(r"^([A-Za-z0-9][A-Za-z0-9_.-]*)\s*:(?!=)", text_of(project / "Makefile"), re.M))


def _module_exists(project: Path, module: str) -> bool:
    base = module.replace(".", "/")
    opened = Project.of(project)
    return opened.is_file(f"{base}.py") or opened.is_file(f"{base}/__init__.py")


def _is_project_module(project: Path, module: str) -> bool:
    top = module.split(".")[0]
    opened = Project.of(project)
    return opened.is_dir(top) or opened.is_file(f"{top}.py")


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
        elif Project.of(project).exists((root / path).relative_to(project).as_posix()):
            return True
    return False


def _code_rules(project: Path, doc: Path, code: str, targets: set[str], iac: str) -> Iterator[str]:
    """What is wrong with one code span of a doc: a name that does not exist, or a manual step
    the IaC already does."""
    for match in _MAKE.finditer(code):
        for target in match.group(1).split():
            if targets and target not in targets:
                yield f"names `make {target}`, not a Makefile target"
    for module in _MODULE.findall(code):
        module = module.rstrip(".")
        if _is_project_module(project, module) and not _module_exists(project, module):
            yield f"names `python -m {module}`, which does not exist"
    token = code.strip()
    folder = token.split("/", 1)[0]
    ours = folder in _PROJECT_FOLDERS or Project.of(project).is_dir(folder)
    if _PATH.match(token) and ours and not _path_exists(project, doc, token.rstrip("/")):
        yield f"names the path {token}, which does not exist"
    for command, markers, what in MANUAL_STEPS:
        if command in code and any(marker in iac for marker in markers):
            yield f"asks to run `{command}`, but the IaC already creates {what}"


@reads(*DOCS, "Makefile", "environment_setup/**/*", "**/*.py")
def code_agrees(project: Path) -> list[Finding]:
    """Make targets, project modules and file paths named in the docs' code exist, and the docs
    ask for no manual `az` step that creates what the IaC already creates."""
    with Project.opened(project):  # one listing answers every path the spans name
        targets = make_targets(project)
        iac = _iac_text(project)
        findings = []
        for doc in _doc_files(project):
            relative = str(doc.relative_to(project))
            for number, code in code_spans(text_of(doc)):
                findings += [
                    Finding(relative, number, message) for message in _code_rules(project, doc, code, targets, iac)
                ]
    return findings


def _iac_text(project: Path) -> str:
    return "\n".join(
        text_of(path)
        for path in Project.of(project).glob("environment_setup/**/*")
        if path.suffix in {".json", ".tf", ".tfvars", ".tfbackend"}
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


@functools.lru_cache(maxsize=4096)  # the matrix's docs repeat most sections
def _roles_named(section: str) -> frozenset[str]:
    return frozenset(role for role in _ROLE_NAMES if re.search(rf"\b{re.escape(role)}\b", section))


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
        for start, section in _sections(text_of(doc)):
            lines = section.splitlines()
            named = _roles_named(section)
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


# The docs' table of what the IaC creates: | Resource | `name` | what |
_RESOURCE_ROW = re.compile(r"^\|\s*([^|`]+?)\s*\|\s*`([^`]+)`\s*\|")
_PIPELINES = (".pipelines/*.yml", "environment_setup/*.yml", ".github/workflows/*.yml")


@reads(*DOCS, "environment_setup/**/*", *_PIPELINES)
def names_agree(project: Path) -> list[Finding]:
    """Every resource name in the resource table of docs/infrastructure.md is a name the IaC or its
    pipelines use."""
    iac = _iac_text(project)
    if not iac:
        return []
    known = iac + "\n".join(text_of(p) for g in _PIPELINES for p in Project.of(project).glob(g))
    quoted = set(re.findall(r'"([^"\n]+)"', known)) | set(re.findall(r"\b(?:value|name):\s*([\w.-]+)", known))
    findings = []
    for doc in [path for path in _doc_files(project) if path.name == "infrastructure.md"]:
        relative = str(doc.relative_to(project))
        for number, line in enumerate(text_of(doc).splitlines(), start=1):
            row = _RESOURCE_ROW.match(line)
            if row and row.group(2) not in quoted:
                findings.append(
                    Finding(relative, number, f"names the {row.group(1)} `{row.group(2)}`, a name the IaC does not use")
                )
    return findings


# Where the identity that deploys the IaC gets its roles: "Contributor ... on the subscription",
# or `--role Contributor --scope "$SCOPE"` with SCOPE from `az group show` / `az account show`.
_SCOPE_PHRASE = re.compile(
    r"(?:Contributor|Owner|Administrator)\**\)?[^.\n]*(?:\n[^.\n]*)?\bon the (subscription|resource group)\b"
)
_SCOPE_VARIABLE = re.compile(r"SCOPE=\$\(az (group|account) show")
_SCOPE_USE = re.compile(
    r"--role\s+\"?(?:Contributor|Owner|Role Based Access Control Administrator)\"?.*--scope\s+\"\$SCOPE\""
)


def deployer_scopes(text: str) -> list[tuple[int, str]]:
    """(line, scope) of each statement of the scope the deploying identity's roles are given at."""
    scopes = [(text.count("\n", 0, m.start(1)) + 1, m.group(1)) for m in _SCOPE_PHRASE.finditer(text)]
    variable = _SCOPE_VARIABLE.search(text)
    if variable:
        scope = "resource group" if variable.group(1) == "group" else "subscription"
        scopes += [(text.count("\n", 0, m.start()) + 1, scope) for m in _SCOPE_USE.finditer(text)]
    return scopes


@reads(*DOCS, *_PIPELINES)
def scopes_agree(project: Path) -> list[Finding]:
    """The docs and the pipelines' comments give the deploying identity its roles at one scope:
    each statement that differs from docs/getting_started.md's is named."""
    files = [*_doc_files(project), *(p for g in _PIPELINES for p in Project.of(project).glob(g))]
    statements = [
        (str(path.relative_to(project)), line, scope)
        for path in files
        for line, scope in deployer_scopes(text_of(path))
    ]
    reference = next(
        (s for s in statements if s[0] == "docs/getting_started.md"), statements[0] if statements else None
    )
    if reference is None:
        return []
    return [
        Finding(
            path,
            line,
            f"gives the deploying identity its roles on the {scope}, but {reference[0]}:{reference[1]} "
            f"on the {reference[2]}",
        )
        for path, line, scope in statements
        if scope != reference[2]
    ]


CHECKS = (code_agrees, roles_agree, names_agree, scopes_agree)
