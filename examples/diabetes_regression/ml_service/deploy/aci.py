"""Deploy the model to Azure Container Instances: the scoring image in the container group
ACI_DEPLOYMENT_NAME with 1 CPU and 4 GB, reachable at <name>.<location>.azurecontainer.io:5001.
The group pulls the image with the user-assigned identity ACI_IDENTITY_NAME (AcrPull, created by
the IaC); the registry's admin user stays disabled.

Usage: python -m ml_service.deploy.aci --model-json model.json
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from ml_service.deploy.arm import deploy_template, resource_id, template
from ml_service.deploy.model import RegisteredModel, deploy_main
from ml_service.deploy.scoring_image import PORT, Runner, build_and_push, login_server, run_command
from ml_service.settings import Settings, load_settings
from ml_service.workspace import workspace_client

if TYPE_CHECKING:
    from azure.ai.ml import MLClient

CPU = 1.0
MEMORY_GB = 4.0
API_VERSION = "2023-05-01"  # supports imageRegistryCredentials[].identity (pull with a managed identity)
IDENTITY_TYPE = "Microsoft.ManagedIdentity/userAssignedIdentities"


def scoring_uri(settings: Settings) -> str:
    return f"http://{settings.aci_deployment_name}.{settings.location}.azurecontainer.io:{PORT}/score"


def identity_id(settings: Settings) -> str:
    """The resource id (an ARM expression) of the identity the container group pulls with."""
    return resource_id(IDENTITY_TYPE, settings.aci_identity_name)


def container_group(settings: Settings, image: str) -> dict[str, Any]:
    """The ARM template of the container group running `image`, pulled with the ACI identity."""
    name = settings.aci_deployment_name
    identity = identity_id(settings)
    group = {
        "type": "Microsoft.ContainerInstance/containerGroups",
        "apiVersion": API_VERSION,
        "name": name,
        "location": settings.location,
        "tags": {"ModelImage": image},
        "identity": {"type": "UserAssigned", "userAssignedIdentities": {identity: {}}},
        "properties": {
            "osType": "Linux",
            "restartPolicy": "Always",
            "sku": "Standard",
            "imageRegistryCredentials": [{"server": login_server(settings), "identity": identity}],
            "ipAddress": {"type": "Public", "dnsNameLabel": name, "ports": [{"protocol": "TCP", "port": PORT}]},
            "containers": [
                {
                    "name": "scoring",
                    "properties": {
                        "image": image,
                        "ports": [{"protocol": "TCP", "port": PORT}],
                        "resources": {"requests": {"cpu": CPU, "memoryInGB": MEMORY_GB}},
                        "readinessProbe": {"httpGet": {"path": "/", "port": PORT}, "initialDelaySeconds": 10},
                    },
                }
            ],
        },
    }
    outputs = {
        "fqdn": {
            "type": "string",
            "value": f"[reference(resourceId('Microsoft.ContainerInstance/containerGroups', '{name}')).ipAddress.fqdn]",
        }
    }
    return template([group], outputs)


def deploy_model(ml_client: MLClient, settings: Settings, model: RegisteredModel, runner: Runner = run_command) -> str:
    """Build and push the image, then create or update the container group; returns the scoring URI."""
    image = build_and_push(ml_client, settings, model, runner)
    deploy_template(settings, f"{settings.aci_deployment_name}-aci", container_group(settings, image), runner)
    print(f"Container group {settings.aci_deployment_name} runs {image}: {scoring_uri(settings)}")
    return scoring_uri(settings)


def deploy(model: RegisteredModel, args: argparse.Namespace | None = None) -> int:
    settings = load_settings()
    deploy_model(workspace_client(settings), settings, model)
    return 0


def main(argv: list[str] | None = None) -> int:
    return deploy_main(__doc__.splitlines()[0], deploy, argv)


if __name__ == "__main__":
    raise SystemExit(main())
