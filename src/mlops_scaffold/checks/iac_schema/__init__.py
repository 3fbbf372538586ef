"""IaC that Azure would accept: the generated ARM template and Terraform checked against Azure's
published ARM resource schemas and the azurerm provider's own schema (see locate.py for where they
come from). Finds what `az deployment group create` or `terraform plan` would reject first: an
unknown property or argument, a wrong enum value, a missing required argument, a misspelled nested
block, and API versions that have fallen more than two years behind the newest stable one.

Without a reference the check says so in one line: a finding in CI (CI=true), a warning otherwise,
so a machine without the reference data can still run the other checks.
"""

from __future__ import annotations

import os
import sys
from functools import cache
from pathlib import Path

from mlops_scaffold.checks.base import Finding, content_key, keyed_by
from mlops_scaffold.checks.iac._common import ARM_TEMPLATE
from mlops_scaffold.checks.iac_schema import arm, azurerm_schema, terraform
from mlops_scaffold.checks.iac_schema.arm_schema import SchemaStore
from mlops_scaffold.checks.iac_schema.locate import AZURERM_PACKAGE_VERSION, arm_schema_dir, azurerm_assembly

READS = ("environment_setup/arm-templates/*", "environment_setup/tf-templates/**/*")  # the registry's module too


@cache
def _store(root: Path) -> SchemaStore:
    return SchemaStore(root)


def references_key() -> str:
    # Findings depend on the references too: a run without them must not be cached as clean.
    azurerm = AZURERM_PACKAGE_VERSION if azurerm_assembly() else None
    return f"arm={arm_schema_dir()};azurerm={azurerm};ci={bool(os.environ.get('CI'))}"


_warned: set[str] = set()


def _missing(what: str, hint: str) -> list[Finding]:
    message = f"{what} not found ({hint}): not checked"
    if os.environ.get("CI"):
        return [Finding("environment_setup", None, message)]
    if message not in _warned:
        _warned.add(message)
        print(f"mlops-scaffold: {message}", file=sys.stderr)
    return []


_ARM_HINT = "put them in ../shared/schemas/arm beside the checkout or set MLOPS_SCAFFOLD_ARM_SCHEMAS"
_AZURERM_HINT = "run `make azurerm-schema` or set MLOPS_SCAFFOLD_AZURERM_JSII"


@keyed_by(lambda project: content_key(project, READS, salt=references_key()))
def iac_schemas(project: Path) -> list[Finding]:
    """ARM resources and parameters, Terraform resources, data sources and azapi bodies against
    the vendors' schemas; API versions within two years of the newest stable one."""
    has_arm = (project / ARM_TEMPLATE).is_file()
    has_terraform = (project / "environment_setup" / "tf-templates").is_dir()
    if not (has_arm or has_terraform):
        return []
    findings: list[Finding] = []
    schema_dir = arm_schema_dir()
    store = _store(schema_dir) if schema_dir else None
    if store is None:
        findings += _missing("Azure ARM resource schemas", _ARM_HINT)
    elif has_arm:
        findings += arm.check_template(project, store)
    if has_terraform:
        assembly = azurerm_assembly()
        if assembly is None:
            what = f"azurerm provider schema (cdktf-cdktf-provider-azurerm=={AZURERM_PACKAGE_VERSION})"
            findings += _missing(what, _AZURERM_HINT)
        schema = azurerm_schema.load(assembly) if assembly else None
        findings += terraform.check_terraform(project, schema, store)
    return findings


CHECKS = [iac_schemas]
