"""Security defaults the generated IaC must keep: HTTPS-only storage with TLS 1.2 and no
public blobs, Key Vaults with soft delete, purge protection and RBAC, and never a container
registry admin user; each deployment target adds its own rows from its module. Checked on the
ARM templates and on the Terraform resources alike (an azapi body is held to the ARM rows), so
neither flavour can drift to a weaker default.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from mlops_scaffold import targets
from mlops_scaffold.checks.base import Finding, reads
from mlops_scaffold.checks.iac._common import _line_of, _unquote, arm_templates
from mlops_scaffold.checks.iac.terraform import load_terraform, terraform_folders
from mlops_scaffold.model import SecureDefault

# (ARM type, property path, required value, why) and (Terraform type, attribute, required value, why)
ARM_SECURE_DEFAULTS: tuple[SecureDefault, ...] = (
    ("Microsoft.ContainerRegistry/registries", "properties.adminUserEnabled", False,
     "admin user enabled; pull with managed identities and AcrPull instead"),
    ("Microsoft.Storage/storageAccounts", "properties.supportsHttpsTrafficOnly", True, "must be HTTPS only"),
    ("Microsoft.Storage/storageAccounts", "properties.minimumTlsVersion", "TLS1_2", "minimum TLS must be 1.2"),
    ("Microsoft.Storage/storageAccounts", "properties.allowBlobPublicAccess", False, "public blob access must be off"),
    ("Microsoft.KeyVault/vaults", "properties.enableSoftDelete", True, "soft delete must be on"),
    ("Microsoft.KeyVault/vaults", "properties.enablePurgeProtection", True, "purge protection must be on"),
    ("Microsoft.KeyVault/vaults", "properties.enableRbacAuthorization", True, "must use RBAC authorization"),
    ("Microsoft.MachineLearningServices/registries",
     "properties.regionDetails.storageAccountDetails.systemCreatedStorageAccount.allowBlobPublicAccess", False,
     "its storage must not allow public blob access"),
    *targets.collect("ARM_SECURE_DEFAULTS"),  # each deployment target's, from its module
)  # fmt: skip
TF_SECURE_DEFAULTS: tuple[SecureDefault, ...] = (
    ("azurerm_container_registry", "admin_enabled", False,
     "admin user enabled; pull with managed identities and AcrPull instead"),
    ("azurerm_storage_account", "https_traffic_only_enabled", True, "must be HTTPS only"),
    ("azurerm_storage_account", "min_tls_version", "TLS1_2", "minimum TLS must be 1.2"),
    ("azurerm_storage_account", "allow_nested_items_to_be_public", False, "public blob access must be off"),
    ("azurerm_key_vault", "purge_protection_enabled", True, "purge protection must be on"),
    ("azurerm_key_vault", "enable_rbac_authorization|rbac_authorization_enabled", True, "must use RBAC authorization"),
    *targets.collect("TF_SECURE_DEFAULTS"),  # each deployment target's, from its module
)  # fmt: skip


def _single(value: Any) -> Any:
    """A one-element list (python-hcl2 wraps blocks and values in them) as its element."""
    while isinstance(value, list) and len(value) == 1:
        value = value[0]
    return value


def _dig(value: Any, path: str) -> Any:
    for key in path.split("."):
        value = _single(value)
        if not isinstance(value, dict) or key not in value:
            return None
        value = value[key]
    return _unquote(_single(value))


def _same(actual: Any, expected: Any) -> bool:
    if isinstance(expected, bool):
        return actual is expected or str(actual).lower() == str(expected).lower()
    return actual == expected


def _first(value: Any) -> Any:
    value = _single(value)
    return value if isinstance(value, dict) else {}


def _arm_problems(resource: dict[str, Any]) -> list[tuple[str, str]]:
    """(the property's key, why) for each ARM secure default the resource breaks."""
    problems = []
    for resource_type, path, expected, why in ARM_SECURE_DEFAULTS:
        if str(resource.get("type", "")).lower() != resource_type.lower():
            continue
        if not _same(_dig(resource, path), expected):
            problems.append((path.rsplit(".", 1)[-1], f"{resource_type} {resource.get('name')}: {why}"))
    return problems


@reads("environment_setup/**/*")
def secure_defaults(project: Path) -> list[Finding]:
    """Security settings the issue requires; an enabled registry admin user is always caught."""
    findings: list[Finding] = []
    for template_path in arm_templates(project):
        if not (project / template_path).is_file():
            continue
        text = (project / template_path).read_text(encoding="utf-8")
        try:
            template = json.loads(text)
        except json.JSONDecodeError:
            template = {}
        for resource in template.get("resources", []):
            for problem in _arm_problems(resource):
                findings.append(Finding(template_path, _line_of(text, f'"{problem[0]}"'), problem[1]))
    scratch: list[Finding] = []
    for folder in terraform_folders(project):  # the environments' root module, and the registry's
        module = load_terraform(project, scratch, folder)
        if module is None:
            continue
        for (resource_type, name), (relative, body) in module.resources().items():
            if resource_type == "azapi_resource":  # an ARM resource body: held to the ARM rows
                arm_type = str(_unquote(body.get("type", ""))).partition("@")[0]
                arm_body = {"type": arm_type, "name": f"{resource_type}.{name}", **_first(body.get("body", {}))}
                line = _line_of(module.texts[relative], f'resource "{resource_type}" "{name}"')
                findings.extend(Finding(relative, line, why) for _, why in _arm_problems(arm_body))
            for wanted_type, path, expected, why in TF_SECURE_DEFAULTS:
                if resource_type != wanted_type:
                    continue
                actual = next((_dig(body, name) for name in path.split("|") if _dig(body, name) is not None), None)
                if not _same(actual, expected):
                    line = _line_of(module.texts[relative], f'resource "{resource_type}" "{name}"')
                    findings.append(Finding(relative, line, f"{resource_type}.{name}: {why}"))
    return findings
