"""Azure Kubernetes Service (deployment target `aks`): its own IaC behaviour, and what it declares
for the generic tests that sweep every target (conftest.per_target)."""

from __future__ import annotations

from conftest import edit_once as _edit

from mlops_scaffold.checks import iac

# --- declared for the generic tests ------------------------------------------------------------

# test_pipelines: words the getting-started guide may only use when the target is chosen.
DOC_WORDS = ("Kubernetes", "AKS_")
# test_iac: the target's own resource in the IaC (ARM, Terraform).
IAC_MARKS = ("Microsoft.ContainerService/managedClusters", "azurerm_kubernetes_cluster")
# test_identity: the role assignments its IaC makes, and the principals given an identity.
IAC_GRANTS = {("aks", "registry", "AcrPull")}
IAC_IDENTITIES = {"aks"}
# test_questionnaire: (question, a valid answer, an invalid one).
ANSWER_RULES = [
    ("aks_compute_name", "aks-1", "1aks"),
    ("aks_deployment_name", "mlops-aks-2", "MLOps_AKS!"),
]
# test_exposure: (id, answers, file, old, new, expected) each planting a key-authenticated endpoint.
EXPOSURE_DEFECTS = [
    (
        "aks-key",
        {"deployment_targets": ["aks"]},
        "ml_service/deploy/aks.py",
        'auth_mode="aml_token"',
        'auth_mode="key"',
        "auth_mode key: use aad_token or aml_token, never keys",
    ),
]
# test_aml: the target alone in a combination, what its dry run writes and leaves out; in the
# combination of every target, its own entity.
DRY_RUN_COMBINATION = (
    "aks+canary, no batch, R on AML",
    {"deployment_targets": ["aks"], "canary_release": True, "batch_scoring": False, "r_training": "aml"},
)
DRY_RUN_WRITES = {
    "endpoints/mlops-aks.yml",
    "deployments/mlops-aks-green.yml",
    "canary/mlops-aks-blue.yml",
    "jobs/r_training.yml",
    "schedules/mlops-aks-monitor.yml",
    "schedules/aks-drift-retraining.yml",
}
DRY_RUN_LEAVES_OUT = {"jobs/batch_scoring_pipeline.yml", "databricks"}
DRY_RUN_ENTITY = "endpoints/mlops-aks.yml"


# --- its own behaviour -------------------------------------------------------------------------


def test_terraform_mistakes_are_caught(render_copy) -> None:
    project = render_copy(iac="terraform", deployment_targets=["aks"])
    main = project / iac.TF_DIR / "main.tf"
    _edit(main, "var.aks_node_count", "var.aks_nodes")
    _edit(main, "azurerm_container_registry.main.id", "azurerm_container_registry.acr.id")
    messages = {finding.message for finding in iac.terraform_structure(project)}
    assert {"var.aks_nodes is used but not declared", "variable aks_node_count is never used"} <= messages
    assert "azurerm_container_registry.acr is not a resource of the module" in messages
    (project / iac.TF_DIR / "broken.tf").write_text('resource "x" {\n')
    assert any("does not parse" in finding.message for finding in iac.terraform_structure(project))
