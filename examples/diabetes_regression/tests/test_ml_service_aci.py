"""Azure Container Instances: the image build, the private container group, its in-network smoke
test and its dry run. Reads the core variables and ACI's only."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ml_service.deploy import aci, collected_logs, endpoints
from ml_service.deploy.model import RegisteredModel
from ml_service.deploy.scoring_image import image
from ml_service.dry_run import write_entities
from ml_service.settings import EXAMPLE_VALUES, Settings
from ml_service.testing import (
    FakeMLClient,
    RecordingRunner,
    check_collects_into_the_file_share,
    dry_run_files,
    example_settings,
    imports_quietly,
)

MODEL = RegisteredModel(EXAMPLE_VALUES["MODEL_NAME"], "7")


@pytest.fixture
def settings(monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setattr(endpoints, "targets", lambda: ("aci",))  # this target's tests read no other's data
    return example_settings("aci")


def test_aci_builds_the_image_then_deploys_exactly_the_template(settings: Settings, monkeypatch) -> None:
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
    assert endpoints.resolve_target("aci", settings).url == uri


def test_aci_pulls_with_its_user_assigned_identity(settings: Settings) -> None:
    (group,) = aci.container_group(settings, "mlopsdiabeamlcr.azurecr.io/x:7")["resources"]
    identity = "[resourceId('Microsoft.ManagedIdentity/userAssignedIdentities', 'mlopsdiabe-AML-ACI-ID')]"
    assert group["identity"] == {"type": "UserAssigned", "userAssignedIdentities": {identity: {}}}
    assert group["properties"]["imageRegistryCredentials"] == [
        {"server": "mlopsdiabeamlcr.azurecr.io", "identity": identity}
    ]
    text = json.dumps(aci.container_group(settings, image(settings, MODEL)))
    assert not [pattern for pattern in ("listCredentials", "password", "username") if pattern in text]


def test_aci_has_no_public_address(settings: Settings) -> None:
    """A private test target: a private IP in the IaC's delegated subnet, no public IP or DNS name."""
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
    runner, queries = RecordingRunner(), AzQueries(exit_code)
    problem = aci.smoke_test_in_vnet(settings, runner, queries, wait=lambda seconds: None)
    assert (problem is None) is passes
    (probe,) = runner.templates[0]["resources"]
    assert probe["properties"]["subnetIds"][0]["name"] == "scoring"
    assert probe["properties"]["containers"][0]["properties"]["command"][-1] == "http://10.20.1.4:5001/score"
    assert runner.commands[-1][:4] == ["az", "container", "delete", "--yes"]  # the probe never stays behind


def test_the_dry_run_writes_the_container_group_with_one_cpu_and_four_gb(settings: Settings, tmp_path: Path) -> None:
    written = write_entities(tmp_path, aci.dry_run(settings, MODEL))
    assert dry_run_files(tmp_path, written) == {"aci/image_build.json", "aci/container_group.json"}
    document = json.loads((tmp_path / "aci" / "container_group.json").read_text(encoding="utf-8"))
    (group,) = document["resources"]
    assert group["type"] == "Microsoft.ContainerInstance/containerGroups"
    (container,) = group["properties"]["containers"]
    assert container["properties"]["resources"]["requests"] == {"cpu": 1.0, "memoryInGB": 4.0}
    assert container["properties"]["image"].endswith("-scoring:7")
    (credentials,) = group["properties"]["imageRegistryCredentials"]
    assert set(credentials) == {"server", "identity"}  # a managed identity, no username or password
    assert list(group["identity"]["userAssignedIdentities"]) == [credentials["identity"]]


def test_its_modules_import_without_settings_network_or_credentials(tmp_path: Path, monkeypatch) -> None:
    modules = ["ml_service.deploy.aci", "ml_service.deploy.scoring_image", "ml_service.deploy.arm"]
    imports_quietly([*modules, "ml_service.deploy.registry_guard"], tmp_path, monkeypatch)


def test_aci_is_log_monitored_and_collects_into_the_workspace_file_share(settings: Settings, monkeypatch) -> None:
    runner = RecordingRunner()
    monkeypatch.setattr(aci, "az_output", lambda command: "10.20.1.4")
    aci.deploy_model(FakeMLClient(), settings, MODEL, runner, aci.az_output)
    (group,) = runner.templates[0]["resources"]
    (container,) = group["properties"]["containers"]
    (mount,) = container["properties"]["volumeMounts"]
    (volume,) = group["properties"]["volumes"]
    assert (mount["name"], mount["mountPath"]) == (volume["name"], collected_logs.MOUNT)
    environment = container["properties"]["environmentVariables"]
    check_collects_into_the_file_share("aci", runner, environment, volume["azureFile"])
