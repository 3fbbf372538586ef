"""What each option value brings into a rendering, as data: one row per (question, value).

The first trait is the value's vocabulary: the words that can only be there because the value was
chosen (its modules, packages, Azure resource types, file names and words in the docs). A rendering
that did not choose the value must not contain them (`checks/leaks.py`). Further traits (files,
variables, IaC resources, pipeline stages) are meant to join as columns of the same table.

A word is matched case-insensitively and as a whole word, where `_`, `-`, `.` and `/` separate
words: `aci` matches `ACI_IDENTITY_NAME` and `deploy/aci.py`, never `special`. Words shared by
several values (the scoring image of ACI and App Service) are listed under each of them; a word
is a leak only when no chosen value lists it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any


@dataclass(frozen=True)
class Traits:
    vocabulary: tuple[str, ...] = ()


_SCORING_IMAGE = ("scoring-image", "scoring_image", "scoring image")
_R = ("Rscript", "r_train", "train-r", "run_r_training", "r_training.py", "weight_data", "R model", "R script")

TRAITS: dict[tuple[str, Any], Traits] = {
    ("ci_platform", "azure_devops"): Traits(
        ("Azure DevOps", "Azure Pipelines", ".pipelines", "variable group", "service connection", "az devops")
    ),
    ("ci_platform", "github_actions"): Traits(
        ("GitHub Actions", ".github", "workflow_dispatch", "GITHUB_OUTPUT", "GITHUB_ENV", "actions/checkout")
    ),
    ("iac", "arm"): Traits(("arm-templates", "cloud-environment.json", "cloud-environment.parameters.json")),
    ("iac", "terraform"): Traits(("terraform", "tf-templates", "azurerm", "tfstate", "tfvars", "hashicorp")),
    ("deployment_targets", "aci"): Traits(
        (
            "aci",
            "Azure Container Instances",
            "Container Instances",
            "container group",
            "Microsoft.ContainerInstance",
            "containerGroups",
            *_SCORING_IMAGE,
        )
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
        )
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
        )
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
        )
    ),
    ("canary_release", True): Traits(("canary", "blue/green")),
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
        )
    ),
    ("r_training", "aml"): Traits(_R),
    ("r_training", "databricks"): Traits((*_R, "databricks", "DB_CLUSTER_ID", "azuredatabricks")),
}


def is_chosen(question: str, value: Any, answers: Mapping[str, Any]) -> bool:
    """Whether the answers chose `value` for `question` (a member of a multiselect answer counts)."""
    answer = answers.get(question)
    if isinstance(answer, list | tuple):
        return value in answer
    return answer == value


def unchosen_words(answers: Mapping[str, Any]) -> dict[str, tuple[str, Any]]:
    """Each word of an unchosen value that no chosen value also lists -> (question, value) it names."""
    chosen = {
        word.lower()
        for (question, value), traits in TRAITS.items()
        if is_chosen(question, value, answers)
        for word in traits.vocabulary
    }
    words: dict[str, tuple[str, Any]] = {}
    for (question, value), traits in TRAITS.items():
        if is_chosen(question, value, answers):
            continue
        for word in traits.vocabulary:
            if word.lower() not in chosen:
                words.setdefault(word.lower(), (question, value))
    return words


@cache
def _pattern(words: tuple[str, ...]) -> re.Pattern[str]:
    longest_first = sorted(words, key=len, reverse=True)
    alternatives = "|".join(re.escape(word) for word in longest_first)
    return re.compile(rf"(?<![A-Za-z0-9])(?:{alternatives})(?![A-Za-z0-9])", re.IGNORECASE)


def find_words(text: str, words: tuple[str, ...]) -> Iterator[tuple[int, str]]:
    """(1-based line, word as written) for each whole-word occurrence of `words` in `text`."""
    lowered = text.lower()
    present = tuple(sorted(word for word in words if word.lower() in lowered))  # a fast pre-filter
    if not present:
        return
    pattern = _pattern(present)
    for number, line in enumerate(text.splitlines(), start=1):
        for match in pattern.finditer(line):
            yield number, match.group(0)
