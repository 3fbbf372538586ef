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
    assert build[build.index("--image") + 1] == "diabetes_regression-scoring:7"
    assert {"Dockerfile", "requirements.txt", "model/MLmodel"} <= runner.build_contexts[0]
    assert deploy[:4] == ["az", "deployment", "group", "create"]
    (template,) = runner.templates
    assert template == aci.container_group(settings, image(settings, MODEL))
    assert uri == "http://mlops-aci.centralus.azurecontainer.io:5001/score"
    assert resolve_target("aci", settings).url == uri
