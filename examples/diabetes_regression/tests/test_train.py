"""The training functions and the training step."""

from __future__ import annotations

import json
from pathlib import Path

import mlflow.sklearn
import pandas as pd
from conftest import DATA, FIXTURES, PARAMETERS

from diabetes_regression.training import train_step
from diabetes_regression.training.train import get_model_metrics, split_data, train_model


def test_split_is_80_20_and_repeatable(diabetes: pd.DataFrame) -> None:
    first, second = split_data(diabetes), split_data(diabetes)
    assert len(first["train"]["y"]) == 353
    assert len(first["test"]["y"]) == 89
    assert (first["test"]["X"] == second["test"]["X"]).all()


def test_train_model_uses_alpha(diabetes: pd.DataFrame) -> None:
    model = train_model(split_data(diabetes), {"alpha": 0.4})
    assert model.alpha == 0.4
    assert model.n_features_in_ == 10


def test_metrics_are_a_plausible_mse(diabetes: pd.DataFrame) -> None:
    data = split_data(diabetes)
    metrics = get_model_metrics(train_model(data, {"alpha": 0.4}), data)
    assert set(metrics) == {"mse"}
    assert 1000 < metrics["mse"] < 6000


def test_train_step_writes_model_and_metrics(trained: dict[str, Path]) -> None:
    assert (trained["model"] / "MLmodel").is_file()
    metrics = json.loads((trained["metrics"] / "metrics.json").read_text())
    assert isinstance(metrics["mse"], float)
    assert json.loads((trained["metrics"] / "run.json").read_text())["run_id"]
    model = mlflow.sklearn.load_model(str(trained["model"]))
    assert model.predict(pd.read_csv(DATA).drop(columns="Y").to_numpy()[:2]).shape == (2,)


def test_train_step_refuses_bad_schema(mlflow_store: str, tmp_path: Path, capsys) -> None:
    args = ["--data", str(FIXTURES / "bad_schema.csv"), "--parameters", str(PARAMETERS)]
    args += ["--model-output", str(tmp_path / "model"), "--metrics-output", str(tmp_path / "metrics")]
    assert train_step.main(args) == 1
    assert "missing columns: BMI, S6" in capsys.readouterr().err
    assert not (tmp_path / "model").exists()
