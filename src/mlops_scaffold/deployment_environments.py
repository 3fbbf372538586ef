"""The deployment environments an `environments` answer sets up (ADR 28), as rows of data.

`single` is one workspace (the staging and production CI environments both point at it). The
others separate workspaces: the model is trained, evaluated and registered in dev only, promoted
into an Azure ML registry, and test and prod deploy that promoted version; each environment's
deployment depends on the previous one's success, and prod waits for an approval.

Each environment has its own resource names: the answers whose question is `per_environment`
(resource group, workspace, the targets' names that are unique in a region or worldwide) with
`-<environment>` appended, and the names derived from `base_name`, derived from
`<base_name><environment>` instead. `per_environment_names` derives the former and `name_problems`
holds them to the same Azure rules as the answers themselves; the derived names fit their rules for
every base name (a test says so). The registry has a resource group of its own
(`<resource_group>-registry`): removing an environment deletes that environment's resource group,
and the registry holds what test and prod deploy.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from mlops_scaffold.conditions import AnyOf, Equals
from mlops_scaffold.rules import DerivedName, Rule

SINGLE = "single"


@dataclass(frozen=True)
class Environment:
    name: str  # dev, test, prod: the suffix of its workspace and resource group
    title: str  # as docs and messages name it
    trains: bool  # training, evaluation and registration run here and nowhere else
    approval: bool  # its deployments wait for a reviewer
    # The CI environment its jobs run in (an Azure DevOps environment, a GitHub environment that
    # also holds its variables): the behaviour model reads from it which environment a job changes.
    ci_environment: str

    @property
    def rollback_ci_environment(self) -> str:
        """Where a canary rollback of an approval-gated environment runs: its identity and variables,
        no reviewers (a rollback must not wait for the approval of the release it undoes)."""
        return f"{self.ci_environment}-rollback"


DEV = Environment("dev", "development", trains=True, approval=False, ci_environment="development")
TEST = Environment("test", "test", trains=False, approval=False, ci_environment="test")
PROD = Environment("prod", "production", trains=False, approval=True, ci_environment="production")

ALL_ENVIRONMENTS = (DEV, TEST, PROD)  # promotion order
# The answer's values, in the order copier offers them, and the environments each sets up (in
# promotion order: each deploys only what the one before it passed).
ENVIRONMENT_SETS: dict[str, tuple[Environment, ...]] = {
    SINGLE: (),
    "dev_prod": (DEV, PROD),
    "dev_test_prod": (DEV, TEST, PROD),
}


# The registry's resource group: the answer with this appended, for the values that promote.
REGISTRY_SUFFIX = "registry"


def environments_of(answer: str) -> tuple[Environment, ...]:
    return ENVIRONMENT_SETS[answer]


def promoting(environment: Environment | None = None) -> AnyOf:
    """The condition: the `environments` answer promotes (and sets `environment` up, when given)."""
    return AnyOf(
        tuple(
            Equals("environments", answer)
            for answer, chosen in ENVIRONMENT_SETS.items()
            if chosen and (environment is None or environment in chosen)
        )
    )


def non_production_ci_environments(answer: str) -> frozenset[str]:
    """The CI environments whose jobs change an environment users are not served from (dev, test):
    the behaviour model does not count their deployments and applies as changes to production."""
    return frozenset(environment.ci_environment for environment in environments_of(answer) if environment is not PROD)


def ci_environments(chosen: tuple[Environment, ...]) -> dict[str, Environment]:
    """CI environment -> the environment its jobs change (an approval-gated one's rollback too)."""
    found = {environment.ci_environment: environment for environment in chosen}
    found.update({environment.rollback_ci_environment: environment for environment in chosen if environment.approval})
    return found


def previous(environment: Environment, chosen: tuple[Environment, ...]) -> Environment | None:
    """The environment whose success this one's deployment depends on (None for the first)."""
    index = chosen.index(environment)
    return chosen[index - 1] if index else None


def per_environment_name(base: str, environment: Environment) -> str:
    return f"{base}-{environment.name}"


def environment_base(base_name: str, environment: Environment) -> str:
    """The base the environment's derived names are made from (letters and digits, like base_name)."""
    return f"{base_name}{environment.name}"


def per_environment_names(answers: Mapping[str, Any], keys: Iterable[str]) -> dict[str, dict[str, str]]:
    """{environment: {answer: its name there}} for the `keys` these answers hold; empty for `single`."""
    present = [key for key in keys if key in answers]
    return {
        environment.name: {key: per_environment_name(str(answers[key]), environment) for key in present}
        for environment in environments_of(answers.get("environments", SINGLE))
    }


def environment_names(
    answers: Mapping[str, Any], keys: Iterable[str], derived: Iterable[DerivedName]
) -> dict[str, dict[str, str]]:
    """{environment: {name key: the name there}}: the per-environment answers and every derived
    name, as the environment's IaC, variables and docs use them; empty for `single`."""
    names = per_environment_names(answers, keys)
    for environment in environments_of(answers.get("environments", SINGLE)):
        base = environment_base(str(answers["base_name"]), environment)
        names[environment.name]["base_name"] = base
        names[environment.name].update({name.key: name.value(base) for name in derived})
    return names


def registry_resource_group(answers: Mapping[str, Any]) -> str | None:
    """The registry's resource group, or None when the answer does not promote."""
    if not environments_of(answers.get("environments", SINGLE)):
        return None
    return f"{answers['resource_group']}-{REGISTRY_SUFFIX}"


@dataclass(frozen=True)
class NameSuffix:
    """A name made from an answer by appending `-<suffix>` in the projects whose `environments`
    answer is one of `answers`: each environment's own, and the registry's resource group."""

    suffix: str
    what: str  # as messages call the name
    answers: tuple[str, ...]


def name_suffixes(key: str) -> tuple[NameSuffix, ...]:
    """Every name the answer `key` makes with a suffix (name_problems and copier's validator walk it)."""
    found = [
        NameSuffix(
            environment.name,
            f"the {environment.name} name",
            tuple(answer for answer, chosen in ENVIRONMENT_SETS.items() if environment in chosen),
        )
        for environment in ALL_ENVIRONMENTS
    ]
    if key == "resource_group":
        promoting_answers = tuple(answer for answer, chosen in ENVIRONMENT_SETS.items() if chosen)
        found.append(NameSuffix(REGISTRY_SUFFIX, "the registry's resource group name", promoting_answers))
    return tuple(found)


def name_problems(answers: Mapping[str, Any], rules: Mapping[str, Rule]) -> list[tuple[str, str]]:
    """(answer, problem) for each name made from an answer here that breaks its Azure rule;
    `rules` are the per-environment answers' rules, in question order (as copier asks them)."""
    chosen = answers.get("environments", SINGLE)
    problems = []
    for key, rule in rules.items():
        if key not in answers:
            continue  # a question that does not apply (a target not chosen)
        for suffix in name_suffixes(key):
            name = f"{answers[key]}-{suffix.suffix}"
            if chosen in suffix.answers and (problem := rule.check(name)):
                problems.append((key, f"makes {suffix.what} {name!r}, which {problem}"))
    return problems


def environment_rows(answer: str) -> list[dict[str, Any]]:
    """The rows the template loops over (copier.yml's computed `environment_rows`)."""
    return [
        {
            "name": environment.name,
            "title": environment.title,
            "trains": environment.trains,
            "approval": environment.approval,
            "ci_environment": environment.ci_environment,
            "rollback_ci_environment": environment.rollback_ci_environment,
        }
        for environment in environments_of(answer)
    ]
