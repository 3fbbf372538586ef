"""MLflow tracking and registry, the same code locally and in Azure ML.

Locally MLFLOW_TRACKING_URI defaults to an embedded SQLite store in the project (sqlite:///mlruns.db,
nothing to start); in an Azure ML job the platform sets MLFLOW_TRACKING_URI to the workspace.

"Production" is the registered-model alias `production`: the register step moves it to every model
it registers (a model is registered only when it beats the production one), evaluation compares
with it, and `make serve` / `make smoke-test` serve the version it points to.
"""

from __future__ import annotations

import os

import mlflow
from mlflow.entities.model_registry import ModelVersion
from mlflow.exceptions import MlflowException
from mlflow.tracking import MlflowClient

DEFAULT_TRACKING_URI = "sqlite:///mlruns.db"
PRODUCTION_ALIAS = "production"


def in_azure_ml_job() -> bool:
    """True inside an Azure ML job, where the platform owns the run and the experiment."""
    return "AZUREML_RUN_ID" in os.environ or "MLFLOW_RUN_ID" in os.environ


def configure(experiment_name: str | None = None) -> MlflowClient:
    """Point MLflow at MLFLOW_TRACKING_URI (or the local SQLite store) and select the experiment."""
    os.environ.setdefault("MLFLOW_TRACKING_URI", DEFAULT_TRACKING_URI)
    mlflow.set_tracking_uri(os.environ["MLFLOW_TRACKING_URI"])
    if experiment_name and not in_azure_ml_job():
        mlflow.set_experiment(experiment_name)
    return MlflowClient()


def production_version(client: MlflowClient, model_name: str) -> ModelVersion | None:
    """The version the `production` alias points to, or None when there is none yet."""
    try:
        return client.get_model_version_by_alias(model_name, PRODUCTION_ALIAS)
    except MlflowException:
        return None


def version_for_build(client: MlflowClient, model_name: str, build_id: str) -> ModelVersion | None:
    """The version registered by build `build_id`, if any (a build never registers twice)."""
    try:
        versions = client.search_model_versions(f"name = '{model_name}'")
    except MlflowException:
        return None
    for version in versions:
        if version.tags.get("BuildId") == build_id:
            return version
    return None


def set_production(client: MlflowClient, model_name: str, version: str) -> None:
    """Move the `production` alias to `version`."""
    client.set_registered_model_alias(model_name, PRODUCTION_ALIAS, version)
