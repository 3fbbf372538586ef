"""The generated repo's Azure ML orchestration, checked offline for every target, batch and R option:
the dry run writes every entity, each loads with its azure.ai.ml loader, and the checks catch breakage."""

from __future__ import annotations

import json
import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import every_target, per_target

from mlops_scaffold.checks import aml

# The fewest renders that cover each target alone (with batch on and off and both R options between
# them, as each target's module declares: tests/test_target_<target>.py), every target with canary,
# and no target without batch scoring.
ALONE: dict[str, tuple[str, dict[str, Any]]] = per_target("DRY_RUN_COMBINATION")
EVERY = "all targets+canary"
NONE = "no targets, no batch"
COMBINATIONS: dict[str, dict[str, Any]] = {
    **dict(ALONE.values()),
    EVERY: {"deployment_targets": every_target(), "canary_release": True},
    NONE: {"deployment_targets": [], "batch_scoring": False},
}
# The canonical answers; the lightest combination (one target, nothing else).
CANONICAL = next(name for name, overrides in COMBINATIONS.items() if not overrides)
LIGHTEST = next(
    name
    for name, overrides in COMBINATIONS.items()
    if set(overrides) == {"deployment_targets", "batch_scoring"} and len(overrides["deployment_targets"]) == 1
)
# Each target's own folder of the dry run (the endpoints' share endpoints/ and deployments/).
FOLDERS = per_target("DRY_RUN_FOLDER")


def _dry_run_rows() -> list[tuple[str, set[str], set[str]]]:
    """(combination, files it must write, prefixes it must not): each target alone as its module
    declares, leaving out the other targets' folders too; every target; no target."""
    writes, leaves_out, entities = (
        per_target("DRY_RUN_WRITES"),
        per_target("DRY_RUN_LEAVES_OUT"),
        per_target("DRY_RUN_ENTITY"),
    )
    rows = [
        (name, writes[target], leaves_out[target] | {folder for other, folder in FOLDERS.items() if other != target})
        for target, (name, _) in ALONE.items()
    ]
    rows.append((EVERY, set(entities.values()), set()))
    rows.append(
        (
            NONE,
            {"jobs/training_pipeline.yml", "compute/train-cluster.yml"},
            {"endpoints", "deployments", "jobs/batch_scoring_pipeline.yml", "schedules", *FOLDERS.values()},
        )
    )
    return rows


@pytest.fixture(scope="module")
def projects(
    tmp_path_factory: pytest.TempPathFactory, render: Callable[..., Path], project_venv: Path
) -> dict[str, Path]:
    """One private copy of each combination's rendering (project_venv: the dry run needs azure-ai-ml)."""

    copies = {}
    for name, overrides in COMBINATIONS.items():
        dest = tmp_path_factory.mktemp("aml") / "project"
        shutil.copytree(render(**overrides), dest, symlinks=True)
        copies[name] = dest
    return copies


@pytest.fixture(scope="module")
def dry_runs(projects: dict[str, Path]) -> dict[str, tuple[Path, list]]:
    """The dry run of each combination (into build/aml of its copy) and the check's findings."""
    from concurrent.futures import ThreadPoolExecutor

    def run(project: Path) -> tuple[Path, list]:
        output = project / "build" / "aml"
        return output, aml.dry_run_output(project, output)

    with ThreadPoolExecutor(max_workers=2) as pool:  # subprocesses; the machine has 2 cores
        return dict(zip(projects, pool.map(run, projects.values()), strict=True))


@pytest.mark.parametrize("combination", list(COMBINATIONS))
def test_dry_run_succeeds_and_every_file_loads(combination: str, dry_runs: dict, projects: dict) -> None:
    output, findings = dry_runs[combination]
    assert not findings, f"{combination}: " + "; ".join(map(str, findings))
    assert not aml.entry_points(projects[combination]), combination
    assert any(output.rglob("*.yml")), combination


def written(output: Path) -> set[str]:
    return {path.relative_to(output).as_posix() for path in output.rglob("*") if path.is_file()}


@pytest.mark.parametrize(("combination", "present", "absent"), _dry_run_rows())
def test_dry_run_writes_what_the_answers_select(combination: str, present: set, absent: set, dry_runs: dict) -> None:
    files = written(dry_runs[combination][0])
    assert present <= files, f"{combination}: missing {sorted(present - files)}"
    for prefix in absent:
        assert not any(name == prefix or name.startswith(prefix + "/") for name in files), f"{combination}: {prefix}"


def test_training_pipeline_runs_train_evaluate_register(dry_runs: dict) -> None:
    pipeline = yaml.safe_load((dry_runs[CANONICAL][0] / "jobs" / "training_pipeline.yml").read_text())
    assert list(pipeline["jobs"]) == ["train", "evaluate", "register"]
    register = pipeline["jobs"]["register"]["inputs"]
    assert register["decision_input"]["path"] == "${{parent.jobs.evaluate.outputs.decision}}"
    assert pipeline["compute"] == "azureml:train-cluster"


def test_the_check_reports_broken_files(projects: dict, tmp_path: Path) -> None:
    output = tmp_path / "aml"
    (output / "compute").mkdir(parents=True)
    schema = "$schema: https://azuremlschemas.azureedge.net/latest/amlCompute.schema.json\n"
    (output / "compute" / "bad.yml").write_text(schema + "name: x\ntype: amlcompute\nmax_instances: many\n")
    (output / "compute" / "no_schema.yml").write_text("name: y\ntype: amlcompute\n")
    (output / "payload.json").write_text(json.dumps({"hello": "world"}))
    messages = {finding.path: finding.message for finding in aml.written_files(projects[CANONICAL], output)}
    assert "load_compute failed" in messages["build/aml/compute/bad.yml"]
    assert "$schema" in messages["build/aml/compute/no_schema.yml"]
    assert "ARM template" in messages["build/aml/payload.json"]


def test_the_check_reports_a_retraining_that_skips_the_evaluate_gate(dry_runs: dict, tmp_path: Path) -> None:
    output = tmp_path / "aml"
    shutil.copytree(dry_runs[LIGHTEST][0], output)
    assert aml._retraining_gate(output) == []  # the rendering's own retraining passes the gate
    job = output / "jobs" / "retraining_pipeline.yml"
    pipeline = yaml.safe_load(job.read_text())
    del pipeline["jobs"]["evaluate"], pipeline["jobs"]["register"]["inputs"]["decision_input"]
    job.write_text(yaml.safe_dump(pipeline, sort_keys=False))
    assert [str(finding) for finding in aml._retraining_gate(output)] == [
        "build/aml/schedules/retraining.yml: the scheduled retraining does not end at the evaluate gate "
        "(register without evaluate's decision)"
    ]


def test_the_check_reports_a_failing_dry_run_in_one_line(projects: dict, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AML_CLUSTER_MAX_NODES", "four")
    (finding,) = aml.dry_run_loads(projects[LIGHTEST])
    assert finding.path == "ml_service/dry_run.py"
    assert "AML_CLUSTER_MAX_NODES must be a whole number" in finding.message


def test_the_check_reports_a_missing_entry_point(projects: dict, tmp_path: Path) -> None:
    for target in every_target():  # each target's deploy module in turn
        project = tmp_path / target
        shutil.copytree(projects[EVERY], project)
        (project / "ml_service" / "deploy" / f"{target}.py").unlink()
        assert [finding.path for finding in aml.entry_points(project)] == [f"ml_service/deploy/{target}.py"]


def test_the_check_reports_a_drift_retraining_that_trains_without_a_breach(dry_runs: dict, tmp_path: Path) -> None:
    """Each target's drift-retraining pipeline trains only on its monitor's breach and registers only
    through the evaluate gate; cut either wire and the check names the schedule."""
    output = tmp_path / "aml"
    shutil.copytree(dry_runs[LIGHTEST][0], output)
    (schedule,) = sorted(output.glob("schedules/*-drift-retraining.yml"))
    job = output / "jobs" / yaml.safe_load(schedule.read_text())["create_job"]["job"].removeprefix("../jobs/")
    assert aml._retraining_gate(output) == []
    pipeline = yaml.safe_load(job.read_text())
    assert list(pipeline["jobs"]) == ["monitor", "train", "evaluate", "register"]
    del pipeline["jobs"]["train"]["inputs"]["drift_input"]
    job.write_text(yaml.safe_dump(pipeline, sort_keys=False))
    name = f"build/aml/{schedule.relative_to(output).as_posix()}"
    assert [str(finding) for finding in aml._retraining_gate(output)] == [f"{name}: {aml.DRIFT_GATE}"]
    del pipeline["jobs"]["register"]["inputs"]["decision_input"]
    job.write_text(yaml.safe_dump(pipeline, sort_keys=False))
    assert [str(finding) for finding in aml._retraining_gate(output)] == [
        f"{name}: {aml.RETRAINING_GATE}",
        f"{name}: {aml.DRIFT_GATE}",
    ]


def test_an_empty_value_reads_as_unset_so_the_dry_run_drops_it(
    render: Callable[..., Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """aml.dry_run_settings drops `NAME=''` lines (so GitHub's `AZURE_SUBSCRIPTION_ID=''` does not
    split the dry run's cache key from Azure DevOps'): sound only while the generated settings read
    an empty value as no value, which this proves for every empty line of a rendering."""
    import importlib.util

    project = render(
        ci_platform="github_actions", deployment_targets=every_target(), canary_release=True, batch_scoring=True
    )
    example = (project / ".env.example").read_text()
    empty = [line.partition("=")[0] for line in example.splitlines() if line.partition("=")[2] in ("''", '""')]
    assert "AZURE_SUBSCRIPTION_ID" in empty, "no empty value left to test"
    without = "".join(line + "\n" for line in example.splitlines() if line.partition("=")[0] not in empty)
    (tmp_path / "with.env").write_text(example)
    (tmp_path / "without.env").write_text(without)
    spec = importlib.util.spec_from_file_location("generated_settings", project / "ml_service" / "settings.py")
    settings = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, settings)  # its dataclasses look their module up
    spec.loader.exec_module(settings)

    def read(dotenv: str) -> dict[str, object]:
        loaded = settings.load_settings(environ={}, dotenv=tmp_path / dotenv, fallback={})
        names = [line.partition("=")[0] for line in example.splitlines() if "=" in line and not line.startswith("#")]
        values = {}
        for name in names:
            try:
                values[name] = getattr(loaded, name.lower())
            except Exception as error:  # absent, or an option's required setting without a value
                values[name] = f"{type(error).__name__}: {error}"
        return values

    assert read("with.env") == read("without.env")
    kept = aml.dry_run_settings(project)
    assert not any(line.startswith(f"{name}=") for name in empty for line in kept.splitlines())
