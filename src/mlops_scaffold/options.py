"""The options model: every question copier asks, its default, allowed values, when it applies
and the rule its answer must follow. copier.yml is generated from this module
(`mlops-scaffold` `make copier-yml`); the matrix, the CLI and the tests read it too.

Each deployment target's own questions come from its module (mlops_scaffold/targets/).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from mlops_scaffold import naming, targets
from mlops_scaffold.conditions import AnyOf, Contains, Equals
from mlops_scaffold.deployment_environments import ENVIRONMENT_SETS, SINGLE, name_problems
from mlops_scaffold.model import Derived, Question

# The deployment targets are the modules of mlops_scaffold/targets/, in their order.
DEPLOYMENT_TARGETS: tuple[str, ...] = targets.values()
# The targets chosen by default (their module sets IN_DEFAULT_ANSWER).
DEFAULT_TARGETS: tuple[str, ...] = tuple(
    targets.value(module) for module in targets.modules() if getattr(module, "IN_DEFAULT_ANSWER", False)
)
# Targets that can take a blue/green canary release (their module sets CANARY_RANK).
CANARY_TARGETS: tuple[str, ...] = tuple(targets.value(module) for module in targets.with_attribute("CANARY_RANK"))


def _slug_base_name(answers: Mapping[str, Any]) -> str:
    return re.sub("[^a-z0-9]", "", str(answers["project_name"]).lower())[:10]


QUESTIONS: tuple[Question, ...] = (
    Question(
        "project_name",
        "Human-readable project name, used in the README and docs",
        "str",
        "MLOps Diabetes",
        rule=naming.PROJECT_NAME,
    ),
    Question(
        "sample_name",
        "Python package of the ML code (what MLOpsPython's bootstrap.py renamed by hand)",
        "str",
        "diabetes_regression",
        rule=naming.SAMPLE_NAME,
    ),
    Question(
        "base_name",
        "BASE_NAME: short unique prefix of every Azure resource name",
        "str",
        Derived("{{ (project_name | lower | regex_replace('[^a-z0-9]', ''))[:10] }}", _slug_base_name),
        rule=naming.BASE_NAME,
    ),
    Question(
        "location", "Azure region code for every resource (az account list-locations -o table)", "str", "centralus"
    ),
    Question(
        "environments",
        "Workspaces: one (single), or dev and prod (dev_prod) or dev, test and prod (dev_test_prod) with an "
        "Azure ML registry that carries the model trained in dev to the others",
        "str",
        SINGLE,
        choices=tuple(ENVIRONMENT_SETS),
        axis=True,
        shapes_run=True,  # dev_* projects carry the promotion code, its tests and `make promote`
    ),
    Question(
        "resource_group",
        "Resource group that holds the resources",
        "str",
        "mlops-RG",
        rule=naming.RESOURCE_GROUP,
        per_environment=True,
    ),
    Question(
        "workspace_name",
        "Azure Machine Learning workspace name",
        "str",
        "mlops-AML-WS",
        rule=naming.WORKSPACE_NAME,
        per_environment=True,
    ),
    Question(
        "ci_platform",
        "Where the CI/CD pipelines run",
        "str",
        "azure_devops",
        choices=("azure_devops", "github_actions"),
        axis=True,
    ),
    Question(
        "variable_group_name",
        "Azure DevOps variable group the pipelines read",
        "str",
        "devopsforai-aml-vg",
        when=Equals("ci_platform", "azure_devops"),
        rule=naming.DEVOPS_NAME,
        per_environment=True,  # each environment's group: <group>-<environment>, beside the shared one
    ),
    Question(
        "azure_rm_svc_connection",
        "Azure DevOps service connection to Azure Resource Manager",
        "str",
        "azure-resource-connection",
        when=Equals("ci_platform", "azure_devops"),
        rule=naming.DEVOPS_NAME,
        per_environment=True,
    ),
    Question(
        "workspace_svc_connection",
        "Azure DevOps service connection scoped to the ML workspace",
        "str",
        "aml-workspace-connection",
        when=Equals("ci_platform", "azure_devops"),
        rule=naming.DEVOPS_NAME,
        per_environment=True,
    ),
    Question(
        "iac",
        "Infrastructure as code flavour",
        "str",
        "arm",
        choices=("arm", "terraform"),
        axis=True,
    ),
    Question(
        "deployment_targets",
        "Where the model is served (any subset; may be empty)",
        "yaml",
        DEFAULT_TARGETS,
        choices=DEPLOYMENT_TARGETS,
        multiselect=True,
        axis=True,
        shapes_run=True,
    ),
    *targets.collect("QUESTIONS"),
    Question(
        "canary_release",
        "Blue/green canary release with traffic steps on the endpoint",
        "bool",
        False,
        when=AnyOf(tuple(Contains("deployment_targets", target) for target in CANARY_TARGETS)),
        axis=True,
        shapes_run=True,
    ),
    Question("batch_scoring", "Batch-scoring pipeline and its storage", "bool", True, axis=True, shapes_run=True),
    Question(
        "r_training",
        "Train an R model too: none, on Azure ML compute (aml) or on Databricks",
        "str",
        "none",
        choices=("none", "aml", "databricks"),
        axis=True,
        shapes_run=True,
    ),
    Question(
        "db_cluster_id",
        "Existing Databricks cluster id (leave empty to fill in later)",
        "str",
        "",
        when=Equals("r_training", "databricks"),
        rule=naming.DATABRICKS_CLUSTER_ID,
    ),
    Question(
        "databricks_compute_name",
        "Name of the Databricks compute attached to the workspace",
        "str",
        "databricks",
        when=Equals("r_training", "databricks"),
        rule=naming.AML_COMPUTE_NAME,
    ),
    Question(
        "python_version",
        "Python version of the generated project",
        "str",
        "3.11",
        choices=("3.10", "3.11", "3.12"),
        cycled=True,
    ),
    Question("experiment_name", "Azure ML / MLflow experiment name", "str", "mlopspython", rule=naming.AML_ASSET_NAME),
    Question(
        "model_name",
        "Registered model name",
        "str",
        Derived("{{ sample_name }}_model", lambda a: f"{a['sample_name']}_model"),
        rule=naming.AML_ASSET_NAME,
    ),
)

QUESTIONS_BY_NAME: dict[str, Question] = {question.name: question for question in QUESTIONS}
# The answers each environment appends its name to, with their rules, in question order (ADR 28).
PER_ENVIRONMENT: dict[str, naming.Rule] = {
    question.name: question.rule for question in QUESTIONS if question.per_environment and question.rule
}
AXES: tuple[Question, ...] = tuple(question for question in QUESTIONS if question.axis)


class AnswerError(ValueError):
    """An answer breaks its rule; str() is the one-line message shown to users."""


def answer_message(name: str, value: Any, problem: str) -> str:
    """The one-line message for a refused answer; a value holding control characters is not
    echoed (it could break the line or the terminal), exactly as copier's validator does."""
    if problem == naming.CONTROL_MESSAGE:
        return f"{name}: {problem}"
    return f"{name}: {value!r} {problem}"


def resolve_answers(overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Every applicable question answered: overrides first, then defaults in question order.

    Raises AnswerError naming the first unknown question or bad answer."""
    overrides = dict(overrides or {})
    unknown = sorted(set(overrides) - set(QUESTIONS_BY_NAME))
    if unknown:
        raise AnswerError(f"{unknown[0]}: no such question (see `mlops-scaffold options`)")
    answers: dict[str, Any] = {}
    for question in QUESTIONS:
        if not question.applies(answers):
            if question.name in overrides and overrides[question.name] != question.default_for(answers):
                raise AnswerError(f"{question.name}: does not apply here ({question.when.jinja()} is false)")
            continue
        value = overrides[question.name] if question.name in overrides else question.default_for(answers)
        problem = question.problem(value)
        if problem:
            raise AnswerError(answer_message(question.name, value, problem))
        answers[question.name] = value
    problems = name_problems(answers, PER_ENVIRONMENT)  # names derived from several answers: the first, as copier asks
    if problems:
        name, problem = problems[0]
        raise AnswerError(answer_message(name, answers[name], problem))
    return answers


def resolve_applicable(answers: Mapping[str, Any]) -> dict[str, Any]:
    """`answers` kept where their question applies (given the answers before it), the rest
    defaulted, then resolved: what copier records for them. Raises AnswerError like resolve_answers."""
    seen: dict[str, Any] = {}
    for question in QUESTIONS:
        if question.applies(seen):
            seen[question.name] = answers.get(question.name, question.default_for(seen))
    return resolve_answers(seen)


def parse_cli_value(name: str, text: str) -> Any:
    """Turn a `-d key=value` string into the answer type the question expects."""
    question = QUESTIONS_BY_NAME.get(name)
    if question is None:
        raise AnswerError(f"{name}: no such question (see `mlops-scaffold options`)")
    if question.type == "bool":
        lowered = text.strip().lower()
        if lowered in {"true", "yes", "y", "1", "on"}:
            return True
        if lowered in {"false", "no", "n", "0", "off"}:
            return False
        raise AnswerError(f"{name}: {text!r} must be true or false")
    if question.multiselect:
        import yaml

        try:
            value = yaml.safe_load(text) if text.strip() else []
        except yaml.YAMLError:
            value = text
        if isinstance(value, str):
            value = [item.strip() for item in value.split(",") if item.strip()]
        return value if value is not None else []
    return text
