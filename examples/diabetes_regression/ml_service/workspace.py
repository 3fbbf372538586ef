"""The Azure ML workspace client, created on demand from the settings and DefaultAzureCredential."""

from __future__ import annotations

import shutil
import subprocess
from typing import TYPE_CHECKING

from ml_service.settings import MissingSettingError, Settings

if TYPE_CHECKING:
    from azure.ai.ml import MLClient


def subscription_id(settings: Settings) -> str:
    """AZURE_SUBSCRIPTION_ID, or the Azure CLI's current subscription (as in a pipeline's Azure CLI task)."""
    if settings.azure_subscription_id:
        return settings.azure_subscription_id
    az = shutil.which("az")
    if az:
        result = subprocess.run(
            [az, "account", "show", "--query", "id", "--output", "tsv"], capture_output=True, text=True, check=False
        )
        if result.returncode == 0 and result.stdout.strip():
            return result.stdout.strip()
    raise MissingSettingError(
        "Missing setting AZURE_SUBSCRIPTION_ID (Subscription that holds the resource group): "
        "set it in the environment or in .env, or log in with `az login`"
    )


def workspace_client(settings: Settings) -> MLClient:
    """An MLClient for the workspace; the credential is resolved on first use, not here."""
    from azure.ai.ml import MLClient
    from azure.identity import DefaultAzureCredential

    return MLClient(
        credential=DefaultAzureCredential(),
        subscription_id=subscription_id(settings),
        resource_group_name=settings.resource_group,
        workspace_name=settings.workspace_name,
    )


def registry_client(registry_name: str) -> MLClient:
    """An MLClient for an Azure ML registry (a promoted model lives there, not in a workspace)."""
    from azure.ai.ml import MLClient
    from azure.identity import DefaultAzureCredential

    return MLClient(credential=DefaultAzureCredential(), registry_name=registry_name)
