"""Shared fixtures: the project paths, a throwaway MLflow store and a trained model.

MLflow, pandas and the ML package are imported inside the fixtures that use them, so the
ml_service tests, which need none of them, start without paying for their imports."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    import pandas as pd

PROJECT_ROOT = Path(__file__).resolve().parents[1]
PACKAGE_ROOT = PROJECT_ROOT / "diabetes_regression"
DATA = PROJECT_ROOT / "data" / "diabetes.csv"
FIXTURES = PROJECT_ROOT / "data" / "fixtures"
PARAMETERS = PACKAGE_ROOT / "parameters.json"
EXPERIMENT = "tests"


@pytest.fixture(scope="session")
def diabetes() -> pd.DataFrame:
    import pandas as pd

    return pd.read_csv(DATA)


@pytest.fixture(scope="session")
def mlflow_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One SQLite tracking store and artifact folder for the whole session, outside the project."""
    import mlflow

    root = tmp_path_factory.mktemp("mlflow")
    uri = f"sqlite:///{root / 'mlruns.db'}"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MLFLOW_TRACKING_URI", uri)
        patch.setenv("EXPERIMENT_NAME", EXPERIMENT)
        mlflow.set_tracking_uri(uri)
        mlflow.MlflowClient().create_experiment(EXPERIMENT, artifact_location=(root / "artifacts").as_uri())
        yield uri


@pytest.fixture
def model_name(mlflow_store: str) -> str:
    """A registered-model name no other test uses, so every test starts with an empty registry entry."""
    return f"test_model_{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="session")
def trained(mlflow_store: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Run the training step once: {"model": model folder, "metrics": metrics folder}."""
    from diabetes_regression.training import train_step

    root = tmp_path_factory.mktemp("trained")
    outputs = {"model": root / "model", "metrics": root / "metrics"}
    exit_code = train_step.main(
        [
            "--data",
            str(DATA),
            "--parameters",
            str(PARAMETERS),
            "--model-output",
            str(outputs["model"]),
            "--metrics-output",
            str(outputs["metrics"]),
        ]
    )
    assert exit_code == 0
    return outputs


@pytest.fixture
def entra_token(monkeypatch: pytest.MonkeyPatch) -> str:
    """DefaultAzureCredential stands aside: an Entra ID token is a fixed string in the deploy tests."""
    from ml_service.deploy import endpoints

    monkeypatch.setattr(endpoints, "aad_token", lambda scope=endpoints.AAD_TOKEN_SCOPE: f"entra-token for {scope}")
    return "entra-token for https://ml.azure.com/.default"
