"""Azure App Service (deployment target `webapp`): its own IaC, exposure, identity and dry-run
behaviour, and what it declares for the generic tests that sweep every target (conftest.per_target)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from conftest import drop_arm_resource, line_of, only_identity_finding
from conftest import edit_once as _edit
from test_iac_schema import MAIN_TF, _one, _replace

from mlops_scaffold.checks import docs, iac
from mlops_scaffold.checks.iac import ARM_TEMPLATE
from mlops_scaffold.naming import derived_names

# --- declared for the generic tests ------------------------------------------------------------

# test_pipelines: words the getting-started guide may only use when the target is chosen.
DOC_WORDS = ("App Service", "WEBAPP_DEPLOYMENT_NAME")
# test_iac: the target's own resource in the IaC (ARM, Terraform).
IAC_MARKS = ("Microsoft.Web/sites", "azurerm_linux_web_app")
# test_identity: the role assignments its IaC makes, and the principals given an identity.
IAC_GRANTS = {("webapp", "registry", "AcrPull")}
IAC_IDENTITIES = {"webapp"}
# test_questionnaire: (question, a valid answer, an invalid one).
ANSWER_RULES = [("webapp_deployment_name", "my-scoring-app", "-app")]
# test_exposure: (id, answers, file, old, new, expected) each planting an anonymous endpoint.
EXPOSURE_DEFECTS = [
    (
        "arm-webapp",
        {"deployment_targets": ["webapp"], "iac": "arm"},
        "environment_setup/arm-templates/cloud-environment.json",
        '"requireAuthentication": true',
        '"requireAuthentication": false',
        "the web app serves /score anonymously",
    ),
    (
        "tf-webapp",
        {"deployment_targets": ["webapp"], "iac": "terraform"},
        "environment_setup/tf-templates/main.tf",
        'unauthenticated_action = "Return401"',
        'unauthenticated_action = "AllowAnonymous"',
        "the web app serves /score anonymously",
    ),
    (
        "deploy-webapp",
        {"deployment_targets": ["webapp"]},
        "ml_service/deploy/webapp.py",
        '"requireAuthentication": True',
        '"requireAuthentication": False',
        "the deploy template does not require authentication",
    ),
]
# test_aml: the target alone in a combination, and what its dry run writes and leaves out.
DRY_RUN_COMBINATION = (
    "webapp, R on Databricks",
    {"deployment_targets": ["webapp"], "r_training": "databricks", "db_cluster_id": "0123-456789-abcdefgh"},
)
DRY_RUN_WRITES = {
    "webapp/web_app.json",
    "webapp/image_build.json",
    "databricks/r_training_run.json",
    "schedules/webapp-drift-retraining.yml",
}
DRY_RUN_LEAVES_OUT = {"jobs/r_training.yml", "endpoints", "canary"}
# ... in the combination of every target: its own entity; without the target: its folder.
DRY_RUN_ENTITY = "webapp/web_app.json"
DRY_RUN_FOLDER = "webapp"


# --- its own behaviour -------------------------------------------------------------------------


def test_arm_mistakes_are_caught(render_copy) -> None:
    project = render_copy(iac="arm", deployment_targets=["aci", "webapp"])
    template = project / iac.ARM_TEMPLATE
    _edit(template, "parameters('appServicePlanName'))]\",\n", "parameters('planName'))]\",\n")
    _edit(project / iac.ARM_PARAMETERS, '"webAppImage"', '"webAppImageTag"')
    messages = {finding.message for finding in iac.arm_structure(project)}
    assert "parameter planName is used but not declared" in messages
    assert (
        "resourceId names Microsoft.Web/serverfarms parameters('planName'), which the template does not declare"
        in messages
    )
    assert {
        "webAppImageTag is not a parameter of the template",
        "required parameter webAppImage is missing",
    } <= messages


def test_unknown_nested_argument(render_copy, references) -> None:
    project = render_copy(iac="terraform", deployment_targets=["webapp"])
    line = _replace(project, MAIN_TF, "    http2_enabled  ", "    http2_enable   ")
    expected = f'{MAIN_TF}:{line}: azurerm_linux_web_app.webapp: unknown argument "site_config.http2_enable"'
    assert _one(project) == expected


@pytest.mark.parametrize("iac", ["arm", "terraform"])
def test_a_resource_name_the_iac_does_not_use_is_named(render_copy: Callable[..., Path], iac: str) -> None:
    project = render_copy(iac=iac, deployment_targets=["webapp"])
    assert docs.names_agree(project) == []
    variables = (
        project / "environment_setup/tf-templates/terraform.tfvars"
        if iac == "terraform"
        else project / "environment_setup/arm-templates/cloud-environment.parameters.json"
    )
    variables.write_text(variables.read_text().replace("mlopsdiabe-scoring", "mlopsdiabe-web"))
    doc = project / "docs" / "infrastructure.md"
    line = next(n for n, row in enumerate(doc.read_text().splitlines(), 1) if "`mlopsdiabe-scoring`" in row)
    found = [str(f) for f in docs.names_agree(project)]
    assert found == [
        f"docs/infrastructure.md:{line}: names the Web App for containers `mlopsdiabe-scoring`, "
        "a name the IaC does not use"
    ], (iac, found)


def test_arm_dropped_acr_pull_is_named(render_copy) -> None:
    project = render_copy(iac="arm", deployment_targets=["aci", "webapp"])
    drop_arm_resource(project, "parameters('webAppName')), variables('acrPullRoleId'))")
    line = line_of(project, ARM_TEMPLATE, '"name": "[parameters(\'webAppName\')]"')
    assert only_identity_finding(project) == (
        f"{ARM_TEMPLATE}:{line}: web app -> container registry: needs AcrPull to pull the scoring image "
        "(acrUseManagedIdentityCreds); no role assignment grants it"
    )


def test_web_app_pulls_with_the_identity_the_iac_creates(every_target_dry_run: tuple[Path, Path]) -> None:
    """The deploy template names the plan and registry environment_setup creates, and no registry
    credential: the IaC disables the registry's admin user."""
    project, output = every_target_dry_run
    names = derived_names(yaml.safe_load((project / ".copier-answers.yml").read_text())["base_name"])
    site_text = (output / "webapp" / "web_app.json").read_text()
    assert "listCredentials" not in site_text and "password" not in site_text.lower()
    registry = f"{names['container_registry_name']}.azurecr.io"
    site, auth = json.loads(site_text)["resources"]
    assert auth["properties"]["globalValidation"]["requireAuthentication"] is True  # no anonymous /score
    assert names["app_service_plan_name"] in site["properties"]["serverFarmId"]
    assert site["properties"]["siteConfig"]["acrUseManagedIdentityCreds"] is True
    assert site["properties"]["siteConfig"]["linuxFxVersion"].startswith(f"DOCKER|{registry}/")
    build = json.loads((output / "webapp" / "image_build.json").read_text())
    # the model version only: a moving tag would let a re-run of the IaC change what is served
    assert [name.rsplit(":", 1)[1] for name in build["body"]["imageNames"]] == ["1"]
