"""The identity and permission model of a generated repo: every principal that reads or writes a
resource holds a role that grants it, in the IaC of the chosen flavour.

What is needed comes from two places: the table in mlops_scaffold/access.py (rows per option
value), and the ml_service code, whose identity-based datastores need a Storage Blob Data role for
the compute their pipeline runs on. What is granted is read from the IaC (every ARM template and
Terraform root module: the environments', the registry's): the role assignments (ARM
`Microsoft.Authorization/roleAssignments`, Terraform `azurerm_role_assignment`), their principal
(whose identity: a resource's, the deployer's, or one given by object id as a parameter or
variable), scope (which resource) and role, and which resources carry a managed identity. Each need
nobody grants is one finding: `principal -> resource: needs ROLE`; so is a role that access.ONLY
reserves to one principal, held by another.
"""

from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlops_scaffold.access import (
    DEPLOYER,
    GIVEN,
    KUBELET,
    ONLY,
    PRINCIPALS,
    RESOURCES,
    ROLE_IDS,
    USER_ASSIGNED,
    Entity,
    Need,
    grants,
    needs_for,
)
from mlops_scaffold.checks.base import Finding, reads
from mlops_scaffold.checks.iac import (
    ARM_TEMPLATE,
    ARM_TO_VARIABLE,
    TF_DIR,
    TF_TO_VARIABLE,
    Call,
    ExpressionError,
    _calls,
    _expression,
    _line_of,
    _name_segments,
    load_terraform,
)
from mlops_scaffold.checks.iac._common import arm_templates
from mlops_scaffold.checks.iac.terraform import terraform_folders
from mlops_scaffold.project_files import Project, recorded_answers, text_of

ROLE_ASSIGNMENT_ARM = "microsoft.authorization/roleassignments"
ROLE_ASSIGNMENT_TF = "azurerm_role_assignment"


@dataclass
class Grants:
    """What one IaC flavour declares: where each entity is (file, line), whether it has a managed
    identity, and the (principal, resource, role) of every role assignment."""

    declared: dict[str, tuple[str, int | None]] = field(default_factory=dict)  # entity key -> where
    with_identity: set[str] = field(default_factory=set)
    assignments: list[tuple[str, str, str]] = field(default_factory=list)  # principal, resource, role
    problems: list[Finding] = field(default_factory=list)


def _by_arm(entities: dict[str, Entity]) -> dict[tuple[str, str], Entity]:
    return {(entity.arm_type.lower(), entity.arm_name): entity for entity in entities.values() if entity.arm_type}


def _parameter(segment: str) -> str | None:
    match = re.fullmatch(r"parameters\('([^']+)'\)", segment)
    return match.group(1) if match else None


def _arm_entity(node: Any, table: dict[tuple[str, str], Entity]) -> Entity | None:
    """The entity a resourceId(...) inside `node` names: its type and the parameter of its last segment."""
    for call in _calls(node):
        if call.name == "resourceId" and call.args and isinstance(call.args[0], str):
            last = call.args[-1]
            if isinstance(last, Call) and last.name == "parameters" and last.args:
                entity = table.get((call.args[0].lower(), str(last.args[0])))
                if entity is not None:
                    return entity
    return None


def arm_grants(project: Path) -> Grants | None:
    """What the ARM templates (the environments', the registry's) declare, together."""
    if not (project / ARM_TEMPLATE).is_file():
        return None
    found = Grants()
    for template_path in arm_templates(project):
        _template_grants(project, template_path, found)
    return found


def _template_grants(project: Path, template_path: str, found: Grants) -> None:
    text = (project / template_path).read_text(encoding="utf-8")
    try:
        template = json.loads(text)
    except json.JSONDecodeError:
        return  # arm_structure reports it
    principals, resources = _by_arm(PRINCIPALS), _by_arm(RESOURCES)
    variables = template.get("variables", {})
    for resource in template.get("resources", []):
        kind = str(resource.get("type", "")).lower()
        name = str(resource.get("name", ""))
        try:
            parameter = _parameter(_name_segments(name)[-1])
        except ExpressionError:
            continue
        for table in (principals, resources):
            entity = table.get((kind, parameter or ""))
            if entity is not None:
                found.declared[entity.key] = (template_path, _line_of(text, json.dumps(name)))
                if "identity" in resource or entity.identity == USER_ASSIGNED:
                    found.with_identity.add(entity.key)
        if kind == ROLE_ASSIGNMENT_ARM:
            found.assignments.extend(_arm_assignment(resource, variables, principals, resources))


def _arm_assignment(
    resource: dict[str, Any],
    variables: dict[str, Any],
    principals: dict[tuple[str, str], Entity],
    resources: dict[tuple[str, str], Entity],
) -> list[tuple[str, str, str]]:
    properties = resource.get("properties", {})
    try:
        role_node = _expression(str(properties.get("roleDefinitionId", "")))
        for call in _calls(role_node):
            if call.name == "variables" and call.args and str(call.args[0]) in variables:
                role_node = _expression(str(variables[str(call.args[0])]))
        role_ids = [str(arg) for call in _calls(role_node) for arg in call.args if str(arg) in ROLE_IDS]
        principal_node = _expression(str(properties.get("principalId", "")))
        scope_node = _expression(str(resource.get("scope", "")))
    except ExpressionError:
        return []
    if not role_ids:
        return []
    if any(call.name == "deployer" for call in _calls(principal_node)):
        principal = PRINCIPALS["ci_identity"]
    elif isinstance(principal_node, Call) and principal_node.name == "parameters" and principal_node.args:
        principal = _GIVEN_ARM.get(str(principal_node.args[0]))
    else:
        principal = _arm_entity(principal_node, principals)
    scope = None
    if isinstance(scope_node, Call) and scope_node.name == "format" and isinstance(scope_node.args[0], str):
        scope_type = scope_node.args[0].rpartition("/")[0]
        last = scope_node.args[-1]
        if isinstance(last, Call) and last.name == "parameters" and last.args:
            scope = resources.get((scope_type.lower(), str(last.args[0])))
    if principal is None or scope is None:
        return []
    return [(principal.key, scope.key, ROLE_IDS[role_ids[0]])]


# Identities the IaC is given by object id, by the parameter or variable that carries it.
_GIVEN_ARM = {entity.arm_name: entity for entity in PRINCIPALS.values() if entity.identity == GIVEN}
_GIVEN_TF = {entity.tf_name: entity for entity in PRINCIPALS.values() if entity.identity == GIVEN}

_TF_REFERENCE = re.compile(r"\b((?:azurerm|azapi)_[a-z0-9_]+)\.([a-z0-9_]+)\b")
_TF_VAR = re.compile(r"\bvar\.([A-Za-z_][\w-]*)")


def _string(value: Any) -> str:
    while isinstance(value, list) and len(value) == 1:
        value = value[0]
    return str(value).strip('"')


def terraform_grants(project: Path) -> Grants | None:
    """What the Terraform root modules (the environments', the registry's) declare, together."""
    if load_terraform(project, []) is None:
        return None
    found = Grants()
    for folder in terraform_folders(project) or [TF_DIR]:
        _folder_grants(project, folder, found)
    return found


def _folder_grants(project: Path, folder: str, found: Grants) -> None:
    module = load_terraform(project, [], folder)
    if module is None:
        return
    by_tf = {(entity.tf_type, entity.tf_name): entity for entity in (*PRINCIPALS.values(), *RESOURCES.values())}
    addresses: dict[str, Entity] = {}
    for (kind, name), (file, body) in module.resources().items():
        variable = _TF_VAR.search(_string(body.get("name", "")))
        entity = by_tf.get((kind, variable.group(1) if variable else ""))
        if entity is None:
            continue
        addresses[f"{kind}.{name}"] = entity
        found.declared[entity.key] = (file, _line_of(module.texts[file], f'resource "{kind}" "{name}"'))
        if "identity" in body or entity.identity == USER_ASSIGNED:
            found.with_identity.add(entity.key)
    for (kind, _name), (_file, body) in module.resources().items():
        if kind != ROLE_ASSIGNMENT_TF:
            continue
        principal_text = _string(body.get("principal_id", ""))
        scope_text = _string(body.get("scope", ""))
        given = _TF_VAR.fullmatch(principal_text.removeprefix("${").removesuffix("}"))
        if "data.azurerm_client_config." in principal_text:
            principal: Entity | None = PRINCIPALS["ci_identity"]
        elif given:
            principal = _GIVEN_TF.get(given.group(1))
        else:
            match = _TF_REFERENCE.search(principal_text)
            principal = addresses.get(f"{match.group(1)}.{match.group(2)}") if match else None
        match = _TF_REFERENCE.search(scope_text)
        scope = addresses.get(f"{match.group(1)}.{match.group(2)}") if match else None
        role = _string(body.get("role_definition_name", ""))
        if principal is not None and scope is not None and role:
            found.assignments.append((principal.key, scope.key, role))


# --- needs that the ml_service code implies ----------------------------------------------------


def _settings_attribute(node: ast.AST, assigned: dict[str, ast.AST]) -> str | None:
    """`settings.x` (directly or through a local name assigned from it) -> "x"."""
    if isinstance(node, ast.Name) and node.id in assigned:
        node = assigned[node.id]
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "settings":
        return node.attr
    return None


def _entity_of_variable(variable: str, table: dict[str, Entity]) -> Entity | None:
    """The entity whose IaC name input is set from the pipeline variable `variable`."""
    inputs = {name for name, mapped in (*ARM_TO_VARIABLE.items(), *TF_TO_VARIABLE.items()) if mapped == variable}
    for entity in table.values():
        if inputs & {entity.arm_name, entity.tf_name}:
            return entity
    return None


@dataclass(frozen=True)
class CodeNeed:
    need: Need
    path: str
    line: int


def code_needs(project: Path) -> list[CodeNeed]:
    """Identity-based datastores (an AzureBlobDatastore without credentials) in ml_service: the
    compute of the pipeline in the same module reads them, and writes them when an Output names
    `azureml://datastores/`, so it needs a Storage Blob Data role on their storage account."""
    found: list[CodeNeed] = []
    for path in Project.of(project).glob("ml_service/**/*.py"):
        source = text_of(path)
        if "AzureBlobDatastore(" not in source:
            continue  # most modules: no parse needed
        try:
            tree = ast.parse(source)
        except SyntaxError:
            continue  # the ruff check reports it
        assigned = {
            target.id: node.value
            for node in ast.walk(tree)
            if isinstance(node, ast.Assign)
            for target in node.targets
            if isinstance(target, ast.Name)
        }
        computes = [
            attribute
            for node in ast.walk(tree)
            if isinstance(node, ast.keyword) and node.arg == "compute"
            if (attribute := _settings_attribute(node.value, assigned))
        ]
        writes = "Output(" in source and "azureml://datastores/" in source
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and getattr(node.func, "id", "") == "AzureBlobDatastore"):
                continue
            keywords = {keyword.arg: keyword.value for keyword in node.keywords}
            account = _settings_attribute(keywords.get("account_name", ast.Constant(None)), assigned)
            if "credentials" in keywords or account is None:
                continue
            resource = _entity_of_variable(account.upper(), RESOURCES)
            for compute in computes:
                principal = _entity_of_variable(compute.upper(), PRINCIPALS)
                if principal is None or resource is None:
                    continue
                role = "Storage Blob Data Contributor" if writes else "Storage Blob Data Reader"
                why = "run the pipeline that uses its identity-based datastores"
                relative = path.relative_to(project).as_posix()
                found.append(CodeNeed(Need(principal.key, resource.key, role, why), relative, node.lineno))
    return found


# --- the check ----------------------------------------------------------------------------------


@reads("environment_setup/*-templates/**/*", "ml_service/**/*.py", ".copier-answers.yml")
def missing_grants(project: Path) -> list[Finding]:
    """Every need (access.NEEDS for the answers, and the ml_service code's) is granted by the IaC."""
    granted = arm_grants(project) or terraform_grants(project)
    if granted is None:
        return []
    needs = [
        (need, None)
        for need in needs_for(recorded_answers(project))
        if not need.by_platform and (not need.if_own_identity or need.principal in granted.with_identity)
    ]
    needs += [(code.need, code) for code in code_needs(project)]
    findings: list[Finding] = []
    seen: set[tuple[str, str, str]] = set()
    for need, code in needs:
        key = (need.principal, need.resource, need.role)
        if key in seen:
            continue
        seen.add(key)
        assigned = any(
            (principal, resource) == (need.principal, need.resource) and grants(role, need.role)
            for principal, resource, role in granted.assignments
        )
        has_identity = (
            PRINCIPALS[need.principal].identity in (DEPLOYER, GIVEN) or need.principal in granted.with_identity
        )
        if assigned and has_identity:
            continue
        findings.append(_finding(need, code, granted))
    findings.extend(_sole_holders(granted))
    return findings


def _sole_holders(granted: Grants) -> list[Finding]:
    """access.ONLY: a role on a resource that one principal alone may hold."""
    findings = []
    for only in ONLY:
        for principal, resource, role in granted.assignments:
            if resource == only.resource and principal != only.principal and grants(role, only.role):
                where = granted.declared.get(resource, (ARM_TEMPLATE, None))
                message = (
                    f"{PRINCIPALS[principal].title} -> {RESOURCES[resource].title}: holds {role}, "
                    f"but {only.why} ({PRINCIPALS[only.principal].title})"
                )
                findings.append(Finding(where[0], where[1], message))
    return findings


def _finding(need: Need, code: CodeNeed | None, granted: Grants) -> Finding:
    principal, resource = PRINCIPALS[need.principal], RESOURCES[need.resource]
    if code is not None:
        where: tuple[str, int | None] = (code.path, code.line)
    elif need.principal in granted.declared:
        where = granted.declared[need.principal]
    elif need.resource in granted.declared:
        where = granted.declared[need.resource]
    else:
        where = (ARM_TEMPLATE, None)
    if principal.identity not in (DEPLOYER, GIVEN) and need.principal not in granted.declared:
        detail = f"the IaC does not create the {principal.title}"
    elif principal.identity not in (DEPLOYER, USER_ASSIGNED, GIVEN) and need.principal not in granted.with_identity:
        detail = f"the {principal.title} has no managed identity"
    else:
        detail = "no role assignment grants it"
    identity = " (kubelet identity)" if principal.identity == KUBELET else ""
    message = f"{principal.title}{identity} -> {resource.title}: needs {need.role} to {need.why}; {detail}"
    return Finding(where[0], where[1], message)


CHECKS = [missing_grants]
