"""Write every Azure ML entity this project creates as YAML with its $schema line, offline:
no credentials, no network. Databricks runs and ARM/ACR requests are written as JSON.

    python -m ml_service.dry_run --output build/aml

Each YAML loads with azure.ai.ml's loaders (load_job, load_environment, load_compute, ...) and
can be submitted as is with `az ml <kind> create --file`.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import shutil
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from azure.ai.ml.entities import (
    AmlCompute,
    AzureBlobDatastore,
    CommandJob,
    Data,
    Environment,
    JobSchedule,
    KubernetesOnlineDeployment,
    KubernetesOnlineEndpoint,
    ManagedOnlineDeployment,
    ManagedOnlineEndpoint,
    MonitorSchedule,
    PipelineJob,
    Registry,
)

from ml_service.cli import run
from ml_service.compute import cluster
from ml_service.data import sample_data_asset
from ml_service.deploy.endpoints import targets
from ml_service.deploy.model import RegisteredModel
from ml_service.environments import scoring_environment, training_environment
from ml_service.pipelines.training import build_training_pipeline
from ml_service.settings import EXAMPLE_VALUES, PROJECT_ROOT, Settings, load_settings

SCHEMA_ROOT = "https://azuremlschemas.azureedge.net/latest/"
# Most specific class first: the $schema of each entity kind.
SCHEMAS: tuple[tuple[type, str], ...] = (
    (PipelineJob, "pipelineJob.schema.json"),
    (CommandJob, "commandJob.schema.json"),
    (Environment, "environment.schema.json"),
    (AmlCompute, "amlCompute.schema.json"),
    (Data, "data.schema.json"),
    (AzureBlobDatastore, "azureBlob.schema.json"),
    (ManagedOnlineEndpoint, "managedOnlineEndpoint.schema.json"),
    (ManagedOnlineDeployment, "managedOnlineDeployment.schema.json"),
    (KubernetesOnlineEndpoint, "kubernetesOnlineEndpoint.schema.json"),
    (KubernetesOnlineDeployment, "kubernetesOnlineDeployment.schema.json"),
    (MonitorSchedule, "monitorSchedule.schema.json"),
    (JobSchedule, "schedule.schema.json"),
    (Registry, "registry.schema.json"),
)
# The folders the dry run writes, besides one per target outside Azure ML; emptied first so no file
# of an earlier run lingers.
FOLDERS = (
    "canary",
    "compute",
    "data",
    "databricks",
    "datastores",
    "deployments",
    "endpoints",
    "environments",
    "jobs",
    "promotion",
    "registries",
    "schedules",
)
DRY_RUN_BUILD_ID = "dry-run"
DRY_RUN_BUILD_URI = "https://example.invalid/build/dry-run"


def schema_url(entity: object) -> str:
    for kind, schema in SCHEMAS:
        if isinstance(entity, kind):
            return SCHEMA_ROOT + schema
    raise TypeError(f"no $schema known for {type(entity).__name__}")


def _relative_paths(value: Any, output: Path) -> Any:
    """Plain data with absolute paths inside the project made relative to the output folder."""
    if isinstance(value, dict):
        return {key: _relative_paths(item, output) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_relative_paths(item, output) for item in value]
    if isinstance(value, str) and value.startswith(str(PROJECT_ROOT)):
        return Path(os.path.relpath(value, output)).as_posix()
    return value


def entity_document(entity: Any, output: Path) -> dict[str, Any]:
    """The entity as its YAML document: $schema first, then what azure-ai-ml dumps."""
    plain = json.loads(json.dumps(entity._to_dict(), default=str))
    return {"$schema": schema_url(entity), **_relative_paths(plain, output)}


def dry_run_settings() -> Settings:
    """The settings from the environment and .env, else the values this project was generated with
    (placeholders for the ones you fill in, such as DATABRICKS_HOST)."""
    fallback = {name: value or f"<{name}>" for name, value in EXAMPLE_VALUES.items()}
    return load_settings(fallback=fallback)


Entities = Iterator[tuple[str, Any]]


def _canary(settings: Settings, model: RegisteredModel) -> Entities:
    from ml_service.deploy.canary import STEPS, TARGET, TRAFFIC, endpoint_with_traffic
    from ml_service.deploy.online import CANDIDATE

    candidate = importlib.import_module(f"ml_service.deploy.{TARGET}").deployment(settings, model, CANDIDATE)
    yield f"canary/{candidate.endpoint_name}-{candidate.name}.yml", candidate
    for step in STEPS:
        yield f"canary/{candidate.endpoint_name}-traffic-{step}.yml", endpoint_with_traffic(settings, TRAFFIC[step])


def _batch_scoring(settings: Settings, model: RegisteredModel) -> Entities:
    from ml_service.pipelines.batch_scoring import build_batch_scoring_pipeline, scoring_data_asset, scoring_datastores

    yield f"compute/{settings.aml_compute_cluster_name_scoring}.yml", cluster(settings.cluster("_scoring"))
    for datastore in scoring_datastores(settings):
        yield f"datastores/{datastore.name}.yml", datastore
    yield f"data/{settings.scoring_dataset_name}.yml", scoring_data_asset(settings)
    yield "jobs/batch_scoring_pipeline.yml", build_batch_scoring_pipeline(settings, model.version)


def _r_on_aml(settings: Settings, model: RegisteredModel) -> Entities:
    from ml_service.pipelines.r_on_aml import build_r_training_job, r_environment

    r_env = r_environment(settings)
    yield f"environments/{r_env.name}.yml", r_env
    yield "jobs/r_training.yml", build_r_training_job(settings)


def _r_on_databricks(settings: Settings, model: RegisteredModel) -> Entities:
    from ml_service.pipelines.r_on_databricks import SUBMIT_PATH, r_training_run

    yield "databricks/r_training_run.json", {"method": "POST", "path": SUBMIT_PATH, "body": r_training_run(settings)}


def _promotion(settings: Settings, model: RegisteredModel) -> Entities:
    from ml_service.promote import dry_run as promotion

    yield from promotion(settings, model)


# What each option adds, in the order the files are written. Only the chosen options'
# (ml_service/features.json) run, so only their modules are imported.
FEATURES: dict[str, Callable[[Settings, RegisteredModel], Entities]] = {
    "batch_scoring": _batch_scoring,
    "r_training_aml": _r_on_aml,
    "r_training_databricks": _r_on_databricks,
    "canary_release": _canary,
    "promotion": _promotion,
}


@cache
def _features() -> dict[str, Any]:
    return json.loads((PROJECT_ROOT / "ml_service" / "features.json").read_text(encoding="utf-8"))


def chosen_features() -> list[str]:
    """The options this project was generated with, as ml_service/features.json lists them."""
    return _features()["features"]


def core_entities(settings: Settings) -> Entities:
    """What every project creates: the training cluster, environment, data asset and pipeline."""
    training = training_environment(settings)
    yield f"compute/{settings.aml_compute_cluster_name}.yml", cluster(settings.training_cluster)
    yield f"environments/{training.name}.yml", training
    yield f"data/{settings.dataset_name}.yml", sample_data_asset(settings)
    yield "jobs/training_pipeline.yml", build_training_pipeline(settings, DRY_RUN_BUILD_ID, DRY_RUN_BUILD_URI)


def scoring_entities(settings: Settings) -> Entities:
    """The scoring environment, shared by the options that score (features.json: "scores")."""
    scoring = scoring_environment(settings)
    yield f"environments/{scoring.name}.yml", scoring


def entities(settings: Settings, model: RegisteredModel) -> Entities:
    """(relative file path, entity or JSON document) for everything the project creates."""
    chosen = chosen_features()
    yield from core_entities(settings)
    if _features()["scores"]:
        yield from scoring_entities(settings)
    for target in targets():  # each target's deploy module writes its own entities
        yield from importlib.import_module(f"ml_service.deploy.{target}").dry_run(settings, model)
    for feature in FEATURES:
        if feature in chosen:
            yield from FEATURES[feature](settings, model)
    deployed = sorted(targets())
    if deployed:  # production monitoring and retraining (ml_service/monitoring.py)
        from ml_service.monitoring import schedules

        # with environments, dev retrains and production only watches (what the CD creates in each)
        for scope in ("retraining", "monitors") if "promotion" in chosen else ("all",):
            yield from schedules(settings, deployed, scope)


def write_entities(output: Path, entities: Entities) -> list[Path]:
    """Write each (relative path, entity or JSON document) under `output`; returns the files written."""
    output = output.resolve()
    written: list[Path] = []
    for relative, entity in entities:
        path = output / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if type(entity) is dict:  # a request payload (azure-ai-ml nodes are dict subclasses)
            path.write_text(json.dumps(entity, indent=2) + "\n", encoding="utf-8")
        else:
            document = entity_document(entity, path.parent)
            path.write_text(yaml.safe_dump(document, sort_keys=False, width=120), encoding="utf-8")
        written.append(path)
    return written


def write_dry_run(output: Path, settings: Settings, model: RegisteredModel) -> list[Path]:
    """Write every entity under `output`; returns the files written."""
    for folder in (*FOLDERS, *targets()):
        shutil.rmtree(output.resolve() / folder, ignore_errors=True)
    return write_entities(output, entities(settings, model))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=Path("build/aml"), help="folder to write into")
    parser.add_argument("--model-version", default="1", help="model version the deployments and batch scoring use")
    args = parser.parse_args(argv)

    def _main() -> int:
        settings = dry_run_settings()
        written = write_dry_run(args.output, settings, RegisteredModel(settings.model_name, args.model_version))
        print(f"Wrote {len(written)} files under {args.output}")
        return 0

    return run(_main)


if __name__ == "__main__":
    raise SystemExit(main())
