"""The types the options model is built of: a question, a pipeline variable, an access entity and
need, a row of traits, a finding. The central tables (options.py, variables.py, access.py,
traits/values.py, the checks) and the deployment targets' modules (mlops_scaffold/targets/) both
build on them; nothing here imports those tables, so a target module can import this one first.
"""

from __future__ import annotations

import string
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from mlops_scaffold import rules
from mlops_scaffold.conditions import ALWAYS, Condition, Contains, Equals

# --- questions (options.py) -------------------------------------------------------------------


@dataclass(frozen=True)
class Derived:
    """A default computed from earlier answers: the same formula as Jinja (for copier) and Python."""

    jinja: str
    compute: Callable[[Mapping[str, Any]], Any]


@dataclass(frozen=True)
class Question:
    name: str
    help: str
    type: str  # copier's type: str, bool or yaml
    default: Any
    choices: tuple[Any, ...] = ()
    multiselect: bool = False
    when: Condition = ALWAYS
    rule: rules.Rule | None = None
    axis: bool = False  # an axis of the combination matrix: every value is multiplied
    # An axis that changes what the generated project runs (code, tests, Makefile), not only
    # its pipelines, IaC or docs; the matrix cycles scalars over these groups.
    shapes_run: bool = False
    cycled: bool = False  # a scalar the matrix cycles through so each value appears once at least
    # A name each environment needs its own of (ADR 28): an Azure resource name unique in a region,
    # the subscription or worldwide, or a CI object that holds one environment's values or identity
    # (variable group, service connection). Each environment's is the answer with `-<environment>` appended,
    # held to the same rule (deployment_environments.name_problems, copier's validator).
    per_environment: bool = False

    def default_for(self, answers: Mapping[str, Any]) -> Any:
        if isinstance(self.default, Derived):
            return self.default.compute(answers)
        return list(self.default) if isinstance(self.default, tuple) else self.default

    def applies(self, answers: Mapping[str, Any]) -> bool:
        return self.when.holds(answers)

    def problem(self, value: Any) -> str | None:
        """Why `value` is not a valid answer, or None."""
        if self.type == "bool" and not isinstance(value, bool):
            return "must be true or false"
        if self.multiselect:
            if not isinstance(value, list | tuple):
                return f"must be a list drawn from {', '.join(self.choices)}"
            unknown = [item for item in value if item not in self.choices]
            if unknown:
                return f"contains {', '.join(map(str, unknown))}; allowed: {', '.join(self.choices)}"
            return None
        if self.type == "str" and rules.control_problem(value):
            return rules.control_problem(value)
        if self.choices and value not in self.choices:
            return f"must be one of {', '.join(map(str, self.choices))}"
        if self.name == "location":
            return rules.check_location(value)
        if self.rule is not None:
            return self.rule.check(value)
        return None


# --- pipeline variables (variables.py) --------------------------------------------------------

GROUP = "group"  # the variable group (Azure DevOps) or repository variables (GitHub)
TEMPLATE = "template"  # the variables template / workflow env, defaults that rarely change


@dataclass(frozen=True)
class Variable:
    name: str
    value: str  # a str.format pattern over the answers and derived names; "" means "you fill it in"
    meaning: str
    scope: str = GROUP
    required: bool = True
    secret: bool = False
    when: Condition = ALWAYS
    # How the CI logs in to Azure; only the pipelines read it, so ml_service/settings.py leaves it
    # out (and stays the same whichever CI platform is chosen).
    ci_login: bool = False
    kind: str = "str"  # how ml_service/settings.py converts the text: "str", "int" or "bool"
    # The data file of ml_service/variables/ that holds it, when `when` alone does not name it.
    part_name: str = ""
    # Each environment has its own value although no per-environment name makes it (ADR 28): an
    # Entra ID app registration per environment, say.
    own_per_environment: bool = False

    @property
    def core(self) -> bool:
        """Set in every project, whatever the options (ml_service keeps these apart from the others)."""
        return self.when.jinja() == "true"

    @property
    def part(self) -> str:
        """Its file in ml_service/variables/: "core", or the option value that brings it (the same
        name as in ml_service/features.json), so a test of one option reads that option's data only."""
        from mlops_scaffold.traits.values import part_of

        if self.part_name:
            return self.part_name
        if self.core:
            return "core"
        if isinstance(self.when, Contains | Equals):
            return part_of(self.when.question, self.when.value)
        raise ValueError(f"{self.name}: name its part (part_name=...) for the condition {self.when.jinja()}")

    def render(self, context: Mapping[str, Any]) -> str:
        return self.value.format(**context)

    def fields(self) -> frozenset[str]:
        """The answers and derived names its value is made of."""
        return frozenset(field for _, field, _, _ in string.Formatter().parse(self.value) if field)


# --- access (access.py) -----------------------------------------------------------------------

# How a principal's object id is read from its resource.
SYSTEM_ASSIGNED = "system-assigned identity"  # ARM reference(...).identity.principalId, TF identity[0].principal_id
USER_ASSIGNED = "user-assigned identity"  # the resource is the identity: .principalId / .principal_id
# A managed cluster's kubelet: identityProfile.kubeletidentity.objectId / kubelet_identity[0].object_id
KUBELET = "kubelet identity"
DEPLOYER = "deployer"  # whoever runs the IaC: ARM deployer().objectId, TF data.azurerm_client_config
# An identity made elsewhere, whose object id the IaC is given: ARM parameters('<arm_name>'), TF var.<tf_name>
GIVEN = "object id given to the IaC"


@dataclass(frozen=True)
class Entity:
    """A principal or a resource as the IaC declares it: ARM type and the parameter of the last
    segment of its name; Terraform type and the variable its `name` is set from."""

    key: str
    title: str  # as messages name it
    arm_type: str = ""
    arm_name: str = ""
    tf_type: str = ""
    tf_name: str = ""
    identity: str = SYSTEM_ASSIGNED  # for principals: how its object id is read


@dataclass(frozen=True)
class Need:
    principal: str  # an Entity key of PRINCIPALS
    resource: str  # an Entity key of RESOURCES
    role: str  # an Azure built-in role name
    why: str  # what the principal does with the resource
    when: Condition = ALWAYS
    # Granted by Azure itself, not by the IaC (e.g. Azure ML gives the system-assigned identity of
    # an endpoint it hosts AcrPull and blob read on the workspace's registry and storage).
    by_platform: bool = False
    # Needed only when the IaC gives the principal an identity of its own: an Azure ML cluster
    # without one pulls images and reads datastore secrets with the workspace's identity.
    if_own_identity: bool = False


@dataclass(frozen=True)
class Only:
    """No principal but `principal` holds `role` (or any role that grants it) on `resource`."""

    resource: str  # an Entity key of RESOURCES
    role: str
    principal: str  # an Entity key of PRINCIPALS
    why: str


# --- traits (traits/values.py) ----------------------------------------------------------------


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
# Flags of environments values: dev trains, a registry carries the model to the others (ADR 28).
PROMOTES = "promotes"


# --- checks (checks/) -------------------------------------------------------------------------


@dataclass(frozen=True)
class Finding:
    path: str  # relative to the project root
    line: int | None  # 1-based, None when it is about the whole file
    message: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {self.message}"


# (ARM type, property path, required value, why) or (Terraform type, attribute, required value, why)
SecureDefault = tuple[str, str, Any, str]


def line_of(text: str, needle: str, start: int = 0) -> int:
    """The 1-based line of the first `needle` at or after `start` (1 when there is none)."""
    index = text.find(needle, start)
    return text.count("\n", 0, index) + 1 if index >= 0 else 1


def hcl_block(text: str, start: int) -> str:
    """The text of the block whose `{` is the first one at or after `start` (braces balanced)."""
    opening = text.find("{", start)
    depth = 0
    for index in range(opening, len(text)):
        depth += {"{": 1, "}": -1}.get(text[index], 0)
        if depth == 0:
            return text[opening : index + 1]
    return text[opening:]


# Vocabulary of the targets that serve our own scoring image (traits/values.py, `scoring_image`).
SCORING_IMAGE_WORDS = ("scoring-image", "scoring_image", "scoring image")
