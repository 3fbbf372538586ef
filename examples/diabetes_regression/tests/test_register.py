"""Registration: tags, the production alias, the clear not-registered line, one version per build."""

from __future__ import annotations

import json
from pathlib import Path

from mlflow import MlflowClient

from diabetes_regression.register import register_step
from diabetes_regression.util.tracking import PRODUCTION_ALIAS


def write_decision(folder: Path, register: bool, reason: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "decision.json").write_text(json.dumps({"register": register, "reason": reason}))
    return folder


def register(trained: dict[str, Path], decision: Path, model_name: str, build_id: str, output: Path) -> dict:
    args = ["--model-input", str(trained["model"]), "--metrics-input", str(trained["metrics"])]
    args += ["--decision-input", str(decision), "--model-name", model_name, "--build-id", build_id]
    args += ["--build-uri", f"https://ci.example/{build_id}", "--experiment-name", "tests", "--output", str(output)]
    assert register_step.main(args) == 0
    return json.loads((output / "model.json").read_text())


def test_registers_with_tags_and_production_alias(trained, model_name: str, tmp_path: Path) -> None:
    decision = write_decision(tmp_path / "decision", True, "first model")
    result = register(trained, decision, model_name, "101", tmp_path / "out")
    assert result == {"registered": True, "name": model_name, "version": "1", "reason": "first model"}

    version = MlflowClient().get_model_version_by_alias(model_name, PRODUCTION_ALIAS)
    assert str(version.version) == "1"
    mse = json.loads((trained["metrics"] / "metrics.json").read_text())["mse"]
    assert version.tags["mse"] == str(mse)
    assert version.tags["BuildId"] == "101"
    assert version.tags["BuildUri"] == "https://ci.example/101"
    assert version.tags["experiment_name"] == "tests"
    assert version.tags["run_id"] == json.loads((trained["metrics"] / "run.json").read_text())["run_id"]


def test_says_clearly_why_nothing_was_registered(trained, model_name: str, tmp_path: Path, capsys) -> None:
    reason = "new mse 3100.0000 is not better than production mse 3000.0000"
    decision = write_decision(tmp_path / "decision", False, reason)
    result = register(trained, decision, model_name, "102", tmp_path / "out")
    assert result == {"registered": False, "name": model_name, "version": None, "reason": reason}
    assert f"Model was not registered for this run: {reason}" in capsys.readouterr().out


def test_never_registers_twice_for_the_same_build(trained, model_name: str, tmp_path: Path) -> None:
    decision = write_decision(tmp_path / "decision", True, "better")
    first = register(trained, decision, model_name, "103", tmp_path / "first")
    second = register(trained, decision, model_name, "103", tmp_path / "second")
    assert first["registered"] is True
    assert second == {
        "registered": False,
        "name": model_name,
        "version": first["version"],
        "reason": f"build 103 already registered version {first['version']}",
    }
    assert len(MlflowClient().search_model_versions(f"name = '{model_name}'")) == 1
