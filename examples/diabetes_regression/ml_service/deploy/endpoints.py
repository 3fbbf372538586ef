"""Where a deployment target serves the model: its scoring URI and key, for the smoke test.

`resolve_target("aks")` asks the workspace for the endpoint's URI and key; ACI and App Service
URIs follow from their names.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ml_service.settings import Settings, load_settings

if TYPE_CHECKING:
    from azure.ai.ml import MLClient

TARGETS: tuple[str, ...] = ("aci",)
ENDPOINT_TARGETS = frozenset({"aks", "online_endpoint"})
SMOKE_ROWS = {"data": [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], [10, 9, 8, 7, 6, 5, 4, 3, 2, 1]]}
# Header that routes a request to one deployment of an online endpoint, whatever the traffic split.
DEPLOYMENT_HEADER = "azureml-model-deployment"


@dataclass(frozen=True)
class ScoringService:
    url: str
    key: str | None = None


class UnknownTargetError(ValueError):
    pass


def endpoint_name(settings: Settings, target: str) -> str:
    if target == "aks":
        return settings.aks_deployment_name  # type: ignore[attr-defined]
    if target == "online_endpoint":
        return settings.online_endpoint_name  # type: ignore[attr-defined]
    raise UnknownTargetError(f"{target} is not an online endpoint target")


def resolve_target(target: str, settings: Settings | None = None, ml_client: MLClient | None = None) -> ScoringService:
    """The scoring URI (and key, for endpoints) of a selected deployment target."""
    if target not in TARGETS:
        choices = ", ".join(TARGETS) or "none selected"
        raise UnknownTargetError(f"unknown deployment target {target!r} (this project deploys to: {choices})")
    settings = settings or load_settings()
    if target == "aci":
        from ml_service.deploy.aci import scoring_uri

        return ScoringService(scoring_uri(settings))
    if ml_client is None:
        from ml_service.workspace import workspace_client

        ml_client = workspace_client(settings)
    name = endpoint_name(settings, target)
    endpoint = ml_client.online_endpoints.get(name)
    keys = ml_client.online_endpoints.get_keys(name)
    return ScoringService(endpoint.scoring_uri, getattr(keys, "primary_key", None))


def predictions(body: Any) -> list[Any] | None:
    """The list of predictions in a scoring response ([...] or {"result": [...]})."""
    if isinstance(body, list):
        return body
    if isinstance(body, dict):
        for value in body.values():
            if isinstance(value, list):
                return value
    return None


def probe(
    service: ScoringService, deployment: str | None = None, attempts: int = 3, timeout: float = 30.0
) -> str | None:
    """POST the smoke-test rows; None when two predictions come back, else what went wrong.

    `deployment` pins the request to one deployment of an online endpoint (header routing)."""
    headers = {"Content-Type": "application/json", "traceparent": f"00-{uuid.uuid4().hex}-{uuid.uuid4().hex[:16]}-01"}
    if service.key:
        headers["Authorization"] = f"Bearer {service.key}"
    if deployment:
        headers[DEPLOYMENT_HEADER] = deployment
    problem = "no attempt made"
    for attempt in range(1, attempts + 1):
        request = urllib.request.Request(service.url, data=json.dumps(SMOKE_ROWS).encode(), headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                found = predictions(json.loads(response.read().decode("utf-8")))
            if found is not None and len(found) == len(SMOKE_ROWS["data"]):
                return None
            problem = f"expected {len(SMOKE_ROWS['data'])} predictions, got {found!r}"
        except (urllib.error.URLError, TimeoutError, ValueError) as error:
            problem = f"{type(error).__name__}: {error}"
        if attempt < attempts:
            time.sleep(2 * attempt)
    return problem
