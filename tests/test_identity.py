"""The identity and permission model (checks/identity.py, needs in mlops_scaffold/access.py): every
principal that reads or writes a resource holds a role that grants it, in both IaC flavours; a
dropped role assignment or identity is one finding naming principal, resource, role, file and line."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import pytest
from conftest import drop_arm_resource as _drop_arm_resource
from conftest import drop_tf_block as _drop_tf_block
from conftest import line_of as _line
from conftest import only_identity_finding as _only
from conftest import pairwise_cover, per_target, subset_renderer

from mlops_scaffold import access
from mlops_scaffold.checks import ALL_CHECKS, identity, run_checks
from mlops_scaffold.checks.iac import ARM_TEMPLATE, TF_DIR
from mlops_scaffold.options import DEPLOYMENT_TARGETS

# What the identity check reads: the IaC, ml_service and the answers file.
IDENTITY_PATHS = ["/*", "!/environment_setup", "!/ml_service", "!/.copier-answers.yml"]
SUBSETS = [
    list(subset)
    for size in range(len(DEPLOYMENT_TARGETS) + 1)
    for subset in itertools.combinations(DEPLOYMENT_TARGETS, size)
]
# The role assignments each target's IaC makes, declared by tests/test_target_<target>.py.
GRANTS: dict[str, set[tuple[str, str, str]]] = per_target("IAC_GRANTS")
COMBINATIONS = [
    {"iac": flavour, "deployment_targets": targets, "batch_scoring": batch}
    for flavour, targets, batch in itertools.product(("arm", "terraform"), SUBSETS, (False, True))
]


def combo_id(combo: dict[str, Any]) -> str:
    targets = "+".join(combo["deployment_targets"]) or "no-target"
    return "-".join([combo["iac"], targets, *(["batch"] if combo["batch_scoring"] else [])])


@pytest.fixture(scope="module")
def identity_render(tmp_path_factory: pytest.TempPathFactory, template_snapshot: Path):
    return subset_renderer(tmp_path_factory, template_snapshot, IDENTITY_PATHS, combo_id)


def _pairs(combo: dict[str, Any]) -> set:
    values = [("iac", combo["iac"]), ("batch", combo["batch_scoring"])]
    values += [(target, target in combo["deployment_targets"]) for target in DEPLOYMENT_TARGETS]
    return set(itertools.combinations(values, 2))


# Each pair of flavour, batch scoring and target (in or out) together: the fast tier's sweep. The
# whole matrix (`make test`) runs the same check on every combination, each target subset included.
PAIRWISE = pairwise_cover(COMBINATIONS, _pairs)


def test_the_matrix_runs_the_check_on_every_combination() -> None:
    assert identity.missing_grants in ALL_CHECKS  # what the render tier runs on each of its renderings


def test_every_pair_of_answers_grants_every_need(identity_render) -> None:
    """Zero missing grants in a pairwise cover of deployment targets × batch scoring × IaC flavour."""
    assert len(PAIRWISE) < len(COMBINATIONS)
    failures = []
    for combo in PAIRWISE:
        project = identity_render(combo)
        failures += [f"{combo_id(combo)}: {finding}" for finding in identity.missing_grants(project)]
    assert failures == []


def test_the_model_reads_the_grants_it_checks(identity_render) -> None:
    """The parser sees the assignments (so an empty finding list is not an empty reading)."""
    for flavour in ("arm", "terraform"):
        combo = {"iac": flavour, "deployment_targets": list(GRANTS), "batch_scoring": True}
        project = identity_render(combo)
        granted = identity.arm_grants(project) or identity.terraform_grants(project)
        # Terraform gives the training cluster an identity of its own (ARM leaves it the workspace's)
        training = {
            ("training_cluster", "registry", "AcrPull"),
            ("training_cluster", "key_vault", "Key Vault Secrets User"),
        }
        assert set(granted.assignments) == {
            ("workspace", "key_vault", "Key Vault Administrator"),
            *(grant for grants in GRANTS.values() for grant in grants),
            ("scoring_cluster", "registry", "AcrPull"),
            ("scoring_cluster", "key_vault", "Key Vault Secrets User"),
            ("scoring_cluster", "scoring_storage", "Storage Blob Data Contributor"),
            ("ci_identity", "scoring_storage", "Storage Blob Data Contributor"),
            *(training if flavour == "terraform" else ()),
        }, flavour
        targets_with_identity = {name for names in per_target("IAC_IDENTITIES").values() for name in names}
        assert {"scoring_cluster", "workspace", *targets_with_identity} <= granted.with_identity


def test_the_code_declares_what_the_batch_pipeline_reads(identity_render) -> None:
    project = identity_render({"iac": "arm", "deployment_targets": [], "batch_scoring": True})
    needs = {(code.need.principal, code.need.resource, code.need.role) for code in identity.code_needs(project)}
    assert needs == {("scoring_cluster", "scoring_storage", "Storage Blob Data Contributor")}


def test_every_need_names_a_known_principal_resource_and_role() -> None:
    known_roles = set(access.ROLE_IDS.values())
    for need in access.NEEDS:
        assert need.principal in access.PRINCIPALS and need.resource in access.RESOURCES, need
        assert need.role in known_roles and need.role in access.SATISFIED_BY, need


def test_control_plane_roles_never_grant_data_access() -> None:
    assert not access.grants("Contributor", "Storage Blob Data Contributor")
    assert not access.grants("Owner", "Storage Blob Data Reader")
    assert access.grants("Storage Blob Data Owner", "Storage Blob Data Contributor")
    assert access.grants("Contributor", "AcrPull")


# --- planted defects: one dropped grant or identity, one finding with file and line ---------------


def test_arm_dropped_scoring_cluster_role_assignment_is_named(render_copy) -> None:
    project = render_copy(iac="arm", batch_scoring=True)
    _drop_arm_resource(project, "parameters('scoringClusterName')), variables('storageBlobDataContributorRoleId'))")
    line = _line(project, ARM_TEMPLATE, "parameters('scoringClusterName'))]\"")
    assert _only(project).startswith(
        f"{ARM_TEMPLATE}:{line}: scoring cluster -> scoring storage account: needs Storage Blob Data Contributor"
    )


def test_arm_dropped_deployer_grant_is_named(render_copy) -> None:
    project = render_copy(iac="arm", batch_scoring=True)
    _drop_arm_resource(project, "deployer().objectId]")
    line = _line(project, ARM_TEMPLATE, "\"[parameters('scoringStorageName')]\"")
    assert _only(project).startswith(
        f"{ARM_TEMPLATE}:{line}: CI identity (the one that deploys the IaC) -> scoring storage account: "
        "needs Storage Blob Data Contributor"
    )


def test_terraform_dropped_role_assignment_is_named(render_copy) -> None:
    project = render_copy(iac="terraform", batch_scoring=True)
    _drop_tf_block(project, 'resource "azurerm_role_assignment" "scoring_cluster_storage"')
    relative = f"{TF_DIR}/main.tf"
    line = _line(project, relative, 'resource "azurerm_machine_learning_compute_cluster" "scoring"')
    assert _only(project).startswith(
        f"{relative}:{line}: scoring cluster -> scoring storage account: needs Storage Blob Data Contributor"
    )


def test_terraform_training_cluster_with_its_own_identity_needs_acr_pull(render_copy) -> None:
    project = render_copy(iac="terraform")
    _drop_tf_block(project, 'resource "azurerm_role_assignment" "training_cluster_acr_pull"')
    relative = f"{TF_DIR}/main.tf"
    line = _line(project, relative, 'resource "azurerm_machine_learning_compute_cluster" "train"')
    assert _only(project) == (
        f"{relative}:{line}: training cluster -> container registry: needs AcrPull to pull the training "
        "environment image; no role assignment grants it"
    )


def test_terraform_scoring_cluster_without_identity_is_named(render_copy) -> None:
    project = render_copy(iac="terraform", batch_scoring=True)
    main = project / TF_DIR / "main.tf"
    text = main.read_text()
    start = text.index('resource "azurerm_machine_learning_compute_cluster" "scoring"')
    block = text[start : text.index("\n}\n", start)]
    without = block.replace('\n\n  identity {\n    type = "SystemAssigned"\n  }', "")
    assert without != block
    main.write_text(text.replace(block, without))
    findings = [str(finding) for finding in run_checks(project, identity.CHECKS)]
    # every grant to it is void: one line per need, each saying why
    assert sorted(finding.split(": ", 1)[1].split(" to ")[0] for finding in findings) == [
        "scoring cluster -> Key Vault: needs Key Vault Secrets User",
        "scoring cluster -> container registry: needs AcrPull",
        "scoring cluster -> scoring storage account: needs Storage Blob Data Contributor",
    ]
    assert all(finding.endswith("the scoring cluster has no managed identity") for finding in findings)


def test_code_that_runs_batch_scoring_elsewhere_needs_that_compute_granted(render_copy) -> None:
    """The ml_service code is a source of needs too: move the batch pipeline to the training
    cluster, and the training cluster needs the data role, at the datastore's line."""
    project = render_copy(iac="arm", batch_scoring=True)
    path = project / "ml_service" / "pipelines" / "batch_scoring.py"
    text = path.read_text()
    scoring, training = "settings.aml_compute_cluster_name_scoring", "settings.aml_compute_cluster_name"
    assert f"compute={scoring}" in text
    path.write_text(text.replace(f"compute={scoring}", f"compute={training}"))
    line = _line(project, "ml_service/pipelines/batch_scoring.py", "AzureBlobDatastore(\n")
    assert _only(project).startswith(
        f"ml_service/pipelines/batch_scoring.py:{line}: training cluster -> scoring storage account: "
        "needs Storage Blob Data Contributor"
    )
