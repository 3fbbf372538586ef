"""Deployment: each target's entities, and the deploy path handing exactly those to the clients."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest

from ml_service.deploy.endpoints import aad_token as real_aad_token
from ml_service.deploy.endpoints import resolve_target, targets
from ml_service.deploy.model import RegisteredModel, read_model_json
from ml_service.settings import EXAMPLE_VALUES, Settings, load_settings
from ml_service.testing import FakeMLClient, RecordingRunner

MODEL = RegisteredModel(EXAMPLE_VALUES["MODEL_NAME"], "7")


@pytest.fixture(autouse=True)
def entra_token(monkeypatch) -> str:
    """DefaultAzureCredential stands aside: an Entra ID token is a fixed string in these tests."""
    from ml_service.deploy import endpoints

    monkeypatch.setattr(endpoints, "aad_token", lambda scope=endpoints.AAD_TOKEN_SCOPE: f"entra-token for {scope}")
    return "entra-token for https://ml.azure.com/.default"


@pytest.fixture
def settings() -> Settings:
    environ = {name: value or f"<{name}>" for name, value in EXAMPLE_VALUES.items()}
    return load_settings(environ=environ, dotenv=Path("/nonexistent/.env"))


def test_the_entra_token_comes_from_default_azure_credential(monkeypatch) -> None:
    import azure.identity

    scopes: list[str] = []

    class Credential:
        def get_token(self, *requested: str) -> SimpleNamespace:
            scopes.extend(requested)
            return SimpleNamespace(token="from-default-credential")

    monkeypatch.setattr(azure.identity, "DefaultAzureCredential", Credential)
    assert real_aad_token() == "from-default-credential"
    assert scopes == ["https://ml.azure.com/.default"]


def test_model_json_names_the_model(tmp_path: Path) -> None:
    path = tmp_path / "model.json"
    path.write_text(json.dumps({"registered": True, "name": "m", "version": "7"}), encoding="utf-8")
    assert read_model_json(path) == RegisteredModel("m", "7")
    assert read_model_json(path).reference == "azureml:m:7"
    path.write_text(json.dumps({"registered": False}), encoding="utf-8")
    assert read_model_json(path) is None


def test_only_the_selected_targets_resolve(settings: Settings) -> None:
    assert set(targets()) == {"aci"}
    with pytest.raises(ValueError, match="unknown deployment target"):
        resolve_target("nowhere", settings, FakeMLClient())


def test_aci_builds_the_image_then_deploys_exactly_the_template(settings: Settings, monkeypatch) -> None:
    from ml_service.deploy import aci
    from ml_service.deploy.scoring_image import image

    client, runner = FakeMLClient(), RecordingRunner()
    monkeypatch.setattr(aci, "az_output", lambda command: "10.20.1.4")  # the group's private IP
    uri = aci.deploy_model(client, settings, MODEL, runner, aci.az_output)
    build, deploy = runner.commands
    assert build[:3] == ["az", "acr", "build"]
    # only the model version: a moving tag (latest) would let an IaC re-run change what is served
    assert [build[i + 1] for i, part in enumerate(build) if part == "--image"] == ["diabetes_regression-scoring:7"]
    assert {"Dockerfile", "requirements.txt", "model/MLmodel"} <= runner.build_contexts[0]
    assert deploy[:4] == ["az", "deployment", "group", "create"]
    (template,) = runner.templates
    assert template == aci.container_group(settings, image(settings, MODEL))
    assert uri == "http://10.20.1.4:5001/score"
    assert resolve_target("aci", settings).url == uri


def test_aci_pulls_with_its_user_assigned_identity(settings: Settings) -> None:
    from ml_service.deploy import aci

    (group,) = aci.container_group(settings, "mlopsdiabeamlcr.azurecr.io/x:7")["resources"]
    identity = "[resourceId('Microsoft.ManagedIdentity/userAssignedIdentities', 'mlopsdiabe-AML-ACI-ID')]"
    assert group["identity"] == {"type": "UserAssigned", "userAssignedIdentities": {identity: {}}}
    assert group["properties"]["imageRegistryCredentials"] == [
        {"server": "mlopsdiabeamlcr.azurecr.io", "identity": identity}
    ]


def test_aci_has_no_public_address(settings: Settings) -> None:
    """A private test target: a private IP in the IaC's delegated subnet, no public IP or DNS name."""
    from ml_service.deploy import aci

    (group,) = aci.container_group(settings, "x.azurecr.io/x:7")["resources"]
    assert group["properties"]["ipAddress"] == {"type": "Private", "ports": [{"protocol": "TCP", "port": 5001}]}
    subnet = "[resourceId('Microsoft.Network/virtualNetworks/subnets', 'mlops-aci-vnet', 'scoring')]"
    assert group["properties"]["subnetIds"] == [{"id": subnet, "name": "scoring"}]


class AzQueries:
    """Answers the Azure CLI queries of the in-network smoke test; the probe ends with `exit_code`."""

    def __init__(self, exit_code: str) -> None:
        self.exit_code = exit_code
        self.asked: list[list[str]] = []

    def __call__(self, command) -> str:
        self.asked.append(list(command))
        query = command[command.index("--query") + 1] if "--query" in command else ""
        if query == "ipAddress.ip":
            return "10.20.1.4"
        if query == "containers[0].image":
            return "mlopsdiabeamlcr.azurecr.io/diabetes_regression-scoring:7"
        if "currentState" in query:
            return "Running" if len(self.asked) < 4 else f"Terminated\t{self.exit_code}"
        return "probe log line"


@pytest.mark.parametrize(("exit_code", "passes"), [("0", True), ("1", False)])
def test_aci_smoke_test_runs_inside_the_virtual_network(settings: Settings, exit_code: str, passes: bool) -> None:
    from ml_service.deploy import aci

    runner, queries = RecordingRunner(), AzQueries(exit_code)
    problem = aci.smoke_test_in_vnet(settings, runner, queries, wait=lambda seconds: None)
    assert (problem is None) is passes
    (probe,) = runner.templates[0]["resources"]
    assert probe["properties"]["subnetIds"][0]["name"] == "scoring"
    assert probe["properties"]["containers"][0]["properties"]["command"][-1] == "http://10.20.1.4:5001/score"
    assert runner.commands[-1][:4] == ["az", "container", "delete", "--yes"]  # the probe never stays behind


def test_the_registry_guard_finds_admin_credentials(tmp_path: Path) -> None:
    """`make lint` runs the guard over the repo; here it finds a planted use and only that."""
    from ml_service.deploy.registry_guard import admin_credential_uses, main

    (tmp_path / ".pipelines").mkdir()
    (tmp_path / ".pipelines" / "cd.yml").write_text("steps:\n  - script: az acr credential show -n r\n")
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "notes.md").write_text("az acr credential show is not used here\n")  # not guarded
    assert admin_credential_uses(tmp_path) == [".pipelines/cd.yml:2: acr credential"]
    assert main([str(tmp_path)]) == 1
    (tmp_path / ".pipelines" / "cd.yml").write_text("steps: []\n")
    assert main([str(tmp_path)]) == 0


def test_the_deployments_ml_service_builds_use_no_admin_credentials(settings: Settings) -> None:
    from ml_service.deploy.scoring_image import image

    templates = []
    from ml_service.deploy import aci

    templates.append(aci.container_group(settings, image(settings, MODEL)))
    text = json.dumps(templates)
    assert not [pattern for pattern in ("listCredentials", "password", "username") if pattern in text]
