"""Terraform: each azurerm resource and data source against the provider schema (known type,
known arguments and nested blocks, required ones present, literal types), each azapi_resource's
body against the ARM schema of its type@apiVersion."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from mlops_scaffold.checks.base import Finding
from mlops_scaffold.checks.iac.terraform import load_terraform, passed_on_command_line, terraform_folders, tfvars_files
from mlops_scaffold.checks.iac_schema.arm import NOT_IN_SCHEMAS, api_version_problem, describe
from mlops_scaffold.checks.iac_schema.arm_schema import UNKNOWN, SchemaStore

META_ARGUMENTS = {"count", "for_each", "provider", "depends_on", "lifecycle", "provisioner", "connection"}
_PURE_VAR = re.compile(r"^\$\{var\.([A-Za-z_][\w-]*)\}$")


class _Locator:
    """Lines of a block's arguments, found in the text after the block's header."""

    def __init__(self, text: str, kind: str, resource_type: str, name: str) -> None:
        self.text = text
        header = re.search(rf'^[ \t]*{kind}\s+"{re.escape(resource_type)}"\s+"{re.escape(name)}"', text, re.MULTILINE)
        self.start = header.start() if header else 0
        self.found = header is not None

    def line(self, path: tuple[Any, ...]) -> int | None:
        if not self.found:
            return None
        position = self.start
        for part in path:
            if not isinstance(part, str):
                continue
            match = re.compile(rf"(?<![\w.]){re.escape(part)}\s*[={{]").search(self.text, position)
            if match is None:
                break
            position = match.start()
        return self.text.count("\n", 0, position) + 1


def _literal_kind(value: Any) -> str | None:
    """The type of a literal HCL value as python-hcl2 gives it, or None for an expression."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        if "${" in value or not (len(value) >= 2 and value[0] == value[-1] == '"'):
            return None
        return "string"
    if isinstance(value, list):
        return "list"
    if isinstance(value, dict):
        return "map"
    return None


def _type_problem(expected: str, value: Any) -> str | None:
    kind = _literal_kind(value)
    if kind is None or expected == "any" or kind == expected:
        return None
    text = value[1:-1] if kind == "string" else None
    if expected == "string" and kind in {"number", "bool"}:
        return None  # Terraform converts primitives to strings
    if expected == "number" and text is not None and re.fullmatch(r"-?\d+(\.\d+)?", text):
        return None
    if expected == "bool" and text in {"true", "false"}:
        return None
    if expected == "list" and kind == "list":
        return None
    return f"expects a {expected}, got {kind} {value}"


def check_terraform(project: Path, schema: dict[str, Any] | None, store: SchemaStore | None) -> list[Finding]:
    findings: list[Finding] = []
    for folder in terraform_folders(project):  # the environments' root module, and the registry's
        findings.extend(_check_folder(project, folder, schema, store))
    return list(dict.fromkeys(findings))


def _check_folder(
    project: Path, folder: str, schema: dict[str, Any] | None, store: SchemaStore | None
) -> list[Finding]:
    findings: list[Finding] = []
    module = load_terraform(project, [], folder)  # parse errors are iac.terraform_structure's findings
    if module is None:
        return []
    # A variable must have a value in every environment's values file (ADR 28), or a default.
    others = [load_terraform(project, [], folder, name) for name in tfvars_files(project, folder)[1:]]
    variables = module.named("variable")
    assigned = set(module.tfvars)
    for kind, section in (("resource", "resources"), ("data", "data")):
        for (resource_type, name), (file, body) in module.resources(kind).items():
            locator = _Locator(module.texts.get(file, ""), kind, resource_type, name)
            label = f"{'data.' if kind == 'data' else ''}{resource_type}.{name}"

            def finding(path: tuple[Any, ...], message: str, *, file: str = file, locator: Any = locator) -> None:
                findings.append(Finding(file, locator.line(path), message))

            if resource_type == "azapi_resource" and kind == "resource" and store is not None:
                _check_azapi(body, label, store, finding)
            if schema is None or not resource_type.startswith("azurerm_"):
                continue
            fqn = schema[section].get(resource_type)
            if fqn is None:
                finding((), f"{label}: unknown {'data source' if kind == 'data' else 'resource'} type {resource_type}")
                continue
            for path, message in _check_block(body, fqn, schema["structs"], (), top=True):
                finding(path, f"{label}: {message}")
            for argument, value in body.items():
                match = _PURE_VAR.match(value) if isinstance(value, str) else None
                variable = match.group(1) if match else None
                declared = variables.get(variable or "")
                unset = variable not in assigned or any(other and variable not in other.tfvars for other in others)
                if declared and unset and "default" not in declared[1] and not passed_on_command_line(declared[1]):
                    message = f'argument "{argument}" comes from var.{variable}, which has no value or default'
                    finding((argument,), f"{label}: {message}")
    return findings


def _check_block(
    body: dict[str, Any], fqn: str, structs: dict[str, Any], path: tuple[str, ...], *, top: bool = False
) -> list[tuple[tuple[str, ...], str]]:
    struct = structs[fqn]
    problems: list[tuple[tuple[str, ...], str]] = []
    for key, value in body.items():
        if key.startswith("__") or (top and key in META_ARGUMENTS) or key == "dynamic":
            continue
        where = (*path, key)
        dotted = ".".join(where)
        is_block = isinstance(value, list) and all(isinstance(i, dict) and i.get("__is_block__") for i in value)
        if key in struct["blocks"]:
            target = struct["blocks"][key][0]
            if not is_block:
                problems.append((where, f'"{dotted}" is a block, not an argument'))
                continue
            for item in value:
                problems.extend(_check_block(item, target, structs, where))
        elif key in struct["args"]:
            if is_block and value:
                problems.append((where, f'"{dotted}" is an argument, not a block'))
            elif message := _type_problem(struct["args"][key][0], value):
                problems.append((where, f'argument "{dotted}" {message}'))
        else:
            problems.append((where, f'unknown {"block" if is_block else "argument"} "{dotted}"'))
    for key, (_, required) in struct["args"].items():
        if required and key not in body:
            problems.append((path, f'missing required argument "{".".join((*path, key))}"'))
    for key, (_, required) in struct["blocks"].items():
        if required and key not in body:
            problems.append((path, f'missing required block "{".".join((*path, key))}"'))
    return problems


def _plain(value: Any) -> Any:
    """An HCL value as the JSON Azure receives; references are only known at apply time."""
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items() if not key.startswith("__")}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, str):
        if "${" in value or not (len(value) >= 2 and value[0] == value[-1] == '"'):
            return UNKNOWN
        return value[1:-1]
    return value


def _check_azapi(body: dict[str, Any], label: str, store: SchemaStore, finding: Any) -> None:
    type_value = _plain(body.get("type"))
    if not isinstance(type_value, str) or "@" not in type_value:
        finding(("type",), f'{label}: "type" must be a literal "<resource type>@<API version>"')
        return
    resource_type, _, version = type_value.partition("@")
    if resource_type.lower() in NOT_IN_SCHEMAS:
        return
    if too_old := api_version_problem(store, resource_type, version):
        finding(("type",), f"{label}: {too_old}")
    found = store.definition(resource_type, version)
    if found is None:
        finding(("type",), f"{label}: no ARM schema for {resource_type} at API version {version}")
        return
    payload = _plain(body.get("body", {}))
    if not isinstance(payload, dict):
        return
    for problem in store.validate(payload, [found]):
        if len(problem.path) == 1 and problem.message == "missing required property":
            continue  # name, type and apiVersion come from azapi's own arguments
        finding(("body", *problem.path), f"{label}: body {describe(problem)}")
