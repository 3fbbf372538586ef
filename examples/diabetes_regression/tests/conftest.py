"""Shared fixtures: the project paths, a throwaway MLflow store, a trained model and the scoring
server that serves it.

MLflow, pandas and the ML package are imported inside the fixtures that use them, so the
ml_service tests, which need none of them, start without paying for their imports."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
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


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def scoring_server(trained: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """The real scoring server (azmlinfsrv, two workers) serving the trained model on a free loopback
    port, with the local data collector on: (url, collector log). One per session: each start loads
    the model stack in three processes, and the load and monitoring tests can share one (the
    monitoring tests keep only the events of their own requests)."""
    from diabetes_regression.util import bench_serve
    from diabetes_regression.util.serve_local import SCORE_SCRIPT

    log = tmp_path_factory.mktemp("collected") / "collected.jsonl"
    port = free_port()
    environment = {**os.environ, "AZUREML_MODEL_DIR": str(trained["model"]), "SCORING_COLLECT_LOG": str(log)}
    environment["WORKER_TIMEOUT"] = "30"
    command = [sys.executable, "-m", "azureml_inference_server_http"]
    command += ["--entry_script", str(SCORE_SCRIPT), "--port", str(port), "--worker_count", "2"]
    process = subprocess.Popen(
        command,
        cwd=PROJECT_ROOT,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}/score"
    try:
        deadline = time.monotonic() + 120
        # A long timeout: a probe given up on while the server is busy would be scored (and collected) later.
        while bench_serve.send(url, bench_serve.BODY, timeout=60) != 200:
            assert process.poll() is None, "the scoring server stopped while starting"
            assert time.monotonic() < deadline, "the scoring server did not answer within 120 s"
            time.sleep(0.5)
        yield url, log
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
