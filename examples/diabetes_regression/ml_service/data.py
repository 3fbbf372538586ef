"""The training data asset (DATASET_NAME / DATASET_VERSION), registered from the sample data when missing."""

from __future__ import annotations

from typing import TYPE_CHECKING

from azure.ai.ml import Input
from azure.ai.ml.constants import AssetTypes
from azure.ai.ml.entities import Data
from azure.core.exceptions import ResourceNotFoundError

from ml_service.settings import PROJECT_ROOT, Settings

if TYPE_CHECKING:
    from azure.ai.ml import MLClient

# The sample data set of the project (the diabetes data that ships with scikit-learn, as CSV).
SAMPLE_DATA = PROJECT_ROOT / "data" / "diabetes.csv"
# What the R sample trains on (weight ~ height), uploaded with the R job.
R_SAMPLE_DATA = PROJECT_ROOT / "data" / "weight_data.csv"
FIRST_VERSION = "1"


def data_reference(name: str, version: str) -> str:
    """`azureml:name:version`, or `azureml:name@latest` for DATASET_VERSION=latest."""
    return f"azureml:{name}@latest" if version == "latest" else f"azureml:{name}:{version}"


def training_input(settings: Settings) -> Input:
    """The training pipeline's data input: the registered data asset."""
    return Input(type=AssetTypes.URI_FILE, path=data_reference(settings.dataset_name, settings.dataset_version))


def sample_data_asset(settings: Settings) -> Data:
    """The data asset that registers the sample data set under DATASET_NAME."""
    version = FIRST_VERSION if settings.dataset_version == "latest" else settings.dataset_version
    return Data(
        name=settings.dataset_name,
        version=version,
        type=AssetTypes.URI_FILE,
        path=str(SAMPLE_DATA),
        description="Sample training data registered by ml_service (data/diabetes.csv)",
    )


def ensure_training_data(ml_client: MLClient, settings: Settings) -> None:
    """Register the sample data as DATASET_NAME when the workspace has no such data asset."""
    try:
        if settings.dataset_version == "latest":
            ml_client.data.get(settings.dataset_name, label="latest")
        else:
            ml_client.data.get(settings.dataset_name, version=settings.dataset_version)
    except ResourceNotFoundError:
        asset = sample_data_asset(settings)
        print(f"Registering the sample data as data asset {asset.name}:{asset.version}")
        ml_client.data.create_or_update(asset)
