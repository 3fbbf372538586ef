"""The deployment environments an `environments` answer sets up (ADR 28), as rows of data.

`single` is one workspace (the staging and production CI environments both point at it). The
others separate workspaces: the model is trained, evaluated and registered in dev only, promoted
into an Azure ML registry, and test and prod deploy that promoted version; each environment's
deployment depends on the previous one's success, and prod waits for an approval.

Each environment's workspace and resource group are the answers `workspace_name` and
`resource_group` with the environment's name appended; `per_environment_names` derives them and
`name_problems` holds them to the same Azure rules as the answers themselves. The registry has a
resource group of its own (`<resource_group>-registry`): removing an environment deletes that
environment's resource group, and the registry holds what test and prod deploy.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mlops_scaffold.rules import RESOURCE_GROUP, WORKSPACE_NAME, Rule

SINGLE = "single"


@dataclass(frozen=True)
class Environment:
    name: str  # dev, test, prod: the suffix of its workspace and resource group
    title: str  # as docs and messages name it
    trains: bool  # training, evaluation and registration run here and nowhere else
    approval: bool  # its deployments wait for a reviewer


DEV = Environment("dev", "development", trains=True, approval=False)
TEST = Environment("test", "test", trains=False, approval=False)
PROD = Environment("prod", "production", trains=False, approval=True)

ALL_ENVIRONMENTS = (DEV, TEST, PROD)  # promotion order
# The answer's values, in the order copier offers them, and the environments each sets up (in
# promotion order: each deploys only what the one before it passed).
ENVIRONMENT_SETS: dict[str, tuple[Environment, ...]] = {
    SINGLE: (),
    "dev_prod": (DEV, PROD),
    "dev_test_prod": (DEV, TEST, PROD),
}

# The answers a per-environment name is made of, and the Azure rule the name must follow.
PER_ENVIRONMENT: dict[str, Rule] = {"resource_group": RESOURCE_GROUP, "workspace_name": WORKSPACE_NAME}


# The registry's resource group: the answer with this appended, for the values that promote.
REGISTRY_SUFFIX = "registry"


def environments_of(answer: str) -> tuple[Environment, ...]:
    return ENVIRONMENT_SETS[answer]


def previous(environment: Environment, chosen: tuple[Environment, ...]) -> Environment | None:
    """The environment whose success this one's deployment depends on (None for the first)."""
    index = chosen.index(environment)
    return chosen[index - 1] if index else None


def per_environment_name(base: str, environment: Environment) -> str:
    return f"{base}-{environment.name}"


def per_environment_names(answers: Mapping[str, Any]) -> dict[str, dict[str, str]]:
    """{environment: {answer: its name there}}; empty for `single`."""
    return {
        environment.name: {key: per_environment_name(str(answers[key]), environment) for key in PER_ENVIRONMENT}
        for environment in environments_of(answers.get("environments", SINGLE))
    }


def registry_resource_group(answers: Mapping[str, Any]) -> str | None:
    """The registry's resource group, or None when the answer does not promote."""
    if not environments_of(answers.get("environments", SINGLE)):
        return None
    return f"{answers['resource_group']}-{REGISTRY_SUFFIX}"


def name_problems(answers: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(answer, problem) for each name derived from an answer here that breaks its Azure rule."""
    names = per_environment_names(answers)
    problems = []
    for key, rule in PER_ENVIRONMENT.items():  # in question order, as copier asks them
        for environment, named in names.items():
            problem = rule.check(named[key])
            if problem:
                problems.append((key, f"makes the {environment} name {named[key]!r}, which {problem}"))
        registry_group = registry_resource_group(answers)
        if key == "resource_group" and registry_group and (problem := rule.check(registry_group)):
            problems.append((key, f"makes the registry's resource group name {registry_group!r}, which {problem}"))
    return problems


def environment_rows(answer: str) -> list[dict[str, Any]]:
    """The rows the template loops over (copier.yml's computed `environment_rows`)."""
    return [
        {
            "name": environment.name,
            "title": environment.title,
            "trains": environment.trains,
            "approval": environment.approval,
        }
        for environment in environments_of(answer)
    ]
