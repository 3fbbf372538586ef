"""ARM structure: the template is valid JSON, the parameters and variables it declares are the
ones it uses, every resourceId, extension scope and dependsOn names a resource the template
declares, no property comes from a per-run function, and the parameters file supplies exactly the
template's parameters with the declared types and no secrets. These are the mistakes that fail a
deployment (or redeploy differently every run) before Azure's own validation would say why.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from mlops_scaffold.checks.base import Finding, reads
from mlops_scaffold.checks.iac._common import ARM_DIR, ARM_TEMPLATE, PER_RUN_FUNCTIONS, _line_of, arm_units
from mlops_scaffold.checks.iac.arm_expressions import (
    Call,
    ExpressionError,
    _calls,
    _expression,
    _name_segments,
    _node_text,
    _strings,
)


def _load_json(project: Path, relative: str, findings: list[Finding]) -> Any | None:
    path = project / relative
    if not path.is_file():
        findings.append(Finding(relative, None, "missing"))
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        findings.append(Finding(relative, error.lineno, f"not valid JSON: {error.msg}"))
        return None


@reads("environment_setup/arm-templates/*")
def arm_structure(project: Path) -> list[Finding]:
    """ARM: valid JSON; parameters and variables declared == used; every resourceId and dependsOn
    names a resource of the template; the parameters file supplies exactly the parameters."""
    if not (project / ARM_DIR).is_dir():
        return []
    findings: list[Finding] = []
    for template, parameters in arm_units(project):
        findings.extend(_unit_structure(project, template, parameters))
    return list(dict.fromkeys(findings))


def _unit_structure(project: Path, template_path: str, parameters_path: str) -> list[Finding]:
    """One template and its parameters file."""
    findings: list[Finding] = []
    template = _load_json(project, template_path, findings)
    parameters_file = _load_json(project, parameters_path, findings)
    if template is None:
        return findings
    text = (project / template_path).read_text(encoding="utf-8")

    declared_parameters = dict(template.get("parameters", {}))
    declared_variables = dict(template.get("variables", {}))
    resources = list(template.get("resources", []))
    declared_resources = {
        (str(resource.get("type", "")).lower(), _name_segments(str(resource.get("name", "")))) for resource in resources
    }

    used_parameters: set[str] = set()
    used_variables: set[str] = set()
    body = {"variables": declared_variables, "resources": resources, "outputs": template.get("outputs", {})}
    for where, value in _strings(body):
        try:
            node = _expression(value)
        except ExpressionError as error:
            findings.append(Finding(template_path, _line_of(text, value), f"{where}: {error}"))
            continue
        for call in _calls(node):
            if call.name in {"parameters", "variables"} and call.args and isinstance(call.args[0], str):
                (used_parameters if call.name == "parameters" else used_variables).add(call.args[0])
            elif call.name in PER_RUN_FUNCTIONS:
                findings.append(
                    Finding(template_path, _line_of(text, value), f"{where}: {call.name}() changes on every run")
                )
            elif call.name == "resourceId":
                findings.extend(_check_resource_id(call, call.args, declared_resources, text, value, template_path))
            elif call.name == "extensionResourceId" and len(call.args) >= 3:
                arguments = call.args[1:]
                findings.extend(_check_resource_id(call, arguments, declared_resources, text, value, template_path))

    for name in sorted(set(declared_parameters) - used_parameters):
        findings.append(
            Finding(template_path, _line_of(text, f'"{name}"'), f"parameter {name} is declared but never used")
        )
    for name in sorted(used_parameters - set(declared_parameters)):
        findings.append(
            Finding(template_path, _line_of(text, f"'{name}'"), f"parameter {name} is used but not declared")
        )
    for name in sorted(set(declared_variables) - used_variables):
        findings.append(
            Finding(template_path, _line_of(text, f'"{name}"'), f"variable {name} is declared but never used")
        )
    for name in sorted(used_variables - set(declared_variables)):
        findings.append(
            Finding(template_path, _line_of(text, f"'{name}'"), f"variable {name} is used but not declared")
        )

    for resource in resources:
        scope = _expression(str(resource.get("scope", "")))
        if isinstance(scope, Call) and scope.name == "format" and scope.args and isinstance(scope.args[0], str):
            # "[format('Microsoft.X/type/{0}', name)]": the resource this extension resource applies to
            scope_type, _, placeholder = scope.args[0].rpartition("/")
            if placeholder == "{0}":
                findings.extend(
                    _check_resource_id(
                        scope,
                        (scope_type, *scope.args[1:]),
                        declared_resources,
                        text,
                        str(resource["scope"]),
                        template_path,
                    )
                )
        for dependency in resource.get("dependsOn", []):
            node = _expression(str(dependency))
            if not any(call.name in {"resourceId", "extensionResourceId"} for call in _calls(node)):
                findings.append(
                    Finding(
                        template_path, _line_of(text, str(dependency)), f"dependsOn {dependency} is not a resourceId"
                    )
                )

    if parameters_file is not None:
        findings.extend(_check_parameters_file(declared_parameters, parameters_file, project, parameters_path))
    return findings


def _check_resource_id(
    call: Call,
    args: Sequence[Any],
    declared: set[tuple[str, tuple[str, ...]]],
    text: str,
    value: str,
    template_path: str = ARM_TEMPLATE,
) -> list[Finding]:
    if not args or not isinstance(args[0], str):
        return [Finding(template_path, _line_of(text, value), f"{call.text()}: the resource type must be a literal")]
    resource_type = args[0]
    names = tuple(_node_text(arg) for arg in args[1:])
    if (resource_type.lower(), names) in declared:
        return []
    return [
        Finding(
            template_path,
            _line_of(text, value),
            f"{call.name} names {resource_type} {'/'.join(names)}, which the template does not declare",
        )
    ]


_ARM_TYPES = {"string": str, "int": int, "bool": bool, "object": dict, "array": list, "securestring": str}


def _check_parameters_file(
    declared: dict[str, Any], parameters_file: Any, project: Path, parameters_path: str
) -> list[Finding]:
    findings: list[Finding] = []
    text = (project / parameters_path).read_text(encoding="utf-8")
    supplied = dict(parameters_file.get("parameters", {}))
    for name in sorted(set(supplied) - set(declared)):
        findings.append(
            Finding(parameters_path, _line_of(text, f'"{name}"'), f"{name} is not a parameter of the template")
        )
    for name, spec in sorted(declared.items()):
        if name not in supplied:
            # `passedBy`: a value only a deployment knows (another deployment's output, an
            # identity's object id), which is passed on the command line when deployed.
            if "defaultValue" not in spec and "passedBy" not in spec.get("metadata", {}):
                findings.append(Finding(parameters_path, None, f"required parameter {name} is missing"))
            continue
        entry = supplied[name]
        if "reference" in entry:
            continue
        expected = _ARM_TYPES.get(str(spec.get("type", "")).lower())
        value = entry.get("value")
        if expected is not None and (not isinstance(value, expected) or (expected is int and isinstance(value, bool))):
            findings.append(
                Finding(
                    parameters_path, _line_of(text, f'"{name}"'), f"{name} must be {spec.get('type')}, got {value!r}"
                )
            )
        allowed = spec.get("allowedValues")
        if allowed and value not in allowed:
            findings.append(
                Finding(parameters_path, _line_of(text, f'"{name}"'), f"{name}={value!r} is not one of {allowed}")
            )
        if (
            str(spec.get("type", "")).lower() == "securestring"
            or "password" in name.lower()
            or "secret" in name.lower()
        ):
            findings.append(
                Finding(parameters_path, _line_of(text, f'"{name}"'), f"{name} is a secret; keep it out of the file")
            )
    return findings


def _arm_outputs(project: Path) -> set[str] | None:
    try:
        return set(json.loads((project / ARM_TEMPLATE).read_text(encoding="utf-8")).get("outputs", {}))
    except (OSError, json.JSONDecodeError):
        return None
