"""Deploy the model to a Kubernetes online endpoint on the AKS cluster attached as AKS_COMPUTE_NAME:
Azure ML token auth (aml_token: short-lived tokens; Kubernetes endpoints have no Entra ID mode),
0.5 CPU and 2 GB per instance, 1 to 3 instances, Application Insights on.

Usage: python -m ml_service.deploy.aks --model-json model.json
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from azure.ai.ml.entities import (
    KubernetesOnlineDeployment,
    KubernetesOnlineEndpoint,
    ResourceRequirementsSettings,
    ResourceSettings,
    TargetUtilizationScaleSettings,
)

from ml_service.deploy.model import RegisteredModel, deploy_main, in_workspace
from ml_service.deploy.online import (
    PRODUCTION,
    SERVER_ENVIRONMENT,
    online_entities,
    release,
    request_settings,
    scoring_code,
)
from ml_service.environments import get_or_create_environment, reference, scoring_environment
from ml_service.monitoring import data_collector
from ml_service.settings import Settings, load_settings
from ml_service.workspace import workspace_client

if TYPE_CHECKING:
    from azure.ai.ml import MLClient
    from azure.ai.ml.entities import OnlineEndpoint

# azure-ai-ml refuses a registry model in a Kubernetes deployment ("Registry reference for models is
# not supported for K8SDeployment"): deploy_model first copies one into the workspace (in_workspace).
REGISTRY_MODELS = False
CPU = "0.5"
MEMORY = "2Gi"
MIN_INSTANCES = 1
MAX_INSTANCES = 3
TARGET_UTILIZATION_PERCENTAGE = 70

# The setting that names this target's endpoint (the smoke test, the canary, monitoring).
ENDPOINT_SETTING = "aks_deployment_name"


def endpoint(settings: Settings) -> KubernetesOnlineEndpoint:
    return KubernetesOnlineEndpoint(
        name=settings.aks_deployment_name,
        compute=settings.aks_compute_name,
        auth_mode="aml_token",
        description=f"Scoring endpoint of {settings.model_name} on AKS",
        tags={"ModelName": settings.model_name},
    )


def deployment(settings: Settings, model: RegisteredModel, name: str = PRODUCTION) -> KubernetesOnlineDeployment:
    return KubernetesOnlineDeployment(
        name=name,
        endpoint_name=settings.aks_deployment_name,
        model=model.reference,
        code_configuration=scoring_code(settings),
        environment=reference(scoring_environment(settings)),
        instance_count=MIN_INSTANCES,
        resources=ResourceRequirementsSettings(requests=ResourceSettings(cpu=CPU, memory=MEMORY)),
        scale_settings=TargetUtilizationScaleSettings(
            min_instances=MIN_INSTANCES,
            max_instances=MAX_INSTANCES,
            target_utilization_percentage=TARGET_UTILIZATION_PERCENTAGE,
        ),
        app_insights_enabled=True,
        request_settings=request_settings(),
        environment_variables=dict(SERVER_ENVIRONMENT),
        tags={"ModelVersion": model.version},
        data_collector=data_collector(settings.aks_deployment_name, name),  # model inputs and outputs, for monitoring
    )


def deploy_model(ml_client: MLClient, settings: Settings, model: RegisteredModel) -> OnlineEndpoint:
    """Register the scoring environment if needed, then release `model` on the endpoint."""
    get_or_create_environment(ml_client, scoring_environment(settings))
    return release(ml_client, endpoint(settings), deployment(settings, in_workspace(ml_client, model)))


def deploy(model: RegisteredModel, args: argparse.Namespace | None = None) -> int:
    settings = load_settings()
    deploy_model(workspace_client(settings), settings, model)
    return 0


def dry_run(settings: Settings, model: RegisteredModel) -> Iterator[tuple[str, Any]]:
    """The endpoint and its production deployment, as `make aml-dry-run` writes them."""
    return online_entities(endpoint(settings), deployment(settings, model))


def main(argv: list[str] | None = None) -> int:
    return deploy_main(__doc__.splitlines()[0], deploy, argv)


if __name__ == "__main__":
    raise SystemExit(main())
