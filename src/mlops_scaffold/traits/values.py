"""One row of traits per option value: what choosing the value brings into a rendering.

Columns:
- `flags`: named traits other tables select values by ("scoring_image": the target serves a
  container built from environments/scoring-image), so a path, stage or check depends on what a
  value *does*, never on a list of value names.
- `files`: the template paths (as rendered, relative to the project) only this value brings;
  traits/paths.py turns them into copier `_exclude` entries and the manifest.
- `title`, `short_title`, `staging` (deployment targets): how docs and pipelines name the target, and whether it
  is the pre-production check (its CD job runs in `staging`, before every production change);
  copier.yml passes them to the template as `target_rows` (a computed value, never asked).
- `vocabulary`: the words that can only be there because the value was chosen (its modules,
  packages, Azure resource types, file names and words in the docs); a rendering that did not
  choose the value must not contain them (`checks/leaks.py`, traits/vocabulary.py).

A new option value is a new row here (docs/adding-an-option.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Traits:
    vocabulary: tuple[str, ...] = ()
    flags: frozenset[str] = frozenset()
    files: tuple[str, ...] = ()
    title: str = ""
    short_title: str = ""
    staging: bool = False


# Flags of deployment targets (see traits/paths.py for the paths they switch on).
SERVES = "serves"  # a model endpoint: CD pipeline, deploy tests, observability doc
SCORING_IMAGE = "scoring_image"  # serves our own scoring container (built, pushed, run)
# Flags of r_training values.
TRAINS_R = "trains_r"

_SCORING_IMAGE = ("scoring-image", "scoring_image", "scoring image")
_R = ("Rscript", "r_train", "train-r", "run_r_training", "r_training.py", "weight_data", "R model", "R script")

TRAITS: dict[tuple[str, Any], Traits] = {
    ("ci_platform", "azure_devops"): Traits(
        ("Azure DevOps", "Azure Pipelines", ".pipelines", "variable group", "service connection", "az devops"),
        files=(
            ".pipelines",
            "environment_setup/Dockerfile",
            "environment_setup/create-variable-group.sh",
            "environment_setup/docker-image-pipeline.yml",
            "environment_setup/iac-remove-environment-pipeline.yml",
        ),
    ),
    ("ci_platform", "github_actions"): Traits(
        ("GitHub Actions", ".github", "workflow_dispatch", "GITHUB_OUTPUT", "GITHUB_ENV", "actions/checkout"),
        files=(".github", "environment_setup/create-github-variables.sh"),
    ),
    ("iac", "arm"): Traits(
        ("arm-templates", "cloud-environment.json", "cloud-environment.parameters.json"),
        files=("environment_setup/arm-templates",),
    ),
    ("iac", "terraform"): Traits(
        ("terraform", "tf-templates", "azurerm", "tfstate", "tfvars", "hashicorp"),
        files=("environment_setup/tf-templates",),
    ),
    ("deployment_targets", "aci"): Traits(
        (
            "aci",
            "Azure Container Instances",
            "Container Instances",
            "container group",
            "Microsoft.ContainerInstance",
            "containerGroups",
            *_SCORING_IMAGE,
        ),
        flags=frozenset({SERVES, SCORING_IMAGE}),
        files=("ml_service/deploy/aci.py", "ml_service/variables/aci.json", "tests/test_ml_service_aci.py"),
        title="Azure Container Instances",
        short_title="ACI",
        staging=True,
    ),
    ("deployment_targets", "aks"): Traits(
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
    ),
    ("deployment_targets", "webapp"): Traits(
        (
            "webapp",
            "web app",
            "web_app",
            "App Service",
            "app_service",
            "Microsoft.Web",
            "serverfarms",
            *_SCORING_IMAGE,
        ),
        flags=frozenset({SERVES, SCORING_IMAGE}),
        files=("ml_service/deploy/webapp.py", "ml_service/variables/webapp.json", "tests/test_ml_service_webapp.py"),
        title="Azure App Service",
        short_title="App Service",
    ),
    ("deployment_targets", "online_endpoint"): Traits(
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
    ),
    ("canary_release", True): Traits(
        ("canary", "blue/green"), files=("ml_service/deploy/canary.py", "tests/test_ml_service_canary.py")
    ),
    ("batch_scoring", True): Traits(
        (
            "batch scoring",
            "batch-scoring",
            "batch_scoring",
            "batchscoring",
            "batch_score",
            "batch-score",
            "SCORING_DATASTORE",
            "scoring datastore",
            "score-cluster",
            "diabetes_scoring_input",
        ),
        files=(
            "data/diabetes_scoring_input.csv",
            "ml_service/pipelines/batch_scoring.py",
            "ml_service/pipelines/run_batch_scoring.py",
            "tests/test_batch_score.py",
            "tests/test_ml_service_batch_scoring.py",
            "ml_service/variables/batch_scoring.json",
            ".pipelines/{sample_name}-batchscoring-ci.yml",
            ".github/workflows/{sample_name}-batchscoring.yml",
            "{sample_name}/scoring/batch_score.py",
            "{sample_name}/scoring/copy_output.py",
        ),
    ),
    ("r_training", "aml"): Traits(
        _R, flags=frozenset({TRAINS_R}), files=("environments/r", "ml_service/pipelines/r_on_aml.py")
    ),
    ("r_training", "databricks"): Traits(
        (*_R, "databricks", "DB_CLUSTER_ID", "azuredatabricks"),
        flags=frozenset({TRAINS_R}),
        files=("ml_service/pipelines/r_on_databricks.py", "ml_service/variables/r_training_databricks.json"),
    ),
}


def part_of(question: str, value: Any) -> str:
    """The name ml_service gives a chosen value (features.json, variables/<name>.json): a target by
    itself, a yes/no option by its question, any other value as question_value."""
    from mlops_scaffold.options import QUESTIONS_BY_NAME

    if QUESTIONS_BY_NAME[question].multiselect:
        return str(value)
    if value is True:
        return question
    return f"{question}_{value}"


def is_chosen(question: str, value: Any, answers: Mapping[str, Any]) -> bool:
    """Whether the answers chose `value` for `question` (a member of a multiselect answer counts)."""
    answer = answers.get(question)
    if isinstance(answer, list | tuple):
        return value in answer
    return answer == value


def values_with(question: str, flag: str) -> tuple[Any, ...]:
    """The values of `question` whose row carries `flag`, in table order."""
    return tuple(value for (name, value), traits in TRAITS.items() if name == question and flag in traits.flags)


def target_rows() -> dict[str, dict[str, Any]]:
    """What the template reads of each deployment target, in table order (`target_rows`)."""
    return {
        value: {
            "title": traits.title,
            "short_title": traits.short_title or traits.title,
            "environment": "staging" if traits.staging else "production",
            "scoring_image": SCORING_IMAGE in traits.flags,
        }
        for (question, value), traits in TRAITS.items()
        if question == "deployment_targets"
    }
