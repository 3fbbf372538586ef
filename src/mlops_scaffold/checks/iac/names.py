"""Names are the same everywhere: the IaC inputs (ARM parameters or terraform.tfvars), the
variable group documented in docs/variable_group.md, the variables the IaC pipelines read,
docs/infrastructure.md and the Terraform state backend agree on every resource name and setting.
A name that differs in one place deploys one resource and points the pipelines at another.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlops_scaffold import targets
from mlops_scaffold.checks.base import Finding, reads
from mlops_scaffold.checks.hcl import parse_hcl
from mlops_scaffold.checks.iac._common import (
    ARM_DIR,
    ARM_PARAMETERS,
    ARM_REGISTRY_PARAMETERS,
    INFRASTRUCTURE_DOC,
    TF_DIR,
    TF_REGISTRY_DIR,
    TF_STATE_CONTAINER,
    VARIABLE_GROUP_DOC,
    _iac_pipelines,
    _line_of,
    _rel,
    _unquote,
    environment_parameters,
)
from mlops_scaffold.checks.iac.terraform import load_terraform, tfvars_files

# IaC input -> the pipeline variable that must hold the same value
ARM_TO_VARIABLE: dict[str, str] = {
    "location": "LOCATION",
    "workspaceName": "WORKSPACE_NAME",
    "computeClusterName": "AML_COMPUTE_CLUSTER_NAME",
    "computeClusterVmSize": "AML_COMPUTE_CLUSTER_SKU",
    "computeClusterMinNodes": "AML_CLUSTER_MIN_NODES",
    "computeClusterMaxNodes": "AML_CLUSTER_MAX_NODES",
    **targets.collect_map("ARM_TO_VARIABLE"),  # each deployment target's, from its module
    "scoringStorageName": "SCORING_DATASTORE_STORAGE_NAME",
    "scoringInputContainer": "SCORING_DATASTORE_INPUT_CONTAINER",
    "scoringOutputContainer": "SCORING_DATASTORE_OUTPUT_CONTAINER",
    "scoringClusterName": "AML_COMPUTE_CLUSTER_NAME_SCORING",
    "scoringClusterVmSize": "AML_COMPUTE_CLUSTER_SKU_SCORING",
    "scoringClusterMinNodes": "AML_CLUSTER_MIN_NODES_SCORING",
    "scoringClusterMaxNodes": "AML_CLUSTER_MAX_NODES_SCORING",
}
TF_TO_VARIABLE: dict[str, str] = {
    "location": "LOCATION",
    "resource_group_name": "RESOURCE_GROUP",
    "workspace_name": "WORKSPACE_NAME",
    "compute_cluster_name": "AML_COMPUTE_CLUSTER_NAME",
    "compute_cluster_vm_size": "AML_COMPUTE_CLUSTER_SKU",
    "compute_cluster_min_nodes": "AML_CLUSTER_MIN_NODES",
    "compute_cluster_max_nodes": "AML_CLUSTER_MAX_NODES",
    **targets.collect_map("TF_TO_VARIABLE"),  # each deployment target's, from its module
    "scoring_storage_name": "SCORING_DATASTORE_STORAGE_NAME",
    "scoring_input_container": "SCORING_DATASTORE_INPUT_CONTAINER",
    "scoring_output_container": "SCORING_DATASTORE_OUTPUT_CONTAINER",
    "scoring_cluster_name": "AML_COMPUTE_CLUSTER_NAME_SCORING",
    "scoring_cluster_vm_size": "AML_COMPUTE_CLUSTER_SKU_SCORING",
    "scoring_cluster_min_nodes": "AML_CLUSTER_MIN_NODES_SCORING",
    "scoring_cluster_max_nodes": "AML_CLUSTER_MAX_NODES_SCORING",
}
# The registry's IaC input -> the pipeline variable that must hold the same value (ADR 28)
REGISTRY_TO_VARIABLE: dict[str, str] = {"registryName": "AML_REGISTRY_NAME", "registry_name": "AML_REGISTRY_NAME"}
# IaC inputs that are Azure resource names (the docs must show each)
NAME_SUFFIXES = ("Name", "_name", "Container", "_container")


@dataclass(frozen=True)
class VariableGroupDoc:
    variables: dict[str, str]  # name -> value ('' when yours to set)
    derived: dict[str, str]  # resource -> name
    # With environments (ADR 28): environment -> variable -> value, and environment -> resource -> name
    per_environment: dict[str, dict[str, str]] = field(default_factory=dict)
    derived_per_environment: dict[str, dict[str, str]] = field(default_factory=dict)

    def value(self, variable: str, environment: str | None) -> str | None:
        """The variable's value (in that environment, when it has one per environment)."""
        if environment is not None and variable in self.per_environment.get(environment, {}):
            return self.per_environment[environment][variable]
        return self.variables.get(variable)


_CODE = re.compile(r"`(.*)`")


def read_variable_group_doc(text: str) -> VariableGroupDoc:
    doc = VariableGroupDoc({}, {})
    header: list[str] | None = None  # a table with a column per environment: its header
    for line in text.splitlines():
        if not line.startswith("|"):
            header = None
            continue
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if cells[0] in {"Variable", "Resource"} and len(cells) > 1 and cells[1] not in {"Required", "Name"}:
            header = cells
            continue
        if header is not None:
            by_environment = doc.per_environment if header[0] == "Variable" else doc.derived_per_environment
            key = re.fullmatch(r"`(.+)`", cells[0])
            for environment, cell in zip(header[1:], cells[1:], strict=False):
                value = _CODE.fullmatch(cell)
                if value:
                    by_environment.setdefault(environment, {})[key.group(1) if key else cells[0]] = value.group(1)
            continue
        first = re.fullmatch(r"`([A-Z][A-Z0-9_]*)`", cells[0])
        if first and len(cells) >= 4:
            value = _CODE.fullmatch(cells[3])
            doc.variables[first.group(1)] = value.group(1) if value else ""
        elif len(cells) == 2 and (name := re.fullmatch(r"`(.+)`", cells[1])):
            doc.derived[cells[0]] = name.group(1)
    return doc


@dataclass(frozen=True)
class IacInputs:
    source: str  # the file
    values: dict[str, Any]
    mapping: dict[str, str]  # input -> pipeline variable
    environment: str | None  # whose inputs (ADR 28); None for the project's one


def iac_inputs(project: Path) -> list[IacInputs]:
    """The IaC inputs of the project's flavour: its one file, or each environment's."""
    found = []
    parameters: dict[str | None, str] = dict(environment_parameters(project))
    if not parameters and (project / ARM_PARAMETERS).is_file():
        parameters[None] = ARM_PARAMETERS
    for environment, source in parameters.items():
        try:
            data = json.loads((project / source).read_text(encoding="utf-8"))
        except json.JSONDecodeError:
            continue
        values = {name: entry.get("value") for name, entry in data.get("parameters", {}).items()}
        found.append(IacInputs(source, values, ARM_TO_VARIABLE, environment))
    if found or not (project / TF_DIR).is_dir():
        return found
    for name in tfvars_files(project):
        if not (project / TF_DIR / name).is_file():
            continue
        module = load_terraform(project, [], TF_DIR, name)
        if module is not None:
            environment = None if name == "terraform.tfvars" else name.removesuffix(".tfvars")
            found.append(IacInputs(f"{TF_DIR}/{name}", dict(module.tfvars), TF_TO_VARIABLE, environment))
    return found


def registry_inputs(project: Path) -> tuple[str, dict[str, Any]] | None:
    """(file, values) of the registry's IaC inputs, when the project has its IaC."""
    if (project / ARM_REGISTRY_PARAMETERS).is_file():
        try:
            data = json.loads((project / ARM_REGISTRY_PARAMETERS).read_text(encoding="utf-8"))
        except json.JSONDecodeError:
            return None
        return ARM_REGISTRY_PARAMETERS, {name: entry.get("value") for name, entry in data.get("parameters", {}).items()}
    module = load_terraform(project, [], TF_REGISTRY_DIR)
    if module is None or not module.tfvars:
        return None
    return f"{TF_REGISTRY_DIR}/terraform.tfvars", dict(module.tfvars)


def _registry_names(project: Path, group: VariableGroupDoc | None) -> tuple[list[Finding], list[str]]:
    """Findings on the registry's IaC inputs against the variable group, and its resource names."""
    inputs = registry_inputs(project)
    if inputs is None:
        return [], []
    source, values = inputs
    findings = []
    for key, variable in REGISTRY_TO_VARIABLE.items():
        if key in values and group is not None and str(values[key]) != group.variables.get(variable):
            expected = group.variables.get(variable)
            findings.append(
                Finding(source, None, f"{key}={values[key]!r} but {VARIABLE_GROUP_DOC} has {variable}={expected!r}")
            )
    names = [str(value) for key, value in values.items() if key.endswith(NAME_SUFFIXES) and isinstance(value, str)]
    if state := _backend(project, TF_REGISTRY_DIR).get("storage_account_name"):
        names.append(str(state))
    return findings, names


def _against_group(inputs: IacInputs, group: VariableGroupDoc, backend: dict[str, Any]) -> list[Finding]:
    """One file of IaC inputs against the variable group doc (that environment's values in it)."""
    findings = []
    for key, variable in inputs.mapping.items():
        if key not in inputs.values:
            continue
        expected = group.value(variable, inputs.environment)
        if expected is None:
            findings.append(Finding(VARIABLE_GROUP_DOC, None, f"lacks {variable}, which the IaC sets ({key})"))
        elif str(inputs.values[key]) != expected:
            where = f" ({inputs.environment})" if inputs.environment else ""
            message = f"{key}={inputs.values[key]!r} but {VARIABLE_GROUP_DOC} has {variable}={expected!r}{where}"
            findings.append(Finding(inputs.source, None, message))
    iac_names = {str(value) for value in inputs.values.values()} | {str(value) for value in backend.values()}
    derived = group.derived if inputs.environment is None else group.derived_per_environment.get(inputs.environment, {})
    for resource, name in derived.items():
        if name not in iac_names:
            findings.append(Finding(VARIABLE_GROUP_DOC, None, f"{resource} {name!r} is not a name the IaC creates"))
    if inputs.environment is not None and not derived:
        findings.append(Finding(VARIABLE_GROUP_DOC, None, f"lacks the derived names of {inputs.environment}"))
    return findings


def _backend_settings(project: Path, environment: str | None) -> dict[str, Any]:
    """The Terraform state settings: backend.tf's, or the environment's `<environment>.tfbackend`."""
    if environment is None:
        return _backend(project)
    path = project / TF_DIR / f"{environment}.tfbackend"
    if not path.is_file():
        return {}
    parsed, _, _ = parse_hcl(path.read_text(encoding="utf-8"))
    return {key: _unquote(value) for key, value in (parsed or {}).items() if not key.startswith("__")}


def _backend(project: Path, folder: str = TF_DIR) -> dict[str, Any]:
    scratch: list[Finding] = []
    module = load_terraform(project, scratch, folder)
    if module is None:
        return {}
    for _, block in module.blocks.get("terraform", []):
        for backend in block.get("backend", []):
            for settings in backend.values():
                return {key: _unquote(value) for key, value in settings.items() if not key.startswith("__")}
    return {}


_ADO_VARIABLE = re.compile(r"\$\(([A-Z][A-Z0-9_]*)\)")
_GH_VARIABLE = re.compile(r"\bvars\.([A-Z][A-Z0-9_]*)")


@reads("environment_setup/**/*", ".github/workflows/iac-*.yml", "docs/variable_group.md", "docs/infrastructure.md")
def names_consistent(project: Path) -> list[Finding]:
    """The IaC inputs, docs/variable_group.md, the IaC pipelines and docs/infrastructure.md agree."""
    inputs = iac_inputs(project)
    if not inputs:
        return []
    findings: list[Finding] = []
    group_path = project / VARIABLE_GROUP_DOC
    group = read_variable_group_doc(group_path.read_text(encoding="utf-8")) if group_path.is_file() else None
    if group is None:
        findings.append(Finding(VARIABLE_GROUP_DOC, None, "missing: cannot compare the IaC names with it"))
    resource_names: set[str] = set()
    for each in inputs:
        backend = _backend_settings(project, each.environment)
        if group is not None:
            findings.extend(_against_group(each, group, backend))
        resource_names |= {
            str(value) for key, value in each.values.items() if key.endswith(NAME_SUFFIXES) and isinstance(value, str)
        }
        if backend:
            resource_names.add(str(backend.get("storage_account_name")))
    source, values = inputs[0].source, inputs[0].values
    backend = _backend(project)
    registry_findings, registry_names = _registry_names(project, group)
    findings.extend(registry_findings)
    resource_names |= set(registry_names)
    infra_path = project / INFRASTRUCTURE_DOC
    if not infra_path.is_file():
        findings.append(Finding(INFRASTRUCTURE_DOC, None, "missing"))
    else:
        infra = infra_path.read_text(encoding="utf-8")
        for name in sorted(resource_names):
            if f"`{name}`" not in infra:
                findings.append(Finding(INFRASTRUCTURE_DOC, None, f"does not mention the resource name `{name}`"))

    pipelines = _iac_pipelines(project)
    if not pipelines:
        findings.append(Finding("environment_setup", None, "no IaC pipeline (iac-*.yml) found"))
    for pipeline in pipelines:
        text = pipeline.read_text(encoding="utf-8")
        relative = _rel(project, pipeline)
        defined = set(re.findall(r"^\s*-?\s*name:\s*([A-Z][A-Z0-9_]*)\s*$", text, re.MULTILINE))
        defined |= set(re.findall(r"^\s+([A-Z][A-Z0-9_]*):", text, re.MULTILINE))
        for pattern in (_ADO_VARIABLE, _GH_VARIABLE):
            for match in pattern.finditer(text):
                variable = match.group(1)
                is_group = pattern is _GH_VARIABLE or variable not in defined
                if is_group and group is not None and variable not in group.variables:
                    findings.append(
                        Finding(
                            relative,
                            _line_of(text, match.group(0)),
                            f"reads {variable}, which {VARIABLE_GROUP_DOC} lacks",
                        )
                    )
        flavour_dir = ARM_DIR if source.startswith(ARM_DIR) else TF_DIR
        if "create" in pipeline.name and flavour_dir not in text:
            findings.append(Finding(relative, None, f"does not deploy {flavour_dir}"))
        if backend:
            for key, expected in (
                ("TF_STATE_STORAGE", backend.get("storage_account_name")),
                ("TF_STATE_CONTAINER", backend.get("container_name")),
            ):
                match = re.search(rf"{key}\s*(?::|\n\s*value:)\s*(\S+)", text)
                if match is None or match.group(1) != expected:
                    findings.append(Finding(relative, None, f"{key} must be {expected!r} as in {TF_DIR}/backend.tf"))
        if source.startswith(ARM_DIR) and "keyvault recover" in text and f'"{values.get("keyVaultName")}"' not in text:
            findings.append(Finding(relative, None, f"recovers a Key Vault other than {values.get('keyVaultName')!r}"))
    if backend and backend.get("container_name") != TF_STATE_CONTAINER:
        findings.append(Finding(f"{TF_DIR}/backend.tf", None, f"container_name must be {TF_STATE_CONTAINER!r}"))
    return findings
