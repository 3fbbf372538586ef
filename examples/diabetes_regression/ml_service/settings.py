"""Settings of ml_service: the pipeline variables (docs/variable_group.md), read on demand.

Nothing is read at import. `load_settings()` reads the process environment first, then `.env`
(KEY=VALUE lines; ML_SERVICE_DOTENV names another file), then the defaults of the variables
template. A required variable that is still missing stops the program with one line naming it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import MISSING, dataclass, fields
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]

# What each variable means (the same words as docs/variable_group.md). The variables the CI logs
# in with are the pipelines' own, not ml_service's.
MEANINGS: dict[str, str] = {
    "BASE_NAME": "Prefix of every Azure resource name",
    "LOCATION": "Azure region of every resource",
    "RESOURCE_GROUP": "Resource group that holds the resources",
    "WORKSPACE_NAME": "Azure Machine Learning workspace",
    "ACI_DEPLOYMENT_NAME": "Azure Container Instances container group of the scoring service",
    "ACI_IDENTITY_NAME": "User-assigned identity (created by the IaC) that ACI pulls the scoring image with",
    "SCORING_DATASTORE_STORAGE_NAME": "Storage account that holds batch-scoring input and output",
    "MONITORING_ALERT_EMAILS": "Comma-separated emails alerted when a monitoring signal breaches (empty: none)",
    "SOURCES_DIR_TRAIN": "Folder of the ML code",
    "EXPERIMENT_NAME": "Experiment the training runs are recorded under",
    "MODEL_NAME": "Registered model name",
    "DATASET_NAME": "Data asset the training pipeline reads",
    "DATASET_VERSION": "Version of the data asset (a number or latest)",
    "TRAINING_PIPELINE_NAME": "Display name of the training pipeline",
    "AML_ENV_NAME": "Azure ML environment of the training steps",
    "AML_COMPUTE_CLUSTER_NAME": "Training compute cluster",
    "AML_COMPUTE_CLUSTER_SKU": "VM size of the training cluster",
    "AML_CLUSTER_MIN_NODES": "Minimum nodes of the training cluster",
    "AML_CLUSTER_MAX_NODES": "Maximum nodes of the training cluster",
    "AML_CLUSTER_PRIORITY": "Priority of the training cluster (dedicated or low_priority)",
    "RETRAIN_CRON": "When the training pipeline is retrained on a schedule (cron, UTC; default Mondays 03:00)",
    "RUN_EVALUATION": "Compare the new model with production before registering",
    "ALLOW_RUN_CANCEL": "Cancel the run when the new model is not better",
    "SCORING_DATASTORE_INPUT_CONTAINER": "Container of the batch-scoring input",
    "SCORING_DATASTORE_OUTPUT_CONTAINER": "Container of the batch-scoring output",
    "SCORING_DATASTORE_INPUT_FILENAME": "File to score",
    "SCORING_DATASTORE_OUTPUT_FILENAME": "File of predictions",
    "SCORING_DATASET_NAME": "Data asset of the batch-scoring input",
    "SCORING_PIPELINE_NAME": "Display name of the batch-scoring pipeline",
    "AML_COMPUTE_CLUSTER_NAME_SCORING": "Batch-scoring compute cluster",
    "AML_COMPUTE_CLUSTER_SKU_SCORING": "VM size of the scoring cluster",
    "AML_CLUSTER_MIN_NODES_SCORING": "Minimum nodes of the scoring cluster",
    "AML_CLUSTER_MAX_NODES_SCORING": "Maximum nodes of the scoring cluster",
    "AML_CLUSTER_PRIORITY_SCORING": "Priority of the scoring cluster",
}

# Defaults kept beside the pipelines (the variables template); the environment overrides them.
TEMPLATE_DEFAULTS: dict[str, str] = {
    "ACI_IDENTITY_NAME": "mlopsdiabe-AML-ACI-ID",
    "SOURCES_DIR_TRAIN": "diabetes_regression",
    "EXPERIMENT_NAME": "mlopspython",
    "MODEL_NAME": "diabetes_regression_model",
    "DATASET_NAME": "diabetes_regression_ds",
    "DATASET_VERSION": "latest",
    "TRAINING_PIPELINE_NAME": "diabetes_regression-training",
    "AML_ENV_NAME": "diabetes_regression_training_env",
    "AML_COMPUTE_CLUSTER_NAME": "train-cluster",
    "AML_COMPUTE_CLUSTER_SKU": "STANDARD_DS2_V2",
    "AML_CLUSTER_MIN_NODES": "0",
    "AML_CLUSTER_MAX_NODES": "4",
    "AML_CLUSTER_PRIORITY": "low_priority",
    "RETRAIN_CRON": "0 3 * * 1",
    "RUN_EVALUATION": "true",
    "ALLOW_RUN_CANCEL": "true",
    "SCORING_DATASTORE_INPUT_CONTAINER": "input",
    "SCORING_DATASTORE_OUTPUT_CONTAINER": "output",
    "SCORING_DATASTORE_INPUT_FILENAME": "diabetes_scoring_input.csv",
    "SCORING_DATASTORE_OUTPUT_FILENAME": "diabetes_scoring_output.csv",
    "SCORING_DATASET_NAME": "diabetes_regression_scoring_ds",
    "SCORING_PIPELINE_NAME": "diabetes_regression-batchscoring",
    "AML_COMPUTE_CLUSTER_NAME_SCORING": "score-cluster",
    "AML_COMPUTE_CLUSTER_SKU_SCORING": "STANDARD_DS2_V2",
    "AML_CLUSTER_MIN_NODES_SCORING": "0",
    "AML_CLUSTER_MAX_NODES_SCORING": "4",
    "AML_CLUSTER_PRIORITY_SCORING": "low_priority",
}

# The values this project was generated with (.env.example); only the dry run falls back to them.
EXAMPLE_VALUES: dict[str, str] = {
    "BASE_NAME": "mlopsdiabe",
    "LOCATION": "centralus",
    "RESOURCE_GROUP": "mlops-RG",
    "WORKSPACE_NAME": "mlops-AML-WS",
    "ACI_DEPLOYMENT_NAME": "mlops-aci",
    "ACI_IDENTITY_NAME": "mlopsdiabe-AML-ACI-ID",
    "SCORING_DATASTORE_STORAGE_NAME": "mlopsdiabescoresa",
    "MONITORING_ALERT_EMAILS": "",
    "SOURCES_DIR_TRAIN": "diabetes_regression",
    "EXPERIMENT_NAME": "mlopspython",
    "MODEL_NAME": "diabetes_regression_model",
    "DATASET_NAME": "diabetes_regression_ds",
    "DATASET_VERSION": "latest",
    "TRAINING_PIPELINE_NAME": "diabetes_regression-training",
    "AML_ENV_NAME": "diabetes_regression_training_env",
    "AML_COMPUTE_CLUSTER_NAME": "train-cluster",
    "AML_COMPUTE_CLUSTER_SKU": "STANDARD_DS2_V2",
    "AML_CLUSTER_MIN_NODES": "0",
    "AML_CLUSTER_MAX_NODES": "4",
    "AML_CLUSTER_PRIORITY": "low_priority",
    "RETRAIN_CRON": "0 3 * * 1",
    "RUN_EVALUATION": "true",
    "ALLOW_RUN_CANCEL": "true",
    "SCORING_DATASTORE_INPUT_CONTAINER": "input",
    "SCORING_DATASTORE_OUTPUT_CONTAINER": "output",
    "SCORING_DATASTORE_INPUT_FILENAME": "diabetes_scoring_input.csv",
    "SCORING_DATASTORE_OUTPUT_FILENAME": "diabetes_scoring_output.csv",
    "SCORING_DATASET_NAME": "diabetes_regression_scoring_ds",
    "SCORING_PIPELINE_NAME": "diabetes_regression-batchscoring",
    "AML_COMPUTE_CLUSTER_NAME_SCORING": "score-cluster",
    "AML_COMPUTE_CLUSTER_SKU_SCORING": "STANDARD_DS2_V2",
    "AML_CLUSTER_MIN_NODES_SCORING": "0",
    "AML_CLUSTER_MAX_NODES_SCORING": "4",
    "AML_CLUSTER_PRIORITY_SCORING": "low_priority",
}


class MissingSettingError(RuntimeError):
    """A required variable is not set; str() is the one line shown to the user."""


@dataclass(frozen=True)
class ClusterSettings:
    name: str
    size: str
    min_nodes: int
    max_nodes: int
    priority: str


@dataclass(frozen=True)
class Settings:
    """Every variable ml_service reads, typed. Field names are the variable names in lower case."""

    workspace_name: str
    resource_group: str
    location: str
    base_name: str
    sources_dir_train: str
    experiment_name: str
    model_name: str
    dataset_name: str
    dataset_version: str
    training_pipeline_name: str
    aml_env_name: str
    aml_compute_cluster_name: str
    aml_compute_cluster_sku: str
    aml_cluster_min_nodes: int
    aml_cluster_max_nodes: int
    aml_cluster_priority: str
    run_evaluation: bool
    allow_run_cancel: bool
    aci_deployment_name: str
    aci_identity_name: str
    scoring_datastore_storage_name: str
    scoring_datastore_input_container: str
    scoring_datastore_output_container: str
    scoring_datastore_input_filename: str
    scoring_datastore_output_filename: str
    scoring_dataset_name: str
    scoring_pipeline_name: str
    aml_compute_cluster_name_scoring: str
    aml_compute_cluster_sku_scoring: str
    aml_cluster_min_nodes_scoring: int
    aml_cluster_max_nodes_scoring: int
    aml_cluster_priority_scoring: str
    retrain_cron: str
    # Optional: without it the workspace client asks the Azure CLI for the current subscription.
    azure_subscription_id: str = ""
    # Production monitoring (ml_service/monitoring.py): no alert emails when empty.
    monitoring_alert_emails: str = ""

    @property
    def training_cluster(self) -> ClusterSettings:
        return ClusterSettings(
            self.aml_compute_cluster_name,
            self.aml_compute_cluster_sku,
            self.aml_cluster_min_nodes,
            self.aml_cluster_max_nodes,
            self.aml_cluster_priority,
        )

    @property
    def scoring_cluster(self) -> ClusterSettings:
        return ClusterSettings(
            self.aml_compute_cluster_name_scoring,
            self.aml_compute_cluster_sku_scoring,
            self.aml_cluster_min_nodes_scoring,
            self.aml_cluster_max_nodes_scoring,
            self.aml_cluster_priority_scoring,
        )


def read_dotenv(path: Path) -> dict[str, str]:
    """KEY=VALUE lines of a .env file (comments and blank lines skipped, quotes removed)."""
    values: dict[str, str] = {}
    if not path.is_file():
        return values
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.removeprefix("export ").partition("=")
        values[key.strip()] = value.strip().strip("'\"")
    return values


def _convert(name: str, text: str, kind: type) -> object:
    if kind is bool:
        lowered = text.strip().lower()
        if lowered in {"true", "1", "yes", "y"}:
            return True
        if lowered in {"false", "0", "no", "n"}:
            return False
        raise MissingSettingError(f"Setting {name} must be true or false, not {text!r}")
    if kind is int:
        try:
            return int(text)
        except ValueError:
            raise MissingSettingError(f"Setting {name} must be a whole number, not {text!r}") from None
    return text


def load_settings(
    environ: Mapping[str, str] | None = None,
    dotenv: Path | None = None,
    fallback: Mapping[str, str] | None = None,
) -> Settings:
    """Settings from `environ` (default os.environ), then `dotenv` (default .env in the project),
    then the variables template, then `fallback` (the dry run passes EXAMPLE_VALUES).

    Raises MissingSettingError naming every required variable that has no value."""
    environ = os.environ if environ is None else environ
    if dotenv is None:
        dotenv = Path(environ.get("ML_SERVICE_DOTENV") or PROJECT_ROOT / ".env")
    from_file = read_dotenv(dotenv)
    values: dict[str, object] = {}
    missing: list[str] = []
    for field in fields(Settings):
        name = field.name.upper()
        text = environ.get(name) or from_file.get(name) or TEMPLATE_DEFAULTS.get(name) or (fallback or {}).get(name)
        if text:
            kind = {"int": int, "bool": bool}.get(str(field.type), str)
            values[field.name] = _convert(name, text, kind)
        elif field.default is not MISSING:  # optional
            continue
        else:
            missing.append(name)
    if missing:
        described = ", ".join(f"{name} ({MEANINGS.get(name, 'see docs/variable_group.md')})" for name in missing)
        raise MissingSettingError(
            f"Missing setting{'s' if len(missing) > 1 else ''} {described}: "
            "set it in the environment or in .env (see docs/variable_group.md)"
        )
    return Settings(**values)  # type: ignore[arg-type]
