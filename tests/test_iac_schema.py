"""The IaC schema check: clean renderings have no findings; each planted mistake is named in one
line with file and line (Azure's ARM schemas and the azurerm provider schema must be present:
`make azurerm-schema`, and ../shared/schemas/arm or MLOPS_SCAFFOLD_ARM_SCHEMAS)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from conftest import every_target

from mlops_scaffold.checks import ALL_CHECKS
from mlops_scaffold.checks.iac_schema import iac_schemas
from mlops_scaffold.cli import main

ARM = "environment_setup/arm-templates/cloud-environment.json"
ARM_PARAMETERS = "environment_setup/arm-templates/cloud-environment.parameters.json"
MAIN_TF = "environment_setup/tf-templates/main.tf"
EVERYTHING = {"deployment_targets": every_target(), "batch_scoring": True, "r_training": "databricks"}


def _replace(project: Path, relative: str, old: str, new: str) -> int:
    """Replace the first `old` in the file; return its line."""
    path = project / relative
    text = path.read_text()
    assert old in text, f"{old!r} not in {relative}"
    path.write_text(text.replace(old, new, 1))
    return text[: text.index(old)].count("\n") + 1


def _one(project: Path) -> str:
    findings = [str(finding) for finding in iac_schemas(project)]
    assert len(findings) == 1, findings
    return findings[0]


def test_the_check_runs_with_every_other_check() -> None:
    assert iac_schemas in ALL_CHECKS


def test_mlops_scaffold_check_reports_it(render_copy, references, capsys) -> None:
    project = render_copy(iac="terraform")
    line = _replace(project, MAIN_TF, "  sas_policy {", "  sas_polisy {")
    assert main(["check", str(project)]) == 1
    expected = f'{MAIN_TF}:{line}: azurerm_storage_account.main: unknown block "sas_polisy"'
    assert expected in capsys.readouterr().out.splitlines()


@pytest.mark.parametrize("flavour", ["arm", "terraform"])
def test_every_resource_of_a_full_rendering_matches_the_schemas(render, references, flavour: str) -> None:
    assert [str(finding) for finding in iac_schemas(render(iac=flavour, **EVERYTHING))] == []


def test_unknown_arm_property(render_copy, references) -> None:
    project = render_copy(iac="arm")
    line = _replace(project, ARM, '"allowBlobPublicAccess": false', '"allowBlobPublicAcess": false')
    finding = _one(project)
    assert finding.startswith(f"{ARM}:{line}: Microsoft.Storage/storageAccounts@"), finding
    assert finding.endswith('unknown property "properties.allowBlobPublicAcess"'), finding


def test_wrong_arm_enum_value(render_copy, references) -> None:
    project = render_copy(iac="arm")
    line = _replace(project, ARM, '"minimumTlsVersion": "TLS1_2"', '"minimumTlsVersion": "TLS1_4"')
    finding = _one(project)
    assert finding.startswith(f"{ARM}:{line}: Microsoft.Storage/storageAccounts@"), finding
    assert 'property "properties.minimumTlsVersion": value "TLS1_4" is not one of' in finding, finding


def test_nested_compute_property_of_the_right_variant(render_copy, references) -> None:
    """Compute is polymorphic (computeType): a misspelled AmlCompute setting is named as such."""
    project = render_copy(iac="arm")
    line = _replace(project, ARM, '"nodeIdleTimeBeforeScaleDown"', '"nodeIdleTimeBeforeScaledown"')
    finding = _one(project)
    assert f"{ARM}:{line}: Microsoft.MachineLearningServices/workspaces/computes@" in finding, finding
    assert 'unknown property "properties.properties.scaleSettings.nodeIdleTimeBeforeScaledown"' in finding


def test_ancient_api_version(render_copy, references) -> None:
    project = render_copy(iac="arm")
    template = json.loads((project / ARM).read_text())
    vault = next(r for r in template["resources"] if r["type"] == "Microsoft.KeyVault/vaults")
    line = _replace(project, ARM, f'"apiVersion": "{vault["apiVersion"]}"', '"apiVersion": "2022-07-01"')
    assert re.fullmatch(
        rf"{ARM}:{line}: Microsoft.KeyVault/vaults@2022-07-01 \[parameters\('keyVaultName'\)\]: API version 2022-07-01 "
        r"is more than 2 years older than the newest stable \S+ \(use \S+ or later\)",
        _one(project),
    ), _one(project)


def test_api_version_without_a_schema(render_copy, references) -> None:
    project = render_copy(iac="arm")
    line = _replace(project, ARM, '"apiVersion": "2024-10-01"', '"apiVersion": "2024-10-02"')
    assert "no ARM schema for Microsoft.MachineLearningServices/workspaces at API version 2024-10-02" in _one(project)
    assert _one(project).startswith(f"{ARM}:{line - 1}:")  # the line of the resource's "type"


def test_parameters_file_against_the_template(render_copy, references) -> None:
    project = render_copy(iac="arm")
    path = project / ARM_PARAMETERS
    parameters = json.loads(path.read_text())
    parameters["parameters"]["computeClusterPriority"] = {"value": "Cheap"}
    parameters["parameters"]["computeClusterMaxNodes"] = {"value": "four"}
    parameters["parameters"]["clusterName"] = {"value": "x"}
    path.write_text(json.dumps(parameters, indent=2))
    findings = sorted(str(finding) for finding in iac_schemas(project))
    assert len(findings) == 3, findings
    priority = 'parameter computeClusterPriority: "Cheap" is not one of "Dedicated", "LowPriority"'
    assert any(priority in f for f in findings)
    assert any('parameter computeClusterMaxNodes: "four" is not of type int' in f for f in findings)
    assert any("parameter clusterName: not a parameter of cloud-environment.json" in f for f in findings)
    assert all(re.match(rf"{ARM_PARAMETERS}:\d+: ", finding) for finding in findings), findings


def test_missing_required_terraform_argument(render_copy, references) -> None:
    project = render_copy(iac="terraform")
    line = _replace(project, MAIN_TF, '  account_replication_type         = "GRS"\n', "")
    finding = _one(project)
    assert re.fullmatch(
        rf'{MAIN_TF}:(\d+): azurerm_storage_account.main: missing required argument "account_replication_type"',
        finding,
    ), finding
    assert int(finding.split(":")[1]) < line  # the resource's header


def test_misspelled_nested_block(render_copy, references) -> None:
    project = render_copy(iac="terraform")
    line = _replace(project, MAIN_TF, "container_delete_retention_policy {", "container_delete_retension_policy {")
    assert _one(project) == (
        f"{MAIN_TF}:{line}: azurerm_storage_account.main: "
        'unknown block "blob_properties.container_delete_retension_policy"'
    )


def test_literal_of_the_wrong_type(render_copy, references) -> None:
    project = render_copy(iac="terraform")
    line = _replace(project, MAIN_TF, "retention_in_days   = 30", 'retention_in_days   = "thirty"')
    assert _one(project) == (
        f'{MAIN_TF}:{line}: azurerm_log_analytics_workspace.main: argument "retention_in_days" expects a number, '
        'got string "thirty"'
    )


def test_unknown_resource_type(render_copy, references) -> None:
    project = render_copy(iac="terraform")
    line = _replace(project, MAIN_TF, '"azurerm_container_registry" "main"', '"azurerm_containr_registry" "main"')
    expected = f"{MAIN_TF}:{line}: azurerm_containr_registry.main: unknown resource type azurerm_containr_registry"
    assert _one(project) == expected


def test_azapi_body_against_the_arm_schema(render_copy, references) -> None:
    project = render_copy(iac="terraform", deployment_targets=["aks"])
    line = _replace(project, MAIN_TF, 'namespace = "azureml"', 'namespase = "azureml"')
    assert _one(project) == (
        f'{MAIN_TF}:{line}: azapi_resource.aks_compute: body unknown property "properties.properties.namespase"'
    )


def test_variable_without_value_or_default(render_copy, references) -> None:
    project = render_copy(iac="terraform")
    tfvars = project / "environment_setup/tf-templates/terraform.tfvars"
    tfvars.write_text(re.sub(r"(?m)^key_vault_name\s*=.*\n", "", tfvars.read_text()))
    finding = _one(project)
    assert re.fullmatch(
        rf'{MAIN_TF}:\d+: azurerm_key_vault.main: argument "name" comes from var.key_vault_name, which has no value or '
        "default",
        finding,
    ), finding


@pytest.mark.parametrize("ci", ["", "true"])
def test_absent_schemas_are_said_in_one_line(render, monkeypatch, capsys, tmp_path: Path, ci: str) -> None:
    monkeypatch.setenv("MLOPS_SCAFFOLD_ARM_SCHEMAS", str(tmp_path / "nowhere"))
    monkeypatch.setenv("MLOPS_SCAFFOLD_AZURERM_JSII", str(tmp_path / "nowhere.jsii.tgz"))
    monkeypatch.setenv("CI", ci)
    findings = [str(finding) for finding in iac_schemas(render(iac="terraform"))]
    if ci:
        assert len(findings) == 2 and all("not found" in finding for finding in findings), findings
        assert "Azure ARM resource schemas not found" in findings[0] + findings[1]
    else:
        assert findings == []


def test_a_provider_the_reference_data_lacks_is_skipped_only_by_its_exact_name(render_copy, references) -> None:
    """Microsoft.Network has no schema files in the reference data, so ACI's VNet is not validated;
    a misspelled provider is still a finding."""
    project = render_copy(iac="arm", deployment_targets=["aci"])
    assert '"Microsoft.Network/virtualNetworks"' in (project / ARM).read_text()
    assert iac_schemas(project) == []
    _replace(project, ARM, '"type": "Microsoft.Network/virtualNetworks"', '"type": "Microsoft.Netwrok/virtualNetworks"')
    assert "no ARM schema for Microsoft.Netwrok/virtualNetworks" in _one(project)
