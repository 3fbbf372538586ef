"""Security defaults the generated IaC must keep: HTTPS-only storage with TLS 1.2 and no
public blobs, Key Vaults with soft delete, purge protection and RBAC, and never a container
registry admin user; each deployment target adds its own rows from its module. Checked on the
ARM template and on the Terraform resources alike, so neither flavour can drift to a weaker default.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from mlops_scaffold import targets
from mlops_scaffold.checks.base import Finding, reads
from mlops_scaffold.checks.iac._common import ARM_TEMPLATE, _line_of, _unquote
from mlops_scaffold.checks.iac.terraform import load_terraform
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


def _dig(value: Any, path: str) -> Any:
    for key in path.split("."):
        while isinstance(value, list) and len(value) == 1:
            value = value[0]
        if not isinstance(value, dict) or key not in value:
            return None
        value = value[key]
    while isinstance(value, list) and len(value) == 1:
        value = value[0]
    return _unquote(value)


def _same(actual: Any, expected: Any) -> bool:
    if isinstance(expected, bool):
        return actual is expected or str(actual).lower() == str(expected).lower()
    return actual == expected


@reads("environment_setup/**/*")
def secure_defaults(project: Path) -> list[Finding]:
    """Security settings the issue requires; an enabled registry admin user is always caught."""
    findings: list[Finding] = []
    if (project / ARM_TEMPLATE).is_file():
        try:
            template = json.loads((project / ARM_TEMPLATE).read_text(encoding="utf-8"))
        except json.JSONDecodeError:
            template = {}
        text = (project / ARM_TEMPLATE).read_text(encoding="utf-8")
        for resource in template.get("resources", []):
            for resource_type, path, expected, why in ARM_SECURE_DEFAULTS:
                if str(resource.get("type", "")).lower() != resource_type.lower():
                    continue
                actual = _dig(resource, path)
                if not _same(actual, expected):
                    key = path.rsplit(".", 1)[-1]
                    findings.append(
                        Finding(
                            ARM_TEMPLATE, _line_of(text, f'"{key}"'), f"{resource_type} {resource.get('name')}: {why}"
                        )
                    )
    scratch: list[Finding] = []
    module = load_terraform(project, scratch)
    if module is not None:
        for (resource_type, name), (relative, body) in module.resources().items():
            for wanted_type, path, expected, why in TF_SECURE_DEFAULTS:
                if resource_type != wanted_type:
                    continue
                actual = next((_dig(body, name) for name in path.split("|") if _dig(body, name) is not None), None)
                if not _same(actual, expected):
                    line = _line_of(module.texts[relative], f'resource "{resource_type}" "{name}"')
                    findings.append(Finding(relative, line, f"{resource_type}.{name}: {why}"))
    return findings
