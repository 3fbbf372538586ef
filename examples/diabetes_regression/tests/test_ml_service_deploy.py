"""Deployment, whatever the targets: the Entra ID token, the model reference, the target registry.

Each target's own tests are in tests/test_ml_service_<target>.py: they read that target's code and
data only, so they are the same text (and give the same result) in every project that deploys to it.
"""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest

from ml_service.deploy import endpoints
from ml_service.deploy.endpoints import aad_token as real_aad_token
from ml_service.deploy.model import RegisteredModel, read_model_json
from ml_service.testing import FakeMLClient, example_settings, imports_quietly


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


def test_a_target_the_project_does_not_deploy_to_is_refused(monkeypatch) -> None:
    # features.json's list is checked against the options when the project is rendered; here, the
    # refusal itself (with a list of our own, so this test reads no option's data).
    monkeypatch.setattr(endpoints, "targets", lambda: ("elsewhere",))
    with pytest.raises(ValueError, match=r"unknown deployment target 'nowhere' \(this project deploys to: elsewhere\)"):
        endpoints.resolve_target("nowhere", example_settings(), FakeMLClient())


def test_its_modules_import_without_settings_network_or_credentials(tmp_path: Path, monkeypatch) -> None:
    imports_quietly(
        ["ml_service.deploy.endpoints", "ml_service.smoke_test", "ml_service.monitoring"], tmp_path, monkeypatch
    )
