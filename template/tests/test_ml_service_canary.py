"""Canary release on the chosen online endpoint: traffic 0 -> 50 -> 100, rollback, first release, and
its dry run. Reads the core variables and those of the canary's target only."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

from ml_service.deploy.canary import TARGET
from ml_service.deploy.model import RegisteredModel
from ml_service.dry_run import FEATURES, write_entities
from ml_service.settings import EXAMPLE_VALUES, Settings
from ml_service.testing import FakeMLClient, dry_run_files, example_settings, imports_quietly

MODEL = RegisteredModel(EXAMPLE_VALUES["MODEL_NAME"], "7")
TARGET_MODULE = importlib.import_module(f"ml_service.deploy.{TARGET}")
pytestmark = pytest.mark.usefixtures("entra_token")


@pytest.fixture
def settings() -> Settings:
    return example_settings(TARGET)


def test_the_dry_run_writes_the_candidate_and_each_traffic_step(settings: Settings, tmp_path: Path) -> None:
    files = dry_run_files(tmp_path, write_entities(tmp_path, FEATURES["canary_release"](settings, MODEL)))
    assert len(files) == 6
    assert all(name.startswith("canary/") for name in files)


class SmokeTests:
    """Stands in for the HTTP smoke test; fails for the deployments named in `failing`."""

    def __init__(self, failing: tuple[str | None, ...] = ()) -> None:
        self.failing = failing
        self.calls: list[str | None] = []

    def __call__(self, service, deployment):
        self.calls.append(deployment)
        return "HTTP 500" if deployment in self.failing else None


def canary_client(settings: Settings, *deployments: str):
    client = FakeMLClient()
    for name in deployments:
        client.online_deployments.existing[name] = TARGET_MODULE.deployment(settings, MODEL, name)
    return client


def traffic(client: FakeMLClient) -> list[dict[str, int]]:
    return [dict(entity.traffic or {}) for entity in client.online_endpoints.created]


def test_canary_steps_move_traffic_zero_fifty_hundred(settings: Settings) -> None:
    from ml_service.deploy.canary import Canary

    client, smoke = canary_client(settings, "green"), SmokeTests()
    canary = Canary(client, settings, smoke)
    for step in ("blue", "50", "100", "promote"):
        assert canary.run(step, MODEL) == 0, step
    assert traffic(client) == [
        {"green": 100, "blue": 0},
        {"green": 50, "blue": 50},
        {"green": 0, "blue": 100},
        {"green": 100, "blue": 0},
    ]
    assert [entity.name for entity in client.online_deployments.created] == ["blue", "green"]
    assert smoke.calls[0] == "blue"  # header routing to the new deployment before it takes traffic
    assert ("begin_delete", (), {"name": "blue", "endpoint_name": client.online_endpoints.created[0].name}) in (
        client.online_deployments.calls
    )


def test_canary_rolls_back_when_the_smoke_test_fails(settings: Settings) -> None:
    from ml_service.deploy.canary import Canary

    client = canary_client(settings, "green")
    assert Canary(client, settings, SmokeTests(failing=("blue",))).run("blue", MODEL) == 1
    assert traffic(client)[-1] == {"green": 100}
    assert "blue" not in client.online_deployments.existing


def test_first_canary_release_deploys_green_directly(settings: Settings) -> None:
    from ml_service.deploy.canary import Canary

    client = canary_client(settings)
    assert Canary(client, settings, SmokeTests()).run("blue", MODEL) == 0
    assert [entity.name for entity in client.online_deployments.created] == ["green"]
    assert traffic(client)[-1] == {"green": 100}


def test_canary_reads_a_missing_endpoint_as_a_first_release(settings: Settings) -> None:
    from azure.core.exceptions import ResourceNotFoundError

    from ml_service.deploy.canary import Canary

    client = canary_client(settings)
    client.online_deployments.list = failing_with(ResourceNotFoundError("endpoint not found"))
    assert Canary(client, settings, SmokeTests()).deployments() == set()


@pytest.mark.parametrize("error", ["auth", "transient"])
def test_canary_does_not_read_other_errors_as_a_first_release(settings: Settings, error: str) -> None:
    """A failed listing must stop the release, not send all traffic to the new model."""
    from azure.core.exceptions import ClientAuthenticationError, ServiceRequestError

    from ml_service.deploy.canary import Canary

    failure = ClientAuthenticationError("token expired") if error == "auth" else ServiceRequestError("timed out")
    client = canary_client(settings, "green")
    client.online_deployments.list = failing_with(failure)
    with pytest.raises(type(failure)):
        Canary(client, settings, SmokeTests()).run("blue", MODEL)
    assert client.online_deployments.created == []
    assert client.online_endpoints.created == []


def failing_with(error: Exception):
    def fail(**kwargs):
        raise error

    return fail


def test_its_modules_import_without_settings_network_or_credentials(tmp_path: Path, monkeypatch) -> None:
    imports_quietly(["ml_service.deploy.canary"], tmp_path, monkeypatch)
