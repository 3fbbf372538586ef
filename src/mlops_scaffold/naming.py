"""Azure naming rules for the answers, and the resource names derived from `base_name`.

The rules and their types live in rules.py (re-exported here); a deployment target's own rules and
derived names live in its module (mlops_scaffold/targets/<target>.py) and are collected here.
"""

from __future__ import annotations

from mlops_scaffold import targets
from mlops_scaffold.rules import (
    AML_ASSET_NAME,
    AML_COMPUTE_NAME,
    BASE_NAME,
    CONTROL_CHARACTERS,
    CONTROL_MESSAGE,
    DATABRICKS_CLUSTER_ID,
    DEVOPS_NAME,
    ENDPOINT_NAME,
    LOCATION_DISPLAY_NAME,
    LOCATION_UNKNOWN,
    PROJECT_NAME,
    RESOURCE_GROUP,
    SAMPLE_NAME,
    WORKSPACE_NAME,
    DerivedName,
    Region,
    Rule,
    azure_regions,
    check_location,
    control_problem,
    region_codes,
)

# The rules of the names Azure gives these resources; base_name's rule guarantees all of them.
_CORE: tuple[DerivedName, ...] = (
    DerivedName(
        "storage_account_name",
        "amlsa",
        True,
        Rule("^[a-z0-9]{3,24}$", "be 3–24 lowercase letters/digits"),
        "Workspace storage account",
    ),
    DerivedName(
        "key_vault_name",
        "-AML-KV",
        False,
        Rule("^[a-zA-Z](?!.*--)[-a-zA-Z0-9]{1,22}[a-zA-Z0-9]$", "be 3–24 alphanumerics/-, letter first"),
        "Key Vault",
    ),
    DerivedName(
        "container_registry_name",
        "amlcr",
        True,
        Rule("^[a-z0-9]{5,50}$", "be 5–50 lowercase letters/digits"),
        "Container registry",
    ),
    DerivedName(
        "application_insights_name",
        "-AML-AI",
        False,
        Rule("^[-a-zA-Z0-9_.()]{1,255}$", "be 1–255 characters"),
        "Application Insights",
    ),
    DerivedName(
        "log_analytics_name",
        "-AML-LA",
        False,
        Rule("^[a-zA-Z0-9][-a-zA-Z0-9]{2,61}[a-zA-Z0-9]$", "be 4–63 alphanumerics/-"),
        "Log Analytics workspace",
    ),
    DerivedName(
        "tf_state_storage_name",
        "statestor",
        True,
        Rule("^[a-z0-9]{3,24}$", "be 3–24 lowercase letters/digits"),
        "Terraform state storage account",
    ),
    DerivedName(
        "scoring_storage_name",
        "scoresa",
        True,
        Rule("^[a-z0-9]{3,24}$", "be 3–24 lowercase letters/digits"),
        "Batch-scoring storage account",
    ),
)


_OPTIONS: tuple[DerivedName, ...] = (
    # Created by the IaC only when their option is selected.
    DerivedName(
        "databricks_workspace_name",
        "-AML-DBW",
        False,
        Rule("^[-_a-zA-Z0-9]{3,64}$", "be 3–64 alphanumerics/-_"),
        "Databricks workspace",
    ),
    DerivedName(
        "aml_registry_name",
        "-AML-REG",
        False,
        Rule("^[a-zA-Z0-9][-a-zA-Z0-9_]{2,32}$", "be 3–33 alphanumerics/-_, letter or digit first"),
        "Azure ML registry between the environments' workspaces",
        shared=True,
    ),
    DerivedName(
        "registry_state_storage_name",
        "regstate",
        True,
        Rule("^[a-z0-9]{3,24}$", "be 3–24 lowercase letters/digits"),
        "Terraform state storage of the Azure ML registry",
        shared=True,
    ),
)


# The core names, then the names of the targets' own resources (created by the IaC only when the
# target is selected) in the order of what they name, then those of the other options.
DERIVED_NAMES: tuple[DerivedName, ...] = (
    *_CORE,
    *sorted(targets.collect("DERIVED_NAMES"), key=lambda name: name.meaning),
    *_OPTIONS,
)


# The names each environment has its own of (ADR 28).
PER_ENVIRONMENT_DERIVED: tuple[DerivedName, ...] = tuple(name for name in DERIVED_NAMES if not name.shared)


def derived_names(base_name: str) -> dict[str, str]:
    """Every name computed from base_name, keyed as the template sees them."""
    return {name.key: name.value(base_name) for name in DERIVED_NAMES}


__all__ = [
    "AML_ASSET_NAME",
    "AML_COMPUTE_NAME",
    "BASE_NAME",
    "CONTROL_CHARACTERS",
    "CONTROL_MESSAGE",
    "DATABRICKS_CLUSTER_ID",
    "DERIVED_NAMES",
    "DEVOPS_NAME",
    "ENDPOINT_NAME",
    "LOCATION_DISPLAY_NAME",
    "LOCATION_UNKNOWN",
    "PER_ENVIRONMENT_DERIVED",
    "PROJECT_NAME",
    "RESOURCE_GROUP",
    "SAMPLE_NAME",
    "WORKSPACE_NAME",
    "DerivedName",
    "Region",
    "Rule",
    "azure_regions",
    "check_location",
    "control_problem",
    "derived_names",
    "region_codes",
]
