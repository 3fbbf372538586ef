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

A new option value is a new row here, a new deployment target a new module of
mlops_scaffold/targets/ with its TRAITS (docs/adding-an-option.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mlops_scaffold import targets
from mlops_scaffold.model import PROMOTES, SCORING_IMAGE, SERVES, TRAINS_R, Traits

__all__ = [
    "PROMOTES",
    "SCORING_IMAGE",
    "SERVES",
    "TRAINS_R",
    "TRAITS",
    "Traits",
    "is_chosen",
    "part_of",
    "target_rows",
    "values_with",
]


_PROMOTION = ("util.promote", "make promote", "REGISTRY_URI", "registry.db", "registry-artifacts", "AML_REGISTRY_NAME")
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
    # each deployment target's row, from its module (mlops_scaffold/targets/<target>.py)
    **{("deployment_targets", targets.value(module)): module.TRAITS for module in targets.modules()},
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
    # environments: the files both multi-workspace values bring are FLAG_PATHS (traits/paths.py)
    **{
        ("environments", value): Traits(_PROMOTION, flags=frozenset({PROMOTES}))
        for value in ("dev_prod", "dev_test_prod")
    },
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
