"""Azure Kubernetes Service: a Kubernetes online endpoint on an AKS cluster the IaC creates and
attaches to the workspace as compute."""

from __future__ import annotations

from mlops_scaffold.conditions import Contains
from mlops_scaffold.model import KUBELET, SERVES, Entity, Need, Question, Traits, Variable
from mlops_scaffold.rules import AML_COMPUTE_NAME, ENDPOINT_NAME, DerivedName, Rule

ORDER = 20
CHOSEN = Contains("deployment_targets", "aks")

TRAITS = Traits(
    (
        "aks",
        "Azure Kubernetes Service",
        "Kubernetes",
        "KubernetesOnlineEndpoint",
        "KubernetesOnlineDeployment",
        "Microsoft.ContainerService",
        "Microsoft.KubernetesConfiguration",
        "managedClusters",
        "k8s-extension",
    ),
    flags=frozenset({SERVES}),
    files=("ml_service/deploy/aks.py", "ml_service/variables/aks.json", "tests/test_ml_service_aks.py"),
    title="Azure Kubernetes Service",
    short_title="AKS",
)

QUESTIONS = (
    Question(
        "aks_compute_name",
        "Name of the AKS cluster attached to the workspace as compute",
        "str",
        "aks",
        when=CHOSEN,
        rule=AML_COMPUTE_NAME,
    ),
    Question(
        "aks_deployment_name",
        "Kubernetes online endpoint name on AKS",
        "str",
        "mlops-aks",
        when=CHOSEN,
        rule=ENDPOINT_NAME,
        per_environment=True,  # an endpoint name: unique in the region
    ),
)

DERIVED_NAMES = (
    DerivedName(
        "aks_cluster_name",
        "-AML-AKS",
        False,
        Rule("^[a-zA-Z0-9][-_a-zA-Z0-9]{0,61}[a-zA-Z0-9]$", "be 2–63 alphanumerics/-_"),
        "AKS cluster",
    ),
)

VARIABLES = (
    Variable("AKS_COMPUTE_NAME", "{aks_compute_name}", "AKS cluster attached to the workspace", when=CHOSEN),
    Variable("AKS_DEPLOYMENT_NAME", "{aks_deployment_name}", "Kubernetes online endpoint on AKS", when=CHOSEN),
)

PRINCIPALS = (
    Entity(
        "aks",
        "AKS cluster",
        "Microsoft.ContainerService/managedClusters",
        "aksClusterName",
        "azurerm_kubernetes_cluster",
        "aks_cluster_name",
        identity=KUBELET,
    ),
)

NEEDS = (Need("aks", "registry", "AcrPull", "pull the scoring image for the Kubernetes endpoint", CHOSEN),)

ARM_SECURE_DEFAULTS = (
    ("Microsoft.ContainerService/managedClusters", "properties.enableRBAC", True, "Kubernetes RBAC must be on"),
)
TF_SECURE_DEFAULTS = (
    ("azurerm_kubernetes_cluster", "role_based_access_control_enabled", True, "Kubernetes RBAC must be on"),
)
ARM_TO_VARIABLE = {"aksComputeName": "AKS_COMPUTE_NAME"}
TF_TO_VARIABLE = {"aks_compute_name": "AKS_COMPUTE_NAME"}

# The Kubernetes endpoint takes tokens, never keys: Entra ID or Azure ML tokens.
ENDPOINT_AUTH = frozenset({"aad_token", "aml_token"})
CANARY_RANK = 2  # stepped when the managed online endpoint is not chosen

# (command, ARM resource type or Terraform resource, what it is): the IaC creates these.
MANUAL_STEPS = (
    ("az aks create", ("Microsoft.ContainerService/managedClusters", "azurerm_kubernetes_cluster"), "the AKS cluster"),
    (
        "az k8s-extension create",
        ("Microsoft.KubernetesConfiguration/extensions", "azurerm_kubernetes_cluster_extension"),
        "the Azure ML extension",
    ),
    (
        "az ml compute attach",
        ('"computeType": "Kubernetes"', "Microsoft.MachineLearningServices/workspaces/computes@"),
        "the Kubernetes compute attachment",
    ),
)

# The ARM types of its IaC that the published schemas do not define (checks/iac_schema/arm.py).
ARM_TYPES_NOT_IN_SCHEMAS = {
    "microsoft.kubernetesconfiguration/extensions": "an extension resource: the schemas define only its property types",
}

AML_LOADERS = {
    "kubernetesOnlineEndpoint": "load_online_endpoint",
    "kubernetesOnlineDeployment": "load_online_deployment",
}
