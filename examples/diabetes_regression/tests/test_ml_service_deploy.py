"""Deployment: each target's entities, and the deploy path handing exactly those to the clients."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ml_service.deploy.endpoints import TARGETS, resolve_target
from ml_service.deploy.model import RegisteredModel, read_model_json
from ml_service.settings import EXAMPLE_VALUES, Settings, load_settings
from ml_service.testing import FakeMLClient, RecordingRunner

MODEL = RegisteredModel(EXAMPLE_VALUES["MODEL_NAME"], "7")


@pytest.fixture
def settings() -> Settings:
    environ = {name: value or f"<{name}>" for name, value in EXAMPLE_VALUES.items()}
    return load_settings(environ=environ, dotenv=Path("/nonexistent/.env"))


def test_model_json_names_the_model(tmp_path: Path) -> None:
    path = tmp_path / "model.json"
    path.write_text(json.dumps({"registered": True, "name": "m", "version": "7"}), encoding="utf-8")
    assert read_model_json(path) == RegisteredModel("m", "7")
    assert read_model_json(path).reference == "azureml:m:7"
    path.write_text(json.dumps({"registered": False}), encoding="utf-8")
    assert read_model_json(path) is None


def test_only_the_selected_targets_resolve(settings: Settings) -> None:
    assert set(TARGETS) == {"aci"}
    with pytest.raises(ValueError, match="unknown deployment target"):
        resolve_target("nowhere", settings, FakeMLClient())


def test_aci_builds_the_image_then_deploys_exactly_the_template(settings: Settings) -> None:
    from ml_service.deploy import aci
    from ml_service.deploy.scoring_image import image

    client, runner = FakeMLClient(), RecordingRunner()
    uri = aci.deploy_model(client, settings, MODEL, runner)
    build, deploy = runner.commands
    assert build[:3] == ["az", "acr", "build"]
    # only the model version: a moving tag (latest) would let an IaC re-run change what is served
    assert [build[i + 1] for i, part in enumerate(build) if part == "--image"] == ["diabetes_regression-scoring:7"]
    assert {"Dockerfile", "requirements.txt", "model/MLmodel"} <= runner.build_contexts[0]
    assert deploy[:4] == ["az", "deployment", "group", "create"]
    (template,) = runner.templates
    assert template == aci.container_group(settings, image(settings, MODEL))
    assert uri == "http://mlops-aci.centralus.azurecontainer.io:5001/score"
    assert resolve_target("aci", settings).url == uri


def test_aci_pulls_with_its_user_assigned_identity(settings: Settings) -> None:
    from ml_service.deploy import aci

    (group,) = aci.container_group(settings, "mlopsdiabeamlcr.azurecr.io/x:7")["resources"]
    identity = "[resourceId('Microsoft.ManagedIdentity/userAssignedIdentities', 'mlopsdiabe-AML-ACI-ID')]"
    assert group["identity"] == {"type": "UserAssigned", "userAssignedIdentities": {identity: {}}}
    assert group["properties"]["imageRegistryCredentials"] == [
        {"server": "mlopsdiabeamlcr.azurecr.io", "identity": identity}
    ]


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
