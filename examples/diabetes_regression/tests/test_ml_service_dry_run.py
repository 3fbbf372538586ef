"""`make aml-dry-run`: every entity written offline, each file loading with its azure.ai.ml loader."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from azure.ai.ml import (
    load_compute,
    load_data,
    load_datastore,
    load_environment,
    load_job,
    load_online_deployment,
    load_online_endpoint,
)
from azure.ai.ml.entities._load_functions import load_schedule  # the schedule loader; not exported by azure.ai.ml

from ml_service.deploy.model import RegisteredModel
from ml_service.dry_run import SCHEMA_ROOT, write_dry_run
from ml_service.settings import EXAMPLE_VALUES, load_settings

LOADERS = {
    "pipelineJob": load_job,
    "commandJob": load_job,
    "environment": load_environment,
    "amlCompute": load_compute,
    "data": load_data,
    "azureBlob": load_datastore,
    "managedOnlineEndpoint": load_online_endpoint,
    "managedOnlineDeployment": load_online_deployment,
    "kubernetesOnlineEndpoint": load_online_endpoint,
    "kubernetesOnlineDeployment": load_online_deployment,
    "monitorSchedule": load_schedule,
    "schedule": load_schedule,
}


@pytest.fixture(scope="module")
def dry_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    output = tmp_path_factory.mktemp("build") / "aml"
    environ = {name: value or f"<{name}>" for name, value in EXAMPLE_VALUES.items()}
    settings = load_settings(environ=environ, dotenv=Path("/nonexistent/.env"))
    write_dry_run(output, settings, RegisteredModel(settings.model_name, "1"))
    return output


def written(output: Path) -> set[str]:
    return {path.relative_to(output).as_posix() for path in output.rglob("*") if path.is_file()}


def test_every_yaml_has_its_schema_and_loads(dry_run: Path) -> None:
    files = sorted(dry_run.rglob("*.yml"))
    assert files
    for path in files:
        first_line = path.read_text(encoding="utf-8").splitlines()[0]
        assert first_line.startswith(f"$schema: {SCHEMA_ROOT}"), path
        kind = yaml.safe_load(path.read_text(encoding="utf-8"))["$schema"].rsplit("/", 1)[1].split(".")[0]
        entity = LOADERS[kind](path)
        assert entity is not None, path


def test_the_expected_entities_are_written(dry_run: Path) -> None:
    files = written(dry_run)
    expected = {
        "compute/train-cluster.yml",
        "environments/diabetes_regression_training_env.yml",
        "data/diabetes_regression_ds.yml",
        "jobs/training_pipeline.yml",
        "compute/score-cluster.yml",
        "datastores/scoring_input.yml",
        "datastores/scoring_output.yml",
        "data/diabetes_regression_scoring_ds.yml",
        "jobs/batch_scoring_pipeline.yml",
        "environments/diabetes_regression_scoring_env.yml",
        "aci/image_build.json",
        "aci/container_group.json",
        "schedules/retraining.yml",
        "jobs/retraining_pipeline.yml",
    }
    assert expected <= files, sorted(expected - files)


def test_paths_are_relative_to_the_project(dry_run: Path) -> None:
    pipeline = yaml.safe_load((dry_run / "jobs" / "training_pipeline.yml").read_text(encoding="utf-8"))
    code = pipeline["jobs"]["train"]["component"]["code"]
    assert not Path(code).is_absolute()
    project = Path(__file__).resolve().parents[1]
    assert (dry_run / "jobs" / code).resolve() == project


def test_batch_scoring_runs_in_parallel_then_copies_the_output(dry_run: Path) -> None:
    job = load_job(dry_run / "jobs" / "batch_scoring_pipeline.yml")
    assert list(job.jobs) == ["score", "copy_output"]
    jobs = job._to_dict()["jobs"]
    assert jobs["score"]["type"] == "parallel"
    assert jobs["score"]["resources"]["instance_count"] == int(EXAMPLE_VALUES["AML_CLUSTER_MAX_NODES_SCORING"])
    assert jobs["score"]["task"]["append_row_to"] == "${{outputs.scores}}"
    assert jobs["copy_output"]["inputs"]["scores"]["path"] == "${{parent.jobs.score.outputs.scores}}"
    assert jobs["copy_output"]["outputs"]["destination"]["path"] == "azureml://datastores/scoring_output/paths/"


def test_batch_scoring_reads_its_datastores_as_the_cluster_identity(dry_run: Path) -> None:
    # The datastores hold no keys: the job uses the scoring cluster's managed identity, which the
    # IaC gives Storage Blob Data Contributor on the scoring storage account.
    job = load_job(dry_run / "jobs" / "batch_scoring_pipeline.yml")
    assert job._to_dict()["identity"]["type"] == "managed_identity"
    for name in ("scoring_input", "scoring_output"):
        datastore = yaml.safe_load((dry_run / "datastores" / f"{name}.yml").read_text(encoding="utf-8"))
        assert not datastore.get("credentials")  # no account key, no SAS


def test_retraining_is_the_training_pipeline_on_the_retrain_cron(dry_run: Path) -> None:
    schedule = load_schedule(dry_run / "schedules" / "retraining.yml")
    assert schedule.trigger.expression == EXAMPLE_VALUES["RETRAIN_CRON"]
    assert list(schedule.create_job.jobs) == ["train", "evaluate", "register"]  # it ends at the evaluate gate


def test_aci_container_group_has_one_cpu_and_four_gb(dry_run: Path) -> None:
    document = json.loads((dry_run / "aci" / "container_group.json").read_text(encoding="utf-8"))
    (group,) = document["resources"]
    assert group["type"] == "Microsoft.ContainerInstance/containerGroups"
    (container,) = group["properties"]["containers"]
    assert container["properties"]["resources"]["requests"] == {"cpu": 1.0, "memoryInGB": 4.0}
    assert container["properties"]["image"].endswith("-scoring:1")
    (credentials,) = group["properties"]["imageRegistryCredentials"]
    assert set(credentials) == {"server", "identity"}  # a managed identity, no username or password
    assert list(group["identity"]["userAssignedIdentities"]) == [credentials["identity"]]
