"""Deploy the model to Azure Container Instances: the scoring image in the container group
ACI_DEPLOYMENT_NAME with 1 CPU and 4 GB, a private test target: it has no public address, only a
private IP in the subnet `scoring` of the virtual network <ACI_DEPLOYMENT_NAME>-vnet (created by the
IaC), reachable at http://<private ip>:5001/score from inside that network only.
The group pulls the image with the user-assigned identity ACI_IDENTITY_NAME (AcrPull, created by
the IaC); the registry's admin user stays disabled.

Every scored request's inputs and outputs are appended to the workspace's file share, mounted at
/mnt/collected (ml_service/deploy/collected_logs.py), for the drift-retraining pipeline.

The smoke test runs inside the network too: a one-shot container group in the same subnet posts the
sample rows to the private address and exits 0 or 1 (`python -m ml_service.smoke_test --target aci`).

Usage: python -m ml_service.deploy.aci --model-json model.json
"""

from __future__ import annotations

import argparse
import subprocess
import time
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from ml_service.deploy import collected_logs
from ml_service.deploy.arm import deploy_template, resource_id, template
from ml_service.deploy.model import RegisteredModel, deploy_main
from ml_service.deploy.scoring_image import (
    PORT,
    Runner,
    build_and_push,
    image_build_entity,
    login_server,
    run_command,
)
from ml_service.settings import Settings, load_settings
from ml_service.workspace import workspace_client

if TYPE_CHECKING:
    from azure.ai.ml import MLClient

    from ml_service.deploy.endpoints import ScoringService

# Azure ML cannot monitor this target: its scoring container writes collected logs, a scheduled
# pipeline monitors them (ml_service/monitoring.py).
MONITORED_FROM_LOGS = True
CPU = 1.0
MEMORY_GB = 4.0
API_VERSION = "2023-05-01"  # supports imageRegistryCredentials[].identity (pull with a managed identity)
IDENTITY_TYPE = "Microsoft.ManagedIdentity/userAssignedIdentities"
SUBNET = "scoring"  # delegated to Microsoft.ContainerInstance/containerGroups by the IaC
PROBE_POLLS, PROBE_POLL_SECONDS = 60, 5.0
# What the in-network smoke test runs with the scoring image's Python: exit 0 only for 2 predictions.
PROBE_SCRIPT = (
    "import json, sys, urllib.request\n"
    "body = json.dumps({'data': [list(range(1, 11)), list(range(10, 0, -1))]}).encode()\n"
    "request = urllib.request.Request(sys.argv[1], data=body, headers={'Content-Type': 'application/json'})\n"
    "answer = json.loads(urllib.request.urlopen(request, timeout=60).read())\n"
    "sys.exit(0 if len(answer.get('result', [])) == 2 else f'expected 2 predictions, got {answer}')\n"
)

Output = Callable[[Sequence[str]], str]


def az_output(command: Sequence[str]) -> str:
    """The standard output of an Azure CLI query (no secrets are queried), stripped."""
    return subprocess.run(list(command), check=True, text=True, capture_output=True).stdout.strip()


def vnet_name(settings: Settings) -> str:
    """The virtual network the IaC creates for the container group (<ACI_DEPLOYMENT_NAME>-vnet)."""
    return f"{settings.aci_deployment_name}-vnet"


def subnet_id(settings: Settings) -> str:
    """The ARM expression of the delegated subnet's resource id."""
    return f"[resourceId('Microsoft.Network/virtualNetworks/subnets', '{vnet_name(settings)}', '{SUBNET}')]"


def scoring_uri(ip: str) -> str:
    return f"http://{ip}:{PORT}/score"


def private_uri(settings: Settings, output: Output | None = None) -> str:
    """The scoring URI at the container group's private IP."""
    name = settings.aci_deployment_name
    query = ["az", "container", "show", "-g", settings.resource_group, "-n", name, "--query", "ipAddress.ip"]
    ip = (output or az_output)([*query, "-o", "tsv"])
    return scoring_uri(ip)


def identity_id(settings: Settings) -> str:
    """The resource id (an ARM expression) of the identity the container group pulls with."""
    return resource_id(IDENTITY_TYPE, settings.aci_identity_name)


def group_resource(settings: Settings, name: str, image: str, container: dict[str, Any]) -> dict[str, Any]:
    """A container group in the delegated subnet, pulling `image` with the ACI identity."""
    identity = identity_id(settings)
    return {
        "type": "Microsoft.ContainerInstance/containerGroups",
        "apiVersion": API_VERSION,
        "name": name,
        "location": settings.location,
        "tags": {"ModelImage": image},
        "identity": {"type": "UserAssigned", "userAssignedIdentities": {identity: {}}},
        "properties": {
            "osType": "Linux",
            "sku": "Standard",
            "imageRegistryCredentials": [{"server": login_server(settings), "identity": identity}],
            "subnetIds": [{"id": subnet_id(settings), "name": SUBNET}],
            "containers": [container],
        },
    }


def container_group(settings: Settings, image: str) -> dict[str, Any]:
    """The ARM template of the container group running `image`: private IP only, no DNS name."""
    name = settings.aci_deployment_name
    group = group_resource(
        settings,
        name,
        image,
        {
            "name": "scoring",
            "properties": {
                "image": image,
                "ports": [{"protocol": "TCP", "port": PORT}],
                "resources": {"requests": {"cpu": CPU, "memoryInGB": MEMORY_GB}},
                "readinessProbe": {"httpGet": {"path": "/", "port": PORT}, "initialDelaySeconds": 10},
                "environmentVariables": [{"name": "SCORING_COLLECT_LOG", "value": collected_logs.log_path("aci")}],
                "volumeMounts": [{"name": "collected", "mountPath": collected_logs.MOUNT}],
            },
        },
    )
    group["properties"]["restartPolicy"] = "Always"
    group["properties"]["volumes"] = [
        {
            "name": "collected",
            "azureFile": {
                "shareName": f"[parameters('{collected_logs.SHARE}')]",
                "storageAccountName": f"[parameters('{collected_logs.ACCOUNT}')]",
                "storageAccountKey": collected_logs.account_key(),
            },
        }
    ]
    group["properties"]["ipAddress"] = {"type": "Private", "ports": [{"protocol": "TCP", "port": PORT}]}
    outputs = {
        "privateIp": {
            "type": "string",
            "value": f"[reference(resourceId('Microsoft.ContainerInstance/containerGroups', '{name}')).ipAddress.ip]",
        }
    }
    return template([group], outputs, collected_logs.template_parameters())


def probe_group(settings: Settings, image: str, url: str) -> dict[str, Any]:
    """A one-shot container group in the same subnet that smoke-tests `url` and exits."""
    group = group_resource(
        settings,
        f"{settings.aci_deployment_name}-probe",
        image,
        {
            "name": "probe",
            "properties": {
                "image": image,
                "command": ["python", "-c", PROBE_SCRIPT, url],
                "resources": {"requests": {"cpu": 0.5, "memoryInGB": 1.0}},
            },
        },
    )
    group["properties"]["restartPolicy"] = "Never"
    return template([group], {})


def smoke_test_in_vnet(
    settings: Settings,
    runner: Runner = run_command,
    output: Output = az_output,
    wait: Callable[[float], None] = time.sleep,
) -> str | None:
    """Smoke-test the private container group from inside its network; None when it answers well."""
    name, probe = settings.aci_deployment_name, f"{settings.aci_deployment_name}-probe"
    show = ["az", "container", "show", "-g", settings.resource_group]
    url = private_uri(settings, output)
    image = output([*show, "-n", name, "--query", "containers[0].image", "-o", "tsv"])
    deploy_template(settings, probe, probe_group(settings, image, url), runner)
    try:
        state = ""
        for _ in range(PROBE_POLLS):
            query = "containers[0].instanceView.currentState.[state, exitCode]"
            state = output([*show, "-n", probe, "--query", query, "-o", "tsv"])
            if state.split()[:1] == ["Terminated"]:
                break
            wait(PROBE_POLL_SECONDS)
        logs = output(["az", "container", "logs", "-g", settings.resource_group, "-n", probe])
    finally:
        runner(["az", "container", "delete", "--yes", "-g", settings.resource_group, "-n", probe])
    if state.split() == ["Terminated", "0"]:
        print(f"Smoke test passed inside {vnet_name(settings)}: {url} returned two predictions")
        return None
    return f"the probe in {vnet_name(settings)} did not pass ({state or 'no state'}): {logs[-500:]}"


def deploy_model(
    ml_client: MLClient,
    settings: Settings,
    model: RegisteredModel,
    runner: Runner = run_command,
    output: Output = az_output,
) -> str:
    """Build and push the image, then create or update the container group; returns the private scoring URI."""
    image = build_and_push(ml_client, settings, model, runner)
    share = collected_logs.parameters(ml_client)
    deploy_template(settings, f"{settings.aci_deployment_name}-aci", container_group(settings, image), runner, share)
    uri = private_uri(settings, output)
    print(f"Container group {settings.aci_deployment_name} runs {image}: {uri} (inside {vnet_name(settings)})")
    return uri


def service(settings: Settings) -> ScoringService:
    """Where the smoke test reaches the container group: its private IP, from inside its network only."""
    from ml_service.deploy.endpoints import ScoringService

    return ScoringService(private_uri(settings))


def network_smoke_test() -> str | None:
    """The smoke test, run inside the container group's virtual network (None when it passes)."""
    return smoke_test_in_vnet(load_settings())


def dry_run(settings: Settings, model: RegisteredModel) -> Iterator[tuple[str, Any]]:
    """The image build and the container group, as `make aml-dry-run` writes them."""
    yield image_build_entity("aci", settings, model)
    from ml_service.deploy.scoring_image import image

    yield "aci/container_group.json", container_group(settings, image(settings, model))


def deploy(model: RegisteredModel, args: argparse.Namespace | None = None) -> int:
    settings = load_settings()
    deploy_model(workspace_client(settings), settings, model)
    return 0


def main(argv: list[str] | None = None) -> int:
    return deploy_main(__doc__.splitlines()[0], deploy, argv)


if __name__ == "__main__":
    raise SystemExit(main())
