"""The batch-scoring pipeline: parallel scoring, then the copy-output step; its submit path, its
dry run and its step contract. Reads the core variables and batch scoring's only."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from azure.ai.ml.entities import PipelineJob

from ml_service.deploy.model import RegisteredModel
from ml_service.dry_run import FEATURES, write_entities
from ml_service.pipelines import run_batch_scoring
from ml_service.pipelines.batch_scoring import OUTPUT_DATASTORE, build_batch_scoring_pipeline
from ml_service.settings import PROJECT_ROOT, Settings, load_settings
from ml_service.testing import (
    NO_DOTENV,
    FakeMLClient,
    as_run,
    dry_run_files,
    example_environ,
    example_settings,
    imports_quietly,
    load_entity,
    step_mismatch,
)

BATCH = "batch_scoring"


def environment(**overrides: str) -> dict[str, str]:
    return example_environ(BATCH, **overrides)


def settings(**overrides: str) -> Settings:
    return example_settings(BATCH, **overrides)


def test_parallel_step_then_copy_output() -> None:
    chosen = settings(AML_CLUSTER_MAX_NODES_SCORING="6", AML_COMPUTE_CLUSTER_NAME_SCORING="batch-cluster")
    document = build_batch_scoring_pipeline(chosen, "5")._to_dict()
    jobs = document["jobs"]
    assert list(jobs) == ["score", "copy_output"]
    score = jobs["score"]
    assert score["type"] == "parallel"
    assert score["resources"]["instance_count"] == 6
    assert score["mini_batch_size"] == "1"
    assert score["error_threshold"] >= 0
    assert score["input_data"] == "${{inputs.scoring_data}}"
    assert score["task"]["append_row_to"] == "${{outputs.scores}}"
    assert score["task"]["entry_script"] == f"{chosen.sources_dir_train}/scoring/batch_score.py"
    assert jobs["copy_output"]["inputs"]["scores"]["path"] == "${{parent.jobs.score.outputs.scores}}"
    assert jobs["copy_output"]["outputs"]["destination"]["path"] == f"azureml://datastores/{OUTPUT_DATASTORE}/paths/"
    assert document["compute"] == "azureml:batch-cluster"
    assert document["inputs"]["model"]["path"] == f"azureml:{chosen.model_name}:5"


@pytest.fixture
def configured(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in environment().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("ML_SERVICE_DOTENV", str(NO_DOTENV))


@pytest.mark.usefixtures("configured")
def test_run_batch_scoring_submits_exactly_the_built_pipeline() -> None:
    client = FakeMLClient()
    assert run_batch_scoring.main(["--model-version", "5"], client) == 0
    (submitted,) = client.jobs.created
    assert isinstance(submitted, PipelineJob)
    assert submitted._to_dict() == build_batch_scoring_pipeline(load_settings(options=(BATCH,)), "5")._to_dict()
    assert [store.name for store in client.datastores.created] == ["scoring_input", "scoring_output"]
    assert [compute.name for compute in client.compute.created] == [environment()["AML_COMPUTE_CLUSTER_NAME_SCORING"]]


def test_the_dry_run_writes_the_pipeline_and_its_keyless_datastores(tmp_path: Path) -> None:
    chosen = settings()
    written = write_entities(tmp_path, FEATURES[BATCH](chosen, RegisteredModel(chosen.model_name, "1")))
    assert dry_run_files(tmp_path, written) == {
        f"compute/{chosen.aml_compute_cluster_name_scoring}.yml",
        "datastores/scoring_input.yml",
        "datastores/scoring_output.yml",
        f"data/{chosen.scoring_dataset_name}.yml",
        "jobs/batch_scoring_pipeline.yml",
    }
    jobs = load_entity(tmp_path / "jobs" / "batch_scoring_pipeline.yml")._to_dict()["jobs"]
    assert jobs["score"]["resources"]["instance_count"] == chosen.aml_cluster_max_nodes_scoring
    # The datastores hold no keys: the job uses the scoring cluster's managed identity, which the
    # IaC gives Storage Blob Data Contributor on the scoring storage account.
    assert load_entity(tmp_path / "jobs" / "batch_scoring_pipeline.yml")._to_dict()["identity"]["type"] == (
        "managed_identity"
    )
    for name in ("scoring_input", "scoring_output"):
        datastore = yaml.safe_load((tmp_path / "datastores" / f"{name}.yml").read_text(encoding="utf-8"))
        assert not datastore.get("credentials")  # no account key, no SAS


def test_the_copy_output_step_matches_its_script() -> None:
    jobs = build_batch_scoring_pipeline(settings(), "1")._to_dict()["jobs"]
    assert step_mismatch("copy_output", as_run(jobs["copy_output"])) is None


def test_parallel_entry_script_has_init_and_run() -> None:
    import ast

    document = build_batch_scoring_pipeline(settings(), "1")._to_dict()["jobs"]["score"]
    script = PROJECT_ROOT / document["task"]["entry_script"]
    tree = ast.parse(script.read_text(encoding="utf-8"))
    functions = {node.name for node in tree.body if isinstance(node, ast.FunctionDef)}
    assert {"init", "run"} <= functions


def test_its_modules_import_without_settings_network_or_credentials(tmp_path: Path, monkeypatch) -> None:
    imports_quietly(
        ["ml_service.pipelines.batch_scoring", "ml_service.pipelines.run_batch_scoring"], tmp_path, monkeypatch
    )
