"""The Azure ML registry's IaC (issue 17, ADR 28): an ARM template or a Terraform root module of its
own, in its own resource group, whose only writer is the identity that applies it (the promotion
identity) and which every environment after dev reads. Each check that covers it is shown to fail
on a planted defect, in both flavours."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import copier
import pytest
from conftest import answers_with, require

from mlops_scaffold.checks import iac
from mlops_scaffold.checks.iac_schema import iac_schemas
from mlops_scaffold.checks.identity import arm_grants, missing_grants, terraform_grants
from mlops_scaffold.deployment_environments import ENVIRONMENT_SETS, SINGLE, environments_of
from mlops_scaffold.options import AnswerError, resolve_answers

MULTI = [answer for answer, chosen in ENVIRONMENT_SETS.items() if chosen]
ARM_REGISTRY = "environment_setup/arm-templates/registry.json"
ARM_REGISTRY_PARAMETERS = "environment_setup/arm-templates/registry.parameters.json"
TF_REGISTRY = "environment_setup/tf-templates/registry"
FLAVOURS = {"arm": {"iac": "arm"}, "terraform": {"iac": "terraform", "ci_platform": "github_actions"}}


@pytest.mark.parametrize("iac_flavour", sorted(FLAVOURS))
@pytest.mark.parametrize("answer", [SINGLE, *MULTI])
def test_only_promotion_brings_the_registry_iac_of_the_chosen_flavour(
    answer: str, iac_flavour: str, render: Callable[..., Path]
) -> None:
    project = render(environments=answer, **FLAVOURS[iac_flavour])
    promotes = answer != SINGLE
    assert (project / ARM_REGISTRY).is_file() == (promotes and iac_flavour == "arm")
    assert (project / ARM_REGISTRY_PARAMETERS).is_file() == (promotes and iac_flavour == "arm")
    assert (project / TF_REGISTRY / "main.tf").is_file() == (promotes and iac_flavour == "terraform")
    infrastructure = (project / "docs" / "infrastructure.md").read_text()
    assert ("## The model registry" in infrastructure) == promotes


@pytest.mark.parametrize("iac_flavour", sorted(FLAVOURS))
@pytest.mark.parametrize("answer", MULTI)
def test_the_promotion_identity_alone_writes_and_each_later_environment_reads(
    answer: str, iac_flavour: str, render: Callable[..., Path]
) -> None:
    project = render(environments=answer, **FLAVOURS[iac_flavour])
    granted = arm_grants(project) if iac_flavour == "arm" else terraform_grants(project)
    on_registry = sorted(assignment for assignment in granted.assignments if assignment[1] == "aml_registry")
    later = [environment.name for environment in environments_of(answer) if not environment.trains]
    expected = [("promotion_identity", "aml_registry", "AzureML Registry User")]
    expected += [(f"{name}_{who}", "aml_registry", "Reader") for name in later for who in ("deployer", "workspace")]
    assert on_registry == sorted(expected)
    assert missing_grants(project) == []


@pytest.mark.parametrize("iac_flavour", sorted(FLAVOURS))
def test_the_registry_iac_passes_its_checks_and_checkov(iac_flavour: str, render: Callable[..., Path]) -> None:
    project = render(environments="dev_test_prod", **FLAVOURS[iac_flavour])
    checks = (iac.arm_structure, iac.terraform_structure, iac.secure_defaults, iac.names_consistent, iac_schemas)
    assert [str(finding) for check in checks for finding in check(project)] == []
    binary = iac.checkov_binary()
    require(binary, "checkov (make .cache/checkov-venv/bin/checkov)")
    assert iac.checkov_findings(project, binary=binary) == []


# --- planted defects: (file, old text, new text, check, a piece of the finding) -------------------

ARM_DEFECTS = {
    "a later environment cannot read": (
        ARM_REGISTRY,
        '"principalId": "[parameters(\'prodDeployerPrincipalId\')]"',
        '"principalId": "[parameters(\'prodWorkspacePrincipalId\')]"',
        missing_grants,
        "prod CI identity -> Azure ML registry: needs Reader",
    ),
    "a second writer": (
        ARM_REGISTRY,
        '"description": "test: creates deployments that reference the promoted model (read only)",\n'
        '        "roleDefinitionId": "[variables(\'readerRoleId\')]"',
        '"description": "test: creates deployments that reference the promoted model (read only)",\n'
        '        "roleDefinitionId": "[variables(\'registryUserRoleId\')]"',
        missing_grants,
        "test CI identity -> Azure ML registry: holds AzureML Registry User, but only the promotion identity",
    ),
    "a property Azure does not know": (
        ARM_REGISTRY,
        '"publicNetworkAccess": "Enabled"',
        '"publicNetworkAcess": "Enabled"',
        iac_schemas,
        'unknown property "properties.publicNetworkAcess"',
    ),
    "public blobs in the registry's storage": (
        ARM_REGISTRY,
        '"allowBlobPublicAccess": false',
        '"allowBlobPublicAccess": true',
        iac.secure_defaults,
        "its storage must not allow public blob access",
    ),
    "a registry name the pipelines do not use": (
        ARM_REGISTRY_PARAMETERS,
        '"value": "mlopsdiabe-AML-REG"',
        '"value": "mlopsdiabe-AML-REG2"',
        iac.names_consistent,
        "registryName='mlopsdiabe-AML-REG2' but docs/variable_group.md has AML_REGISTRY_NAME='mlopsdiabe-AML-REG'",
    ),
    "a parameter nobody passes": (
        ARM_REGISTRY,
        '"passedBy": "the command line when deployed: the object id of the prod CI identity"',
        '"note": "the command line when deployed: the object id of the prod CI identity"',
        iac.arm_structure,
        "required parameter prodDeployerPrincipalId is missing",
    ),
}
TF_DEFECTS = {
    "a later environment cannot read": (
        f"{TF_REGISTRY}/main.tf",
        "principal_id         = var.prod_deployer_principal_id",
        "principal_id         = var.prod_workspace_principal_id",
        missing_grants,
        "prod CI identity -> Azure ML registry: needs Reader",
    ),
    "a second writer": (
        f"{TF_REGISTRY}/main.tf",
        'resource "azurerm_role_assignment" "test_deployer_reader" {\n'
        "  scope                = azapi_resource.registry.id\n"
        '  role_definition_name = "Reader"',
        'resource "azurerm_role_assignment" "test_deployer_reader" {\n'
        "  scope                = azapi_resource.registry.id\n"
        '  role_definition_name = "AzureML Registry User"',
        missing_grants,
        "test CI identity -> Azure ML registry: holds AzureML Registry User, but only the promotion identity",
    ),
    "a property Azure does not know": (
        f"{TF_REGISTRY}/main.tf",
        'publicNetworkAccess = "Enabled"',
        'publicNetworkAcess = "Enabled"',
        iac_schemas,
        'unknown property "properties.publicNetworkAcess"',
    ),
    "public blobs in the registry's storage": (
        f"{TF_REGISTRY}/main.tf",
        "allowBlobPublicAccess    = false",
        "allowBlobPublicAccess    = true",
        iac.secure_defaults,
        "its storage must not allow public blob access",
    ),
    "a registry name the pipelines do not use": (
        f"{TF_REGISTRY}/terraform.tfvars",
        '"mlopsdiabe-AML-REG"',
        '"mlopsdiabe-AML-REG2"',
        iac.names_consistent,
        "registry_name='mlopsdiabe-AML-REG2' but docs/variable_group.md has AML_REGISTRY_NAME='mlopsdiabe-AML-REG'",
    ),
    "a variable nobody passes": (
        f"{TF_REGISTRY}/variables.tf",
        'description = "Object id of the prod CI identity. Passed on the command line (-var)"',
        'description = "Object id of the prod CI identity"',
        iac.terraform_structure,
        "variable prod_deployer_principal_id has no default and no value",
    ),
}
DEFECTS = [("arm", name, *defect) for name, defect in ARM_DEFECTS.items()]
DEFECTS += [("terraform", name, *defect) for name, defect in TF_DEFECTS.items()]


@pytest.mark.parametrize(
    "iac_flavour, name, path, old, new, check, expected", DEFECTS, ids=[f"{d[0]}: {d[1]}" for d in DEFECTS]
)
def test_a_planted_defect_in_the_registry_iac_is_found(
    iac_flavour: str, name: str, path: str, old: str, new: str, check, expected: str, render_copy
) -> None:
    project = render_copy(environments="dev_test_prod", **FLAVOURS[iac_flavour])
    assert check(project) == []
    text = (project / path).read_text()
    assert text.count(old) == 1, f"{name}: the text to change is not in {path} once"
    (project / path).write_text(text.replace(old, new))
    messages = [str(finding) for finding in check(project)]
    assert any(expected in message for message in messages), messages


# --- names -----------------------------------------------------------------------------------


def test_the_registry_resource_group_is_held_to_the_azure_rule_alike_by_python_and_copier(
    template_snapshot: Path, tmp_path: Path
) -> None:
    group = "g" * 82  # within the rule's 90 characters with -dev, -test or -prod; 91 with -registry
    with pytest.raises(AnswerError) as python_error:
        resolve_answers({"environments": "dev_prod", "resource_group": group})
    assert str(python_error.value).startswith(
        f"resource_group: '{group}' makes the registry's resource group name '{group}-registry'"
    )
    data = {**answers_with(), "environments": "dev_prod", "resource_group": group}
    with pytest.raises(ValueError) as copier_error:
        copier.run_copy(str(template_snapshot), tmp_path / "bad", data=data, defaults=True, pretend=True, quiet=True)
    assert str(python_error.value) in str(copier_error.value)
    assert resolve_answers({"environments": SINGLE, "resource_group": group})["resource_group"] == group


def test_the_registry_state_is_apart_from_every_environment(render: Callable[..., Path]) -> None:
    project = render(environments="dev_prod", **FLAVOURS["terraform"])
    backend = (project / TF_REGISTRY / "backend.tf").read_text()
    answers = resolve_answers(answers_with(environments="dev_prod"))
    assert f'resource_group_name  = "{answers["resource_group"]}-registry"' in backend
    assert 'key                  = "registry.tfstate"' in backend
    main_backend = (project / "environment_setup/tf-templates/backend.tf").read_text()
    assert "registry.tfstate" not in main_backend


@pytest.mark.parametrize("iac_flavour", sorted(FLAVOURS))
def test_every_check_that_reads_the_registry_iac_is_keyed_by_it(
    iac_flavour: str, render_copy: Callable[..., Path]
) -> None:
    """A cached result (the render tier's) must not outlive a change to the registry's files."""
    from mlops_scaffold.checks import ALL_CHECKS, cache_file

    project = render_copy(environments="dev_prod", **FLAVOURS[iac_flavour])
    changed = project / (ARM_REGISTRY if iac_flavour == "arm" else f"{TF_REGISTRY}/main.tf")
    structure = iac.arm_structure if iac_flavour == "arm" else iac.terraform_structure
    readers = (structure, iac.secure_defaults, iac.names_consistent, iac_schemas, missing_grants)
    assert all(check in ALL_CHECKS for check in readers)
    before = {check.__name__: cache_file(check, project, project.parent) for check in readers}
    changed.write_text(changed.read_text() + "\n")
    after = {check.__name__: cache_file(check, project, project.parent) for check in readers}
    assert None not in before.values()
    assert [name for name in before if before[name] == after[name]] == []
