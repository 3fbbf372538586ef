"""Deploying an ARM template with the Azure CLI: the way the targets outside Azure ML create their
resources.

No registry credentials pass through here: the registry's admin user is disabled, and each target
pulls the scoring image with the managed identity the IaC gives AcrPull.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from ml_service.settings import Settings

ARM_SCHEMA = "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#"


def template(
    resources: list[dict[str, Any]], outputs: dict[str, Any], parameters: dict[str, Any] | None = None
) -> dict[str, Any]:
    document: dict[str, Any] = {"$schema": ARM_SCHEMA, "contentVersion": "1.0.0.0"}
    if parameters:
        document["parameters"] = parameters
    return {**document, "resources": resources, "outputs": outputs}


def resource_id_call(resource_type: str, name: str) -> str:
    """The ARM function call giving a resource's id in the deployment's resource group."""
    return f"resourceId('{resource_type}', '{name}')"


def resource_id(resource_type: str, name: str) -> str:
    """A resource's id as an ARM expression (a whole property value)."""
    return f"[{resource_id_call(resource_type, name)}]"


def deploy_command(
    settings: Settings, name: str, template_file: Path, parameters: dict[str, str] | None = None
) -> list[str]:
    values = [f"{key}={value}" for key, value in (parameters or {}).items()]
    return [
        "az",
        "deployment",
        "group",
        "create",
        "--resource-group",
        settings.resource_group,
        "--name",
        name,
        "--template-file",
        str(template_file),
        *(["--parameters", *values] if values else []),
    ]


def deploy_template(
    settings: Settings, name: str, document: dict[str, Any], runner: Any, parameters: dict[str, str] | None = None
) -> None:
    """Write `document` to a file and hand exactly that file (and `parameters`) to `az deployment group create`."""
    with tempfile.TemporaryDirectory() as folder:
        template_file = Path(folder) / f"{name}.json"
        template_file.write_text(json.dumps(document, indent=2), encoding="utf-8")
        runner(deploy_command(settings, name, template_file, parameters))
