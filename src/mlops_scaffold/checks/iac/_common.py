"""What the IaC checks share: where the ARM template, the Terraform folder, the checkov
configuration and the docs that name resources live in a generated repo, the few helpers they all
use (line of a needle, python-hcl2's quoted strings, the IaC pipelines), and the functions whose
value changes on every run (ARM and Terraform alike), since a property set from one is re-written
by every deployment. Kept apart so that each check module imports it and none imports another check.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

ARM_DIR = "environment_setup/arm-templates"
ARM_TEMPLATE = f"{ARM_DIR}/cloud-environment.json"
ARM_PARAMETERS = f"{ARM_DIR}/cloud-environment.parameters.json"
# The Azure ML registry's own template, deployed once beside the environments' (ADR 28).
ARM_REGISTRY_TEMPLATE = f"{ARM_DIR}/registry.json"
ARM_REGISTRY_PARAMETERS = f"{ARM_DIR}/registry.parameters.json"
# Each ARM template a project may have, with its parameters file; the first is always there.
ARM_UNITS = ((ARM_TEMPLATE, ARM_PARAMETERS), (ARM_REGISTRY_TEMPLATE, ARM_REGISTRY_PARAMETERS))
# With environments (ADR 28) the environments' template has one parameters file per environment.
ARM_ENVIRONMENT_PARAMETERS = re.compile(r"cloud-environment\.([a-z]+)\.parameters\.json")
TF_DIR = "environment_setup/tf-templates"
# The registry's own root module (its own state), applied once beside the environments' (ADR 28).
TF_REGISTRY_DIR = f"{TF_DIR}/registry"
TF_FOLDERS = (TF_DIR, TF_REGISTRY_DIR)
CHECKOV_CONFIG = ".checkov.yaml"
VARIABLE_GROUP_DOC = "docs/variable_group.md"
INFRASTRUCTURE_DOC = "docs/infrastructure.md"
TF_STATE_CONTAINER = "tfstate-cont"


def environment_parameters(project: Path) -> dict[str, str]:
    """{environment: its parameters file} of the environments' template; empty for `single`."""
    folder = project / ARM_DIR
    found = {}
    for path in sorted(folder.glob("cloud-environment.*.parameters.json")) if folder.is_dir() else []:
        match = ARM_ENVIRONMENT_PARAMETERS.fullmatch(path.name)
        if match:
            found[match.group(1)] = f"{ARM_DIR}/{path.name}"
    return found


def arm_units(project: Path) -> list[tuple[str, str]]:
    """(template, parameters file) pairs to check: the environments' template with its one
    parameters file or each environment's, then the registry's if the project has it."""
    per_environment = environment_parameters(project)
    units = [(ARM_TEMPLATE, parameters) for parameters in per_environment.values()] or [(ARM_TEMPLATE, ARM_PARAMETERS)]
    if (project / ARM_REGISTRY_TEMPLATE).is_file() or (project / ARM_REGISTRY_PARAMETERS).is_file():
        units.append((ARM_REGISTRY_TEMPLATE, ARM_REGISTRY_PARAMETERS))
    return units


def arm_templates(project: Path) -> list[str]:
    """The ARM templates of the project (relative paths): the environments', and the registry's if any."""
    return [template for template, _ in ARM_UNITS if template == ARM_TEMPLATE or (project / template).is_file()]


def _line_of(text: str, needle: str) -> int | None:
    """1-based line of the first occurrence of `needle` in `text`, or None."""
    index = text.find(needle)
    return None if index < 0 else text.count("\n", 0, index) + 1


def _unquote(value: Any) -> Any:
    """python-hcl2 keeps the quotes of string literals: '"abc"' -> 'abc'."""
    if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1]
    return value


def _iac_pipelines(project: Path) -> list[Path]:
    """The IaC create/remove pipelines or workflows of the project."""
    found = sorted((project / "environment_setup").glob("iac-*.yml"))
    found += sorted((project / ".github" / "workflows").glob("iac-*.yml"))
    return found


def _rel(project: Path, path: Path) -> str:
    return path.relative_to(project).as_posix()


# Functions whose value differs between runs: a property set from one is re-written every
# deployment, and Azure refuses to update many properties (names, SKUs, linked resources).
PER_RUN_FUNCTIONS = {"newGuid", "utcNow"}
TF_PER_RUN = re.compile(r"\b(timestamp|uuid|plantimestamp)\(\)|resource \"random_")
