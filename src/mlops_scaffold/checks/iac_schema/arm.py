"""ARM: every resource of the template (nested ones too) against Azure's schema for its
type@apiVersion, API versions against the newest stable one, the parameters file against the
template's parameters."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

from mlops_scaffold import targets
from mlops_scaffold.checks.base import Finding
from mlops_scaffold.checks.iac._common import arm_units
from mlops_scaffold.checks.iac_schema.arm_schema import Problem, SchemaStore, is_expression
from mlops_scaffold.checks.iac_schema.jsonlines import value_lines

API_WINDOW_YEARS = 2  # docs/decisions: an API version older than the newest stable minus this rots
# Keys of a template resource that belong to the deployment, not to the resource type's schema.
ENVELOPE = {"dependsOn", "condition", "copy", "comments", "metadata", "scope", "resources"}
# Resource types the published schemas (2022 on) do not define, so they cannot be validated; any
# other type without a schema is a finding (a misspelled type or an API version that never existed).
NOT_IN_SCHEMAS = {
    "microsoft.insights/components": "its newest stable API version, 2020-02-02, predates the schema set",
    # a deployment target's own (targets/<target>.py, ARM_TYPES_NOT_IN_SCHEMAS)
    **targets.collect_map("ARM_TYPES_NOT_IN_SCHEMAS"),
}

# Providers the reference data (../shared/schemas/arm) ships no schema file for, although its README
# lists them: their resources cannot be validated until it does. Skipped only while no file exists,
# so a misspelled provider, or one the data starts to include, is still checked.
PROVIDERS_NOT_IN_REFERENCE = {
    "microsoft.network": "the reference data has no Microsoft.Network schema files (a private target's VNet and NSG)",
}


def api_version_problem(store: SchemaStore, resource_type: str, version: str) -> str | None:
    """Why `version` of `resource_type` is too old, or None."""
    stable = store.stable_versions(resource_type)
    if not stable:
        return None
    newest = date.fromisoformat(stable[-1])
    oldest_allowed = newest.replace(year=newest.year - API_WINDOW_YEARS)
    if date.fromisoformat(version[:10]) < oldest_allowed:
        return (
            f"API version {version} is more than {API_WINDOW_YEARS} years older than the newest stable "
            f"{stable[-1]} (use {oldest_allowed.isoformat()} or later)"
        )
    return None


def describe(problem: Problem) -> str:
    dotted = ".".join(str(part) for part in problem.path)
    if problem.message in {"unknown property", "missing required property"}:
        return f'{problem.message} "{dotted}"'
    return f'property "{dotted}": {problem.message}'


def _line(lines: dict[tuple[Any, ...], int], path: tuple[Any, ...]) -> int | None:
    while path not in lines and path:
        path = path[:-1]
    return lines.get(path)


def check_template(project: Path, store: SchemaStore) -> list[Finding]:
    findings: list[Finding] = []
    schema_checked: set[str] = set()  # a template with several parameters files is read once
    for template, parameters in arm_units(project):  # the environments' (ADR 28), the registry's
        findings.extend(_check_unit(project, store, template, parameters, template not in schema_checked))
        schema_checked.add(template)
    return findings


def _check_unit(
    project: Path, store: SchemaStore, template_path: str, parameters_path: str, resources: bool = True
) -> list[Finding]:
    path = project / template_path
    if not path.is_file():
        return []
    text = path.read_text(encoding="utf-8")
    try:
        template = json.loads(text)
    except json.JSONDecodeError:
        return []  # iac.arm_structure reports it
    lines = value_lines(text)
    findings: list[Finding] = []
    for index, resource in enumerate(template.get("resources", []) if resources else []):
        findings.extend(_check_resource(resource, None, ("resources", index), lines, store, template_path))
    findings.extend(_check_parameters(project, template, template_path, parameters_path))
    return findings


def _check_resource(
    resource: Any, parent_type: str | None, at: tuple[Any, ...], lines: dict, store: SchemaStore, template_path: str
) -> list[Finding]:
    if not isinstance(resource, dict):
        return []
    resource_type, version = resource.get("type", ""), resource.get("apiVersion", "")
    if parent_type and "/" not in resource_type.partition(".")[2]:
        resource_type = f"{parent_type}/{resource_type}"  # a nested resource may give the child's type only
    label = f"{resource_type}@{version} {resource.get('name', '?')}"
    findings: list[Finding] = []

    def finding(path: tuple[Any, ...], message: str) -> None:
        findings.append(Finding(template_path, _line(lines, (*at, *path)), f"{label}: {message}"))

    if not isinstance(resource_type, str) or not isinstance(version, str) or is_expression(version):
        return findings
    if resource_type.lower() in NOT_IN_SCHEMAS:
        return findings
    provider = resource_type.partition("/")[0]
    if provider.lower() in PROVIDERS_NOT_IN_REFERENCE and not store.has_provider(provider):
        return findings
    if too_old := api_version_problem(store, resource_type, version):
        finding(("apiVersion",), too_old)
    found = store.definition(resource_type, version)
    if found is None:
        finding(("type",), f"no ARM schema for {resource_type} at API version {version}")
    else:
        body = {key: value for key, value in resource.items() if key not in ENVELOPE}
        body["type"] = resource_type
        for problem in store.validate(body, [found]):
            finding(problem.path, describe(problem))
    for index, child in enumerate(resource.get("resources", [])):
        at_child = (*at, "resources", index)
        findings.extend(_check_resource(child, resource_type, at_child, lines, store, template_path))
    return findings


# --- parameters file --------------------------------------------------------------------------

_TYPES = {
    "string": str,
    "securestring": str,
    "int": int,
    "bool": bool,
    "object": dict,
    "secureobject": dict,
    "array": list,
}


def _check_parameters(project: Path, template: dict, template_path: str, parameters_path: str) -> list[Finding]:
    path = project / parameters_path
    if not path.is_file():
        return []
    text = path.read_text(encoding="utf-8")
    try:
        supplied = json.loads(text).get("parameters", {})
    except (json.JSONDecodeError, AttributeError):
        return []
    lines = value_lines(text)
    declared = template.get("parameters", {})
    findings: list[Finding] = []

    def finding(name: str, message: str) -> None:
        findings.append(Finding(parameters_path, _line(lines, ("parameters", name)), f"parameter {name}: {message}"))

    for name, entry in supplied.items():
        if name not in declared:
            finding(name, f"not a parameter of {Path(template_path).name}")
            continue
        if not isinstance(entry, dict) or "value" not in entry:
            continue  # a Key Vault reference, or iac.arm_structure's finding
        _check_value(name, entry["value"], declared[name], finding)
    for name, spec in declared.items():
        # `passedBy`: a value passed on the command line when deployed (iac.arm_structure's rule too)
        if name not in supplied and "defaultValue" not in spec and "passedBy" not in spec.get("metadata", {}):
            line = _line(lines, ("parameters",))
            findings.append(Finding(parameters_path, line, f"parameter {name}: no value and no default"))
    return findings


def _check_value(name: str, value: Any, spec: dict, finding: Any) -> None:
    kind = str(spec.get("type", "")).lower()
    python_type = _TYPES.get(kind)
    if python_type is None:
        finding(name, f"unknown parameter type {spec.get('type')!r} in the template")
        return
    if not isinstance(value, python_type) or (python_type is int and isinstance(value, bool)):
        finding(name, f"{json.dumps(value)} is not of type {spec.get('type')}")
        return
    if "allowedValues" in spec and value not in spec["allowedValues"]:
        finding(name, f"{json.dumps(value)} is not one of {', '.join(json.dumps(v) for v in spec['allowedValues'])}")
    if isinstance(value, str | list):
        if "maxLength" in spec and len(value) > spec["maxLength"]:
            finding(name, f"longer than maxLength {spec['maxLength']}")
        if "minLength" in spec and len(value) < spec["minLength"]:
            finding(name, f"shorter than minLength {spec['minLength']}")
    if python_type is int:
        if "maxValue" in spec and value > spec["maxValue"]:
            finding(name, f"above maxValue {spec['maxValue']}")
        if "minValue" in spec and value < spec["minValue"]:
            finding(name, f"below minValue {spec['minValue']}")
