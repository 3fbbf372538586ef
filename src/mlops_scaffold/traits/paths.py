"""OPTIONAL_PATHS: every template path that is not in every rendering, and when it is present.

Conditions are data over the option-value rows (traits/values.py): a value's own `files`, or a
path present when a chosen value carries a flag ("some chosen target has `scoring_image`").
copier.yml gets one templated `_exclude` entry per row (copier_yml.py), and the manifest
(manifest.py) evaluates the same rows in Python, so template file names carry no conditions.

Paths are as rendered, relative to the project, `{sample_name}` standing for the answer; a folder
covers everything under it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mlops_scaffold.conditions import AllOf, AnyOf, Condition, Contains, Equals
from mlops_scaffold.deployment_environments import ALL_ENVIRONMENTS, SINGLE, promoting
from mlops_scaffold.options import QUESTIONS_BY_NAME
from mlops_scaffold.traits.values import PROMOTES, SCORING_IMAGE, SERVES, TRAINS_R, TRAITS, values_with


def chosen(question: str, value: Any) -> Condition:
    """`value` is the answer to `question` (or one of its answers, for a multiselect)."""
    if QUESTIONS_BY_NAME[question].multiselect:
        return Contains(question, value)
    return Equals(question, value)


@dataclass(frozen=True)
class Flag:
    """Some chosen value of `question` carries `flag` in its row."""

    question: str
    flag: str

    def condition(self) -> AnyOf:
        return AnyOf(tuple(chosen(self.question, value) for value in values_with(self.question, self.flag)))

    def holds(self, answers: Mapping[str, Any]) -> bool:
        return self.condition().holds(answers)

    def jinja(self) -> str:
        return self.condition().jinja() if self.condition().conditions else "false"


@dataclass(frozen=True)
class OptionalPath:
    path: str  # as rendered; `{sample_name}` stands for the answer
    when: Condition | Flag

    def rendered(self, answers: Mapping[str, Any]) -> str:
        return self.path.format(sample_name=answers["sample_name"])

    def jinja_path(self) -> str:
        return self.path.replace("{sample_name}", "{{ sample_name }}")


# Paths switched by what the chosen values do, not by which values they are.
FLAG_PATHS: tuple[OptionalPath, ...] = (
    *(
        OptionalPath(path, Flag("deployment_targets", SERVES))
        for path in (
            "docs/observability.md",
            "tests/test_ml_service_deploy.py",
            "tests/test_ml_service_monitoring.py",
            "tests/test_ml_service_drift_retraining.py",
            "ml_service/variables/monitoring.json",
            ".pipelines/{sample_name}-cd.yml",
            ".github/workflows/{sample_name}-cd.yml",
            "ml_service/monitoring.py",
        )
    ),
    *(
        OptionalPath(path, Flag("deployment_targets", SCORING_IMAGE))
        for path in (
            "environments/scoring-image",
            "ml_service/deploy/arm.py",
            "ml_service/deploy/collected_logs.py",
            "ml_service/deploy/registry_guard.py",
            "ml_service/deploy/scoring_image.py",
            "tests/test_ml_service_scoring_image.py",
        )
    ),
    *(
        OptionalPath(path, Flag("r_training", TRAINS_R))
        for path in (
            "data/weight_data.csv",
            "ml_service/pipelines/run_r_training.py",
            "tests/test_ml_service_r_training.py",
            "tests/test_r_train.py",
            "{sample_name}/training/R",
        )
    ),
    *(
        OptionalPath(path, Flag("environments", PROMOTES))
        for path in (
            "{sample_name}/util/promote.py",
            "tests/test_promote.py",
            "docs/environments.md",
            "ml_service/promote.py",
            "ml_service/variables/promotion.json",
            "tests/test_ml_service_promote.py",
        )
    ),
)

# The IaC inputs of a `single` project, and each environment's otherwise (ADR 28).
_PROJECT_INPUTS = (
    ("arm", "environment_setup/arm-templates/cloud-environment.parameters.json"),
    ("terraform", "environment_setup/tf-templates/terraform.tfvars"),
)
# (flavour, path with {environment}): each environment's IaC inputs (behaviour checks name them too)
ENVIRONMENT_INPUTS = (
    ("arm", "environment_setup/arm-templates/cloud-environment.{environment}.parameters.json"),
    ("terraform", "environment_setup/tf-templates/{environment}.tfvars"),
    ("terraform", "environment_setup/tf-templates/{environment}.tfbackend"),
)


# Paths that need two values at once.
JOINT_PATHS: tuple[OptionalPath, ...] = (
    *(
        OptionalPath(
            f"environment_setup/iac-create-environment-pipeline-{suffix}.yml",
            AllOf((chosen("ci_platform", "azure_devops"), chosen("iac", iac))),
        )
        for iac, suffix in (("arm", "arm"), ("terraform", "tf"))
    ),
    # The registry's IaC, deployed once beside the environments' (ADR 28).
    *(
        OptionalPath(
            f"environment_setup/arm-templates/{name}",
            AllOf((chosen("iac", "arm"), Flag("environments", PROMOTES).condition())),
        )
        for name in ("registry.json", "registry.parameters.json")
    ),
    OptionalPath(
        "environment_setup/tf-templates/registry",
        AllOf((chosen("iac", "terraform"), Flag("environments", PROMOTES).condition())),
    ),
    # One IaC input per environment, or the project's one (ADR 28).
    *(OptionalPath(path, AllOf((chosen("iac", iac), chosen("environments", SINGLE)))) for iac, path in _PROJECT_INPUTS),
    *(
        OptionalPath(path.format(environment=environment.name), AllOf((chosen("iac", iac), promoting(environment))))
        for iac, path in ENVIRONMENT_INPUTS
        for environment in ALL_ENVIRONMENTS
    ),
)

OPTIONAL_PATHS: tuple[OptionalPath, ...] = (
    *(
        OptionalPath(path, chosen(question, value))
        for (question, value), traits in TRAITS.items()
        for path in traits.files
    ),
    *FLAG_PATHS,
    *JOINT_PATHS,
)


def absent_paths(answers: Mapping[str, Any]) -> tuple[str, ...]:
    """The rendered paths (files or folders) these answers leave out."""
    return tuple(entry.rendered(answers) for entry in OPTIONAL_PATHS if not entry.when.holds(answers))


def is_absent(path: str, absent: tuple[str, ...]) -> bool:
    """Whether `path` is, or lies under, one of `absent` (copier's `_exclude` matches the same)."""
    return any(path == gone or path.startswith(gone + "/") for gone in absent)


def exclude_entries() -> list[str]:
    """copier `_exclude` items: each renders to its anchored path when absent, else to nothing."""
    return [f"{{% if not ({entry.when.jinja()}) %}}/{entry.jinja_path()}{{% endif %}}" for entry in OPTIONAL_PATHS]


def computed_flags() -> dict[str, Flag]:
    """`<flag>_chosen` -> its Flag, for every flag of the rows: computed values copier passes to the
    template (`{% if scoring_image_chosen %}`) and the manifest's context holds too."""
    flags = {(question, flag) for (question, _), traits in TRAITS.items() for flag in traits.flags}
    return {f"{flag}_chosen": Flag(question, flag) for question, flag in sorted(flags)}
