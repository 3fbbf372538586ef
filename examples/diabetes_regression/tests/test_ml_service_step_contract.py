"""The commands the training pipeline's steps run match the step scripts of the ML package: every
option a step passes exists, and every option a script requires is passed (also with
RUN_EVALUATION=false)."""

from __future__ import annotations

import pytest

from ml_service.pipelines.training import build_training_pipeline
from ml_service.settings import PROJECT_ROOT
from ml_service.testing import as_run, example_settings, step_mismatch


def step_commands() -> list[tuple[str, str]]:
    """(step, command as run) of every command step the training pipeline runs."""
    commands = []
    for run_evaluation in ("true", "false"):
        pipeline = build_training_pipeline(example_settings(RUN_EVALUATION=run_evaluation), "1", "u")
        commands += [
            (f"{name} (RUN_EVALUATION={run_evaluation})", as_run(job))
            for name, job in pipeline._to_dict()["jobs"].items()
        ]
    return commands


@pytest.mark.parametrize(("step", "command"), step_commands(), ids=[step for step, _ in step_commands()])
def test_step_command_matches_its_script(step: str, command: str) -> None:
    module = command.split()[2]
    assert (PROJECT_ROOT / (module.replace(".", "/") + ".py")).is_file(), f"{step}: {module} is not in this project"
    assert step_mismatch(step, command) is None
