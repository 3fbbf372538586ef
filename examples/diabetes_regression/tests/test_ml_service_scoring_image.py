"""The targets that serve our own scoring image: the guard against registry admin credentials, and
the image's pinned base."""

from __future__ import annotations

from pathlib import Path

from ml_service.deploy import scoring_image
from ml_service.deploy.model import RegisteredModel
from ml_service.deploy.registry_guard import admin_credential_uses, main
from ml_service.deploy.scoring_image import BUILD_CONTEXT
from ml_service.settings import EXAMPLE_VALUES
from ml_service.testing import FakeMLClient, RecordingRunner, check_dockerfile_pins_the_base_image, example_settings


def test_the_registry_guard_finds_admin_credentials(tmp_path: Path) -> None:
    """`make lint` runs the guard over the repo; here it finds a planted use and only that."""
    (tmp_path / ".pipelines").mkdir()
    (tmp_path / ".pipelines" / "cd.yml").write_text("steps:\n  - script: az acr credential show -n r\n")
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "notes.md").write_text("az acr credential show is not used here\n")  # not guarded
    assert admin_credential_uses(tmp_path) == [".pipelines/cd.yml:2: acr credential"]
    assert main([str(tmp_path)]) == 1
    (tmp_path / ".pipelines" / "cd.yml").write_text("steps: []\n")
    assert main([str(tmp_path)]) == 0


def test_the_scoring_image_builds_from_the_pinned_base_image() -> None:
    check_dockerfile_pins_the_base_image(BUILD_CONTEXT / "Dockerfile")


def test_a_model_held_by_a_registry_is_built_from_the_registry(monkeypatch) -> None:
    registry, workspace, runner = FakeMLClient(), FakeMLClient(), RecordingRunner()
    monkeypatch.setattr(scoring_image, "registry_client", lambda name: registry)
    model = RegisteredModel(EXAMPLE_VALUES["MODEL_NAME"], "7", registry="shared-registry")
    scoring_image.build_and_push(workspace, example_settings(), model, runner)
    assert [call[0] for call in registry.models.calls] == ["download"]
    assert workspace.models.calls == []
    assert "model/MLmodel" in runner.build_contexts[0]
