"""What managed and Kubernetes online endpoints share: the scoring code, the environment and the
rollout of a deployment (create the endpoint, create the deployment, then move traffic)."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from azure.ai.ml.entities import CodeConfiguration, OnlineRequestSettings

from ml_service.settings import PROJECT_ROOT, Settings

if TYPE_CHECKING:
    from azure.ai.ml import MLClient
    from azure.ai.ml.entities import OnlineDeployment, OnlineEndpoint

PRODUCTION = "green"  # the deployment that serves the released model
CANDIDATE = "blue"  # the canary release's new model, before promotion
REQUEST_TIMEOUT_MS = 5000
# The scoring server's processes and timeouts, as in `make serve` and the scoring image.
WORKER_COUNT = 2
SERVER_ENVIRONMENT = {"WORKER_COUNT": str(WORKER_COUNT), "WORKER_TIMEOUT": "30", "SCORING_TIMEOUT_MS": "5000"}


def online_entities(endpoint: OnlineEndpoint, production: OnlineDeployment) -> Iterator[tuple[str, Any]]:
    """An online endpoint and its production deployment, as `make aml-dry-run` writes them."""
    yield f"endpoints/{endpoint.name}.yml", endpoint
    yield f"deployments/{endpoint.name}-{production.name}.yml", production


def scoring_code(settings: Settings) -> CodeConfiguration:
    """score.py of the ML package (init()/run() for azureml-inference-server-http)."""
    return CodeConfiguration(
        code=str(PROJECT_ROOT),
        scoring_script=f"{settings.sources_dir_train}/scoring/score.py",
    )


def request_settings() -> OnlineRequestSettings:
    """As many requests in flight per instance as the server has workers; the rest queue."""
    return OnlineRequestSettings(
        request_timeout_ms=REQUEST_TIMEOUT_MS, max_concurrent_requests_per_instance=WORKER_COUNT
    )


def release(ml_client: MLClient, endpoint: OnlineEndpoint, deployment: OnlineDeployment) -> OnlineEndpoint:
    """Create or update the endpoint and the deployment, then send all traffic to the deployment."""
    print(f"Creating or updating endpoint {endpoint.name}")
    ml_client.online_endpoints.begin_create_or_update(endpoint).result()
    print(f"Deploying {deployment.name} ({deployment.model}) to {endpoint.name}")
    ml_client.online_deployments.begin_create_or_update(deployment).result()
    routed = copy.deepcopy(endpoint)
    routed.traffic = {deployment.name: 100}
    updated = ml_client.online_endpoints.begin_create_or_update(routed).result()
    print(f"Endpoint {endpoint.name} serves {deployment.name}: {updated.scoring_uri}")
    return updated
