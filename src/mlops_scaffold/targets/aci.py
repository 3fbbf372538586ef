"""Azure Container Instances: the private staging target that runs the scoring image in a
container group inside the project's VNet."""

from __future__ import annotations

import re
from pathlib import Path

from mlops_scaffold.conditions import Contains
from mlops_scaffold.model import (
    SCORING_IMAGE,
    SCORING_IMAGE_WORDS,
    SERVES,
    TEMPLATE,
    USER_ASSIGNED,
    Entity,
    Finding,
    Need,
    Question,
    Traits,
    Variable,
    line_of,
)
from mlops_scaffold.rules import DerivedName, Rule

ORDER = 10
IN_DEFAULT_ANSWER = True  # the default answer of deployment_targets
CHOSEN = Contains("deployment_targets", "aci")

TRAITS = Traits(
    (
        "aci",
        "Azure Container Instances",
        "Container Instances",
        "container group",
        "Microsoft.ContainerInstance",
        "containerGroups",
        *SCORING_IMAGE_WORDS,
    ),
    flags=frozenset({SERVES, SCORING_IMAGE}),
    files=("ml_service/deploy/aci.py", "ml_service/variables/aci.json", "tests/test_ml_service_aci.py"),
    title="Azure Container Instances",
    short_title="ACI",
    staging=True,
)

NAME = Rule(
    "^(?!.*--)[a-z0-9][-a-z0-9]{0,61}[a-z0-9]$",
    "be 2–63 lowercase letters, digits or single '-', not starting or ending with '-'",
)

QUESTIONS = (
    Question(
        "aci_deployment_name",
        "Azure Container Instances container group name",
        "str",
        "mlops-aci",
        when=CHOSEN,
        rule=NAME,
    ),
)

DERIVED_NAMES = (
    DerivedName(
        "aci_identity_name",
        "-AML-ACI-ID",
        False,
        Rule("^[a-zA-Z0-9][-_a-zA-Z0-9]{2,127}$", "be 3–128 alphanumerics/-_"),
        "Identity ACI pulls the scoring image with",
    ),
)

VARIABLES = (
    Variable(
        "ACI_DEPLOYMENT_NAME",
        "{aci_deployment_name}",
        "Azure Container Instances container group of the scoring service",
        when=CHOSEN,
    ),
    Variable(
        "ACI_IDENTITY_NAME",
        "{aci_identity_name}",
        "User-assigned identity (created by the IaC) that ACI pulls the scoring image with",
        scope=TEMPLATE,
        when=CHOSEN,
    ),
)

PRINCIPALS = (
    Entity(
        "aci_identity",
        "ACI identity",
        "Microsoft.ManagedIdentity/userAssignedIdentities",
        "aciIdentityName",
        "azurerm_user_assigned_identity",
        "aci_identity_name",
        identity=USER_ASSIGNED,
    ),
)

NEEDS = (Need("aci_identity", "registry", "AcrPull", "pull the scoring image into the container group", CHOSEN),)

ARM_TO_VARIABLE = {"aciIdentityName": "ACI_IDENTITY_NAME"}
TF_TO_VARIABLE = {"aci_identity_name": "ACI_IDENTITY_NAME"}

DEPLOY_MODULE = "ml_service/deploy/aci.py"


def private_container_group(project: Path) -> list[Finding]:
    """The container group has no public address: it sits in a subnet with a private IP."""
    path = project / DEPLOY_MODULE
    if not path.is_file():
        return []
    text = path.read_text(encoding="utf-8")
    public = re.search(r"""["']type["']\s*:\s*["']Public["']|dnsNameLabel""", text)
    if public:
        message = "the container group has a public address: ACI is a private test target inside its VNet"
        return [Finding(DEPLOY_MODULE, line_of(text, public.group(0)), message)]
    if not re.search(r"""["']type["']\s*:\s*["']Private["']""", text) or "subnetIds" not in text:
        return [Finding(DEPLOY_MODULE, None, "the container group is not placed in a subnet with a private IP")]
    return []


EXPOSURE_CHECKS = (private_container_group,)
EXPOSURE_READS = (DEPLOY_MODULE,)
