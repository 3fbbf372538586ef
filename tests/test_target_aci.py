"""Azure Container Instances (deployment target `aci`): its own identity and dry-run behaviour, and
what it declares for the generic tests that sweep every target (conftest.per_target)."""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from conftest import drop_tf_block, line_of, only_identity_finding

from mlops_scaffold.checks.iac import TF_DIR
from mlops_scaffold.naming import derived_names

# --- declared for the generic tests ------------------------------------------------------------

# test_pipelines: words the getting-started guide may only use when the target is chosen.
DOC_WORDS = ("Container Instances", "ACI_DEPLOYMENT_NAME")
# test_iac: the target's own resource in the IaC (ARM, Terraform): the identity its group pulls with.
IAC_MARKS = ("Microsoft.ManagedIdentity/userAssignedIdentities", "azurerm_user_assigned_identity")
# test_identity: the role assignments its IaC makes.
IAC_GRANTS = {("aci_identity", "registry", "AcrPull")}
# test_questionnaire: (question, a valid answer, an invalid one).
ANSWER_RULES = [("aci_deployment_name", "my-aci-1", "My_ACI")]
# test_exposure: (id, answers, file, old, new, expected) each planting an exposed endpoint.
EXPOSURE_DEFECTS = [
    (
        "aci-public",
        {"deployment_targets": ["aci"]},
        "ml_service/deploy/aci.py",
        '{"type": "Private", "ports"',
        '{"type": "Public", "ports"',
        "the container group has a public address",
    ),
]
# test_aml: the target alone in a combination (the canonical answers), what its dry run writes and
# leaves out; in the combination of every target its own entity; without the target, its folder.
DRY_RUN_COMBINATION = ("aci+batch", {})
DRY_RUN_WRITES = {
    "aci/container_group.json",
    "aci/image_build.json",
    "jobs/batch_scoring_pipeline.yml",
    "schedules/retraining.yml",
    "jobs/retraining_pipeline.yml",
    "schedules/aci-drift-retraining.yml",
}
DRY_RUN_LEAVES_OUT = {"endpoints"}
DRY_RUN_ENTITY = "aci/container_group.json"
DRY_RUN_FOLDER = "aci"


# --- its own behaviour -------------------------------------------------------------------------


def test_terraform_dropped_acr_pull_is_named(render_copy) -> None:
    project = render_copy(iac="terraform", deployment_targets=["aci", "aks"])
    drop_tf_block(project, 'resource "azurerm_role_assignment" "aci_acr_pull"')
    relative = f"{TF_DIR}/main.tf"
    line = line_of(project, relative, 'resource "azurerm_user_assigned_identity" "aci"')
    assert only_identity_finding(project) == (
        f"{relative}:{line}: ACI identity -> container registry: needs AcrPull to pull the scoring image into the "
        "container group; no role assignment grants it"
    )


def test_aci_pulls_with_the_identity_the_iac_creates(every_target_dry_run: tuple[Path, Path]) -> None:
    """The deploy template names the identity and registry environment_setup creates, and no
    registry credential: the IaC disables the registry's admin user."""
    project, output = every_target_dry_run
    names = derived_names(yaml.safe_load((project / ".copier-answers.yml").read_text())["base_name"])
    group_text = (output / "aci" / "container_group.json").read_text()
    assert "listCredentials" not in group_text and "password" not in group_text.lower()
    (group,) = json.loads(group_text)["resources"]
    identity = f"[resourceId('Microsoft.ManagedIdentity/userAssignedIdentities', '{names['aci_identity_name']}')]"
    assert group["identity"] == {"type": "UserAssigned", "userAssignedIdentities": {identity: {}}}
    registry = f"{names['container_registry_name']}.azurecr.io"
    assert group["properties"]["imageRegistryCredentials"] == [{"server": registry, "identity": identity}]
