"""Where a deployment target serves the model: its scoring URI and credential, for the smoke test.

`resolve_target("online_endpoint")` asks the workspace for the endpoint's URI; its credential is an
Entra ID token (auth mode aad_token) acquired with DefaultAzureCredential, or for a Kubernetes
endpoint (which has no aad_token mode) the short-lived Azure ML token (aml_token) of the endpoint.
No static key is used, and the credential never appears in a repr or a log line.
"""

from __future__ import annotations

import importlib
import json
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from types import ModuleType
from typing import TYPE_CHECKING, Any

from ml_service.settings import PROJECT_ROOT, Settings, load_settings

if TYPE_CHECKING:
    from azure.ai.ml import MLClient

# The chosen options, rendered as data: the code below is the same text whatever they are.
FEATURES = PROJECT_ROOT / "ml_service" / "features.json"
SMOKE_ROWS = {"data": [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], [10, 9, 8, 7, 6, 5, 4, 3, 2, 1]]}
# Header that routes a request to one deployment of an online endpoint, whatever the traffic split.
DEPLOYMENT_HEADER = "azureml-model-deployment"
# The audience of Entra ID tokens for Azure ML endpoints with auth mode aad_token.
AAD_TOKEN_SCOPE = "https://ml.azure.com/.default"


@dataclass(frozen=True)
class ScoringService:
    url: str
    key: str | None = field(default=None, repr=False)  # a bearer credential: kept out of reprs and logs


class UnknownTargetError(ValueError):
    pass


@cache
def targets() -> tuple[str, ...]:
    """The deployment targets this project was generated with (read on first use)."""
    return tuple(json.loads(FEATURES.read_text(encoding="utf-8"))["deployment_targets"])


def target_module(target: str) -> ModuleType:
    """The deploy module of a target: ml_service/deploy/<target>.py."""
    return importlib.import_module(f"ml_service.deploy.{target}")


def endpoint_name(settings: Settings, target: str) -> str:
    """The online endpoint of a target served by Azure ML (its module's ENDPOINT_SETTING names it)."""
    setting = getattr(target_module(target), "ENDPOINT_SETTING", None)
    if setting is None:
        raise UnknownTargetError(f"{target} is not an online endpoint target")
    return getattr(settings, setting)


def resolve_target(target: str, settings: Settings | None = None, ml_client: MLClient | None = None) -> ScoringService:
    """The scoring URI (and credential) of a selected deployment target: its module's `service`
    for a target served outside Azure ML, else its online endpoint, found through the workspace."""
    if target not in targets():
        choices = ", ".join(targets()) or "none selected"
        raise UnknownTargetError(f"unknown deployment target {target!r} (this project deploys to: {choices})")
    settings = settings or load_settings()
    module = target_module(target)
    if hasattr(module, "service"):
        return module.service(settings)
    if ml_client is None:
        from ml_service.workspace import workspace_client

        ml_client = workspace_client(settings)
    return endpoint_service(ml_client, endpoint_name(settings, target))


def network_smoke_test(target: str) -> Callable[[], str | None] | None:
    """The smoke test of a target reachable only inside its own network, run there (its module's
    `network_smoke_test`); None for the others."""
    return getattr(target_module(target), "network_smoke_test", None) if target in targets() else None


def aad_token(scope: str = AAD_TOKEN_SCOPE) -> str:
    """An Entra ID token (by default for Azure ML endpoints) from DefaultAzureCredential: the Azure CLI
    login, workload identity (OIDC) or a managed identity, whichever the CI or the user has."""
    from azure.identity import DefaultAzureCredential

    return DefaultAzureCredential().get_token(scope).token


def endpoint_service(ml_client: MLClient, name: str) -> ScoringService:
    """The scoring URI of online endpoint `name` and a bearer credential for its auth mode."""
    endpoint = ml_client.online_endpoints.get(name)
    if str(endpoint.auth_mode).lower() == "aad_token":
        return ScoringService(endpoint.scoring_uri, aad_token())
    credential = ml_client.online_endpoints.get_keys(name)  # aml_token: a token that expires within hours
    return ScoringService(endpoint.scoring_uri, getattr(credential, "access_token", None))


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
