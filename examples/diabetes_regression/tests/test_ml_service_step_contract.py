"""The commands the Azure ML steps run match the step scripts of the ML package: every option a
step passes exists, and every option a script requires is passed (also with RUN_EVALUATION=false)."""

from __future__ import annotations

import contextlib
import io
import re
import runpy
import sys
import warnings
from functools import cache
from pathlib import Path

import pytest

from ml_service.pipelines.batch_scoring import build_batch_scoring_pipeline
from ml_service.pipelines.training import build_training_pipeline
from ml_service.settings import EXAMPLE_VALUES, PROJECT_ROOT, Settings, load_settings


def settings(**overrides: str) -> Settings:
    environ = {**{name: value or f"<{name}>" for name, value in EXAMPLE_VALUES.items()}, **overrides}
    return load_settings(environ=environ, dotenv=Path("/nonexistent/.env"))


def as_run(job: dict) -> str:
    """The command as Azure ML runs it: an optional $[[...]] part stays only when its input is bound."""

    def optional(match: re.Match) -> str:
        names = re.findall(r"inputs\.(\w+)", match.group(1))
        return match.group(1) if all(name in job.get("inputs", {}) for name in names) else ""

    return re.sub(r"\$\[\[(.*?)\]\]", optional, job["component"]["command"])


def step_commands() -> list[tuple[str, str]]:
    """(step, command as run) of every command step the pipelines run."""
    commands = []
    for run_evaluation in ("true", "false"):
        jobs = build_training_pipeline(settings(RUN_EVALUATION=run_evaluation), "1", "u")._to_dict()["jobs"]
        commands += [(f"{name} (RUN_EVALUATION={run_evaluation})", as_run(job)) for name, job in jobs.items()]
    jobs = build_batch_scoring_pipeline(settings(), "1")._to_dict()["jobs"]
    commands.append(("copy_output", as_run(jobs["copy_output"])))
    return commands


@cache
def cli_help(module: str) -> str:
    """`python -m <module> --help`, run in this process: argparse prints the usage and exits 0."""
    printed = io.StringIO()
    argv = sys.argv
    sys.argv = [module, "--help"]
    try:
        with contextlib.redirect_stdout(printed), pytest.raises(SystemExit) as exited, warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # runpy: the module was imported before
            runpy.run_module(module, run_name="__main__", alter_sys=True)
    finally:
        sys.argv = argv
    assert exited.value.code in (0, None), f"{module} --help exited with {exited.value.code}"
    return printed.getvalue()


def required_options(help_text: str) -> set[str]:
    """The options outside [...] in argparse's usage text."""
    usage = help_text.split("\n\n", 1)[0]
    return set(re.findall(r"--[a-z][-a-z]*", re.sub(r"\[[^\[\]]*\]", "", usage)))


@pytest.mark.parametrize(("step", "command"), step_commands(), ids=[step for step, _ in step_commands()])
def test_step_command_matches_its_script(step: str, command: str) -> None:
    module = command.split()[2]
    if not (PROJECT_ROOT / (module.replace(".", "/") + ".py")).is_file():
        pytest.skip(f"{module} is not in this project")
    help_text = cli_help(module)
    passed = set(re.findall(r"--[a-z][-a-z]*", command))
    unknown = {option for option in passed if option not in help_text}
    assert not unknown, f"{step}: {module} has no option {sorted(unknown)}"
    missing = required_options(help_text) - passed
    assert not missing, f"{step}: {module} requires {sorted(missing)}, which this step does not pass"


def test_parallel_entry_script_has_init_and_run() -> None:
    import ast

    document = build_batch_scoring_pipeline(settings(), "1")._to_dict()["jobs"]["score"]
    script = PROJECT_ROOT / document["task"]["entry_script"]
    if not script.is_file():
        pytest.skip(f"{script.name} is not in this project")
    tree = ast.parse(script.read_text(encoding="utf-8"))
    functions = {node.name for node in tree.body if isinstance(node, ast.FunctionDef)}
    assert {"init", "run"} <= functions
