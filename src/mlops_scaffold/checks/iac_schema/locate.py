"""Where the reference schemas are: Azure's ARM resource schemas and the azurerm provider schema.

Neither is part of this repository. The ARM schemas are reference data in the `shared/schemas/arm`
folder beside the checkout (or $MLOPS_SCAFFOLD_ARM_SCHEMAS); the azurerm schema is the jsii
assembly inside the `cdktf-cdktf-provider-azurerm` wheel, installed by `make azurerm-schema` into
its own venv (or $MLOPS_SCAFFOLD_AZURERM_JSII, the .jsii.tgz itself).
"""

from __future__ import annotations

import os
from pathlib import Path

from mlops_scaffold.venvs import CACHE_ROOT, CHECKOUT_ROOT

AZURERM_PACKAGE = "cdktf-cdktf-provider-azurerm"
AZURERM_PACKAGE_VERSION = "14.23.1"  # generated from hashicorp/azurerm 4.55.0; the template pins ~> 4.0
AZURERM_VENV = CHECKOUT_ROOT / ".cache" / "azurerm-schema-venv"
SCHEMA_CACHE = CACHE_ROOT / "iac-schema"  # what we extract from the references, keyed by their version


def arm_schema_dir() -> Path | None:
    """The folder of `<apiVersion>/<Provider>.json` files, or None when it is absent."""
    configured = os.environ.get("MLOPS_SCAFFOLD_ARM_SCHEMAS")
    folder = Path(configured) if configured else CHECKOUT_ROOT.parent / "shared" / "schemas" / "arm"
    return folder if (folder / "common" / "definitions.json").is_file() else None


def azurerm_assembly() -> Path | None:
    """The provider-azurerm jsii assembly (.jsii.tgz), or None when the package is not installed."""
    configured = os.environ.get("MLOPS_SCAFFOLD_AZURERM_JSII")
    if configured:
        return Path(configured) if Path(configured).is_file() else None
    venv = Path(os.environ.get("MLOPS_SCAFFOLD_AZURERM_VENV", AZURERM_VENV))
    name = f"provider-azurerm@{AZURERM_PACKAGE_VERSION}.jsii.tgz"
    found = sorted(venv.glob(f"lib/python3*/site-packages/cdktf_cdktf_provider_azurerm/_jsii/{name}"))
    return found[0] if found else None
