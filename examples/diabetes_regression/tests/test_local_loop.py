"""End to end on this machine: train, evaluate, register, score with the production model, train again."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import DATA

from diabetes_regression.scoring import score
from diabetes_regression.util import local_pipeline, production_model


def train(root: Path, model_name: str, build_id: str) -> dict:
    """`make train`: the training pipeline's three steps, in order; returns model.json."""
    args = ["--data", str(DATA), "--output", str(root), "--model-name", model_name, "--build-id", build_id]
    assert local_pipeline.main([*args, "--experiment-name", "tests"]) == 0
    return json.loads((root / "model.json").read_text())


def test_local_loop(model_name: str, tmp_path: Path, monkeypatch, capsys) -> None:
    first = train(tmp_path / "first", model_name, "local-1")
    assert first["registered"] is True
    assert first["version"] == "1"

    served = tmp_path / "production_model"
    assert production_model.main(["--model-name", model_name, "--output", str(served)]) == 0
    monkeypatch.setenv("AZUREML_MODEL_DIR", str(served))
    score.init()
    assert len(score.run(json.dumps({"data": [list(range(1, 11)), list(range(10, 0, -1))]}))["result"]) == 2

    capsys.readouterr()
    second = train(tmp_path / "second", model_name, "local-2")
    assert second == {
        "registered": False,
        "name": model_name,
        "version": None,
        "reason": second["reason"],
    }
    assert "Model was not registered for this run: new mse" in capsys.readouterr().out
    assert "is not better than production mse" in second["reason"]
