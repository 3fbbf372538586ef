"""Promotion into the Azure ML registry: what `python -m ml_service.promote` shares, the model.json it
hands the next environment, and the entities that environment creates from it (offline).

Reads the core variables and promotion's; the online deployments it builds read their target's."""

from __future__ import annotations

import importlib
import json
from pathlib import Path

import pytest

from ml_service import promote
from ml_service.deploy import endpoints
from ml_service.deploy.model import RegisteredModel, in_workspace, read_model_json
from ml_service.dry_run import write_entities
from ml_service.settings import EXAMPLE_VALUES
from ml_service.testing import FakeMLClient, dry_run_files, example_settings, load_entity

MODEL = RegisteredModel(EXAMPLE_VALUES["MODEL_NAME"], "7")
REGISTRY = EXAMPLE_VALUES.of("promotion")["AML_REGISTRY_NAME"]


def online_targets() -> list[str]:
    """The chosen targets that create an Azure ML online deployment from a model reference."""
    modules = {target: importlib.import_module(f"ml_service.deploy.{target}") for target in endpoints.targets()}
    return [target for target, module in modules.items() if hasattr(module, "deployment")]


def test_the_promoted_reference_names_the_registry() -> None:
    promoted = promote.promoted(example_settings("promotion"), MODEL)
    assert (promoted.name, promoted.version, promoted.registry) == (MODEL.name, "7", REGISTRY)
    assert promoted.reference == f"azureml://registries/{REGISTRY}/models/{MODEL.name}/versions/7"
    assert MODEL.reference == f"azureml:{MODEL.name}:7"  # in dev: the workspace's own


def test_promote_shares_the_version_and_hands_on_a_model_json(tmp_path: Path, monkeypatch, capsys) -> None:
    client, registry = FakeMLClient(), FakeMLClient()
    monkeypatch.setattr("ml_service.workspace.workspace_client", lambda settings: client)
    monkeypatch.setattr("ml_service.workspace.registry_client", lambda name: registry)
    monkeypatch.setattr(promote, "load_settings", lambda: example_settings("promotion"))
    source = tmp_path / "model.json"
    source.write_text(json.dumps({"registered": True, "name": MODEL.name, "version": "7"}), encoding="utf-8")
    output = tmp_path / "promoted" / "model.json"
    assert promote.main(["--model-json", str(source), "--output", str(output)]) == 0
    arguments = {"share_with_name": MODEL.name, "share_with_version": "7", "registry_name": REGISTRY}
    assert client.models.calls == [("share", (MODEL.name, "7"), arguments)]
    assert read_model_json(output) == RegisteredModel(MODEL.name, "7", registry=REGISTRY)
    assert f"into the registry {REGISTRY}" in capsys.readouterr().out


def test_a_version_the_registry_holds_is_not_shared_again(tmp_path: Path, monkeypatch, capsys) -> None:
    """Redeploying an earlier run's model (a rollback) promotes a version shared before: the
    registry keeps it, so promotion hands it on without sharing (which Azure would refuse)."""
    client, registry = FakeMLClient(), FakeMLClient()
    registry.models.existing[MODEL.name] = MODEL
    monkeypatch.setattr("ml_service.workspace.workspace_client", lambda settings: client)
    monkeypatch.setattr("ml_service.workspace.registry_client", lambda name: registry)
    monkeypatch.setattr(promote, "load_settings", lambda: example_settings("promotion"))
    source = tmp_path / "model.json"
    source.write_text(json.dumps({"registered": True, "name": MODEL.name, "version": "7"}), encoding="utf-8")
    output = tmp_path / "model.json.out"
    assert promote.main(["--model-json", str(source), "--output", str(output)]) == 0
    assert client.models.calls == []
    assert registry.models.calls == [("get", (MODEL.name,), {"version": "7"})]
    assert read_model_json(output) == RegisteredModel(MODEL.name, "7", registry=REGISTRY)
    assert "already: not shared again" in capsys.readouterr().out


def test_nothing_registered_is_passed_on_and_nothing_is_shared(tmp_path: Path, monkeypatch) -> None:
    client = FakeMLClient()
    monkeypatch.setattr("ml_service.workspace.workspace_client", lambda settings: client)
    source = tmp_path / "model.json"
    source.write_text(json.dumps({"registered": False, "name": MODEL.name, "version": None}), encoding="utf-8")
    output = tmp_path / "promoted.json"
    assert promote.main(["--model-json", str(source), "--output", str(output)]) == 0
    assert client.models.calls == []
    assert read_model_json(output) is None


def test_the_registry_and_the_deployments_from_it_load_with_azure_ai_ml(tmp_path: Path) -> None:
    targets = online_targets()
    settings = example_settings("promotion", *targets, *(["monitoring"] if targets else []))
    written = write_entities(tmp_path, promote.dry_run(settings, MODEL))
    files = dry_run_files(tmp_path, written)
    assert f"registries/{REGISTRY}.yml" in files
    registry = load_entity(tmp_path / "registries" / f"{REGISTRY}.yml")
    assert registry.name == REGISTRY and registry.location == settings.location
    assert [region.location for region in registry.replication_locations] == [settings.location]
    deployments = sorted(files - {f"registries/{REGISTRY}.yml"})
    assert [name.split("/")[1].split("-")[0] for name in deployments] == sorted(targets)
    for name in deployments:
        module = importlib.import_module(f"ml_service.deploy.{name.split('/')[1].split('-')[0]}")
        expected = promote.deployable(module, promote.promoted(settings, MODEL)).reference
        # the loader keeps a registry URI whole and reads a workspace's `azureml:name:version` as name:version
        loaded = expected if expected.startswith("azureml://") else expected.removeprefix("azureml:")
        assert load_entity(tmp_path / name).model == loaded
        assert expected.startswith("azureml://registries/") == getattr(module, "REGISTRY_MODELS", True)


def test_a_promoted_version_is_copied_into_a_workspace_unchanged(monkeypatch) -> None:
    """For targets whose deployments cannot reference a registry (REGISTRY_MODELS = False)."""
    registry, workspace = FakeMLClient(), FakeMLClient()
    monkeypatch.setattr("ml_service.workspace.registry_client", lambda name: registry)
    from_registry = promote.promoted(example_settings("promotion"), MODEL)
    copied = in_workspace(workspace, from_registry)
    assert copied == RegisteredModel(MODEL.name, "7") and copied.reference == f"azureml:{MODEL.name}:7"
    assert registry.models.calls[0][0] == "download" and registry.models.calls[0][2]["version"] == "7"
    (model,) = workspace.models.created
    assert (model.name, model.version, model.type) == (MODEL.name, "7", "mlflow_model")
    assert model.tags == {"promoted_from": from_registry.reference}
    assert in_workspace(workspace, copied) is copied  # a workspace model is used as it is


@pytest.mark.parametrize("registered", [True, False])
def test_a_promoted_model_json_deploys_from_the_registry(tmp_path: Path, registered: bool) -> None:
    path = tmp_path / "model.json"
    path.write_text(json.dumps({"registered": registered, "name": MODEL.name, "version": "7", "registry": REGISTRY}))
    model = read_model_json(path)
    assert (model.reference if model else None) == (
        f"azureml://registries/{REGISTRY}/models/{MODEL.name}/versions/7" if registered else None
    )
