"""Batch scoring: run(mini_batch) on files and frames, the local parallel runner and copy-output."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from conftest import DATA

from diabetes_regression.scoring import batch_score, copy_output


@pytest.fixture
def model_dir(trained: dict[str, Path], monkeypatch) -> Path:
    monkeypatch.setenv("AZUREML_MODEL_DIR", str(trained["model"].parent))
    batch_score.init()
    return trained["model"].parent


def test_run_scores_files_and_drops_the_label(model_dir: Path, tmp_path: Path) -> None:
    pd.read_csv(DATA).head(3).to_csv(tmp_path / "a.csv", index=False)
    lines = batch_score.run([str(tmp_path / "a.csv")])
    assert [line.split(",")[:2] for line in lines] == [["a.csv", "0"], ["a.csv", "1"], ["a.csv", "2"]]
    float(lines[0].split(",")[2])


def test_run_scores_a_data_frame(model_dir: Path) -> None:
    assert len(batch_score.run(pd.read_csv(DATA).drop(columns="Y").head(5))) == 5


def test_local_parallel_run_and_copy_output(model_dir: Path, tmp_path: Path) -> None:
    data = tmp_path / "input.csv"
    pd.read_csv(DATA).drop(columns="Y").head(25).to_csv(data, index=False)
    args = ["--data", str(data), "--output", str(tmp_path / "parallel"), "--mini-batch-rows", "10", "--workers", "2"]
    assert batch_score.main(args) == 0
    assert copy_output.main(["--input", str(tmp_path / "parallel"), "--output", str(tmp_path / "out")]) == 0
    predictions = pd.read_csv(tmp_path / "out" / "diabetes_scoring_output.csv")
    assert list(predictions.columns) == ["file", "row", "prediction"]
    assert len(predictions) == 25
    assert predictions["file"].nunique() == 3


def test_copy_output_fails_without_predictions(tmp_path: Path) -> None:
    assert copy_output.main(["--input", str(tmp_path), "--output", str(tmp_path / "out")]) == 1
