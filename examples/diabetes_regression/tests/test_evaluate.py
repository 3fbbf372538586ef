"""The evaluation decision table and its switches RUN_EVALUATION and ALLOW_RUN_CANCEL."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from diabetes_regression.evaluate import evaluate_step
from diabetes_regression.evaluate.evaluate_step import decide, env_flag


@pytest.mark.parametrize(
    ("new", "production", "run_evaluation", "allow_run_cancel", "register", "reason"),
    [
        (3000.0, None, True, True, True, "first model: there is no production model to compare with"),
        (3000.0, 3100.0, True, True, True, "new mse 3000.0000 is better than production mse 3100.0000"),
        (3100.0, 3000.0, True, True, False, "new mse 3100.0000 is not better than production mse 3000.0000"),
        (3000.0, 3000.0, True, True, False, "new mse 3000.0000 is not better than production mse 3000.0000"),
        (
            3100.0,
            3000.0,
            True,
            False,
            True,
            "new mse 3100.0000 is not better than production mse 3000.0000; registered anyway (ALLOW_RUN_CANCEL=false)",
        ),
        (3100.0, 3000.0, False, True, True, "evaluation is switched off (RUN_EVALUATION=false)"),
    ],
)
def test_decision_table(new, production, run_evaluation, allow_run_cancel, register, reason) -> None:
    decision = decide(new, production, run_evaluation=run_evaluation, allow_run_cancel=allow_run_cancel)
    assert decision == {"register": register, "reason": reason, "new_mse": new, "production_mse": production}


@pytest.mark.parametrize(("value", "expected"), [("", True), ("true", True), ("False", False), ("0", False)])
def test_switches_read_true_and_false(monkeypatch, value: str, expected: bool) -> None:
    monkeypatch.setenv("RUN_EVALUATION", value)
    assert env_flag("RUN_EVALUATION") is expected


def test_a_misspelt_switch_is_an_error(monkeypatch) -> None:
    monkeypatch.setenv("ALLOW_RUN_CANCEL", "ture")
    with pytest.raises(ValueError, match="ALLOW_RUN_CANCEL must be true or false"):
        env_flag("ALLOW_RUN_CANCEL")


def test_first_model_passes_the_evaluation_step(trained: dict[str, Path], model_name: str, tmp_path: Path) -> None:
    args = ["--model-input", str(trained["model"]), "--metrics-input", str(trained["metrics"])]
    args += ["--model-name", model_name, "--decision-output", str(tmp_path)]
    assert evaluate_step.main(args) == 0
    decision = json.loads((tmp_path / "decision.json").read_text())
    assert decision["register"] is True
    assert decision["production_mse"] is None
