"""The managed online endpoint: Azure ML hosts the model; ml_service creates the endpoint (the
IaC creates nothing of its own for it)."""

from __future__ import annotations

from mlops_scaffold.conditions import Contains
from mlops_scaffold.model import SERVES, Derived, Entity, Need, Question, Traits, Variable
from mlops_scaffold.rules import ENDPOINT_NAME

ORDER = 40
CHOSEN = Contains("deployment_targets", "online_endpoint")

TRAITS = Traits(
    (
        # not the bare `online_endpoint`: Kubernetes online endpoints (AKS) share the SDK's
        # `load_online_endpoint` and `*_online_endpoint` names
        "deploy.online_endpoint",
        "deploy/online_endpoint",
        "online_endpoint.py",
        "online_endpoint_name",
        "managed online endpoint",
        "ManagedOnlineEndpoint",
        "ManagedOnlineDeployment",
    ),
    flags=frozenset({SERVES}),
    files=(
        "ml_service/deploy/online_endpoint.py",
        "ml_service/variables/online_endpoint.json",
        "tests/test_ml_service_online_endpoint.py",
    ),
    title="the managed online endpoint",
    short_title="managed online endpoint",
)

QUESTIONS = (
    Question(
        "online_endpoint_name",
        "Managed online endpoint name; unique in the region",
        "str",
        Derived("{{ base_name | lower }}-endpoint", lambda a: f"{str(a['base_name']).lower()}-endpoint"),
        when=CHOSEN,
        rule=ENDPOINT_NAME,
        per_environment=True,
    ),
)

VARIABLES = (Variable("ONLINE_ENDPOINT_NAME", "{online_endpoint_name}", "Managed online endpoint", when=CHOSEN),)

PRINCIPALS = (Entity("online_endpoint", "managed online endpoint"),)  # created by ml_service, not the IaC

NEEDS = (
    Need("online_endpoint", "registry", "AcrPull", "pull the environment image", CHOSEN, by_platform=True),
    Need(
        "online_endpoint",
        "workspace_storage",
        "Storage Blob Data Reader",
        "read the model files",
        CHOSEN,
        by_platform=True,
    ),
)

# The managed endpoint takes Entra ID tokens only.
ENDPOINT_AUTH = frozenset({"aad_token"})
CANARY_RANK = 1  # stepped first when chosen

AML_LOADERS = {
    "managedOnlineEndpoint": "load_online_endpoint",
    "managedOnlineDeployment": "load_online_deployment",
}
