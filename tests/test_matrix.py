"""The matrix: every valid combination enumerated, rendered and checked (the render tier), then
run (the run tier). `make test` distributes tests by module (`--dist loadscope`), so one worker
runs this module and its session fixtures run each tier once."""

from __future__ import annotations

import itertools
import json
import shutil
from pathlib import Path

import pytest
from conftest import REPO_ROOT, production_image_target, require

from mlops_scaffold.cli import main
from mlops_scaffold.matrix.combinations import full_answers, valid_combinations
from mlops_scaffold.matrix.progress import Progress
from mlops_scaffold.matrix.render_tier import run_render_tier, snapshot_template
from mlops_scaffold.matrix.report import report
from mlops_scaffold.matrix.run_tier.runner import plan_tasks, run_run_tier
from mlops_scaffold.matrix.run_tier.sharing import core_runs_by_environment, unshared
from mlops_scaffold.matrix.run_tier.units import CORE_UNITS
from mlops_scaffold.options import QUESTIONS_BY_NAME
from mlops_scaffold.venvs import InterpreterNotFound, find_python

COMBINATIONS = valid_combinations()
CHECK_CACHE = REPO_ROOT / ".cache" / "checks"
RUN_CACHE = REPO_ROOT / ".cache" / "runs"


def _independent_count() -> int:
    """Counted, not filtered: per target subset, canary doubles it only where it is asked."""
    canary = QUESTIONS_BY_NAME["canary_release"]
    targets = QUESTIONS_BY_NAME["deployment_targets"].choices
    subsets = [list(s) for size in range(len(targets) + 1) for s in itertools.combinations(targets, size)]
    target_count = sum(2 if canary.applies({"deployment_targets": subset}) else 1 for subset in subsets)
    platforms = len(QUESTIONS_BY_NAME["ci_platform"].choices)
    iac = len(QUESTIONS_BY_NAME["iac"].choices)
    r_training = len(QUESTIONS_BY_NAME["r_training"].choices)
    environments = len(QUESTIONS_BY_NAME["environments"].choices)
    return environments * platforms * iac * target_count * 2 * r_training  # × batch_scoring on/off


def test_count_matches_an_independent_derivation():
    assert len(COMBINATIONS) == _independent_count() == 3 * 2 * 2 * (12 * 2 + 4) * 2 * 3


def test_combinations_are_unique_and_cycle_every_python_version():
    assert len({c.id for c in COMBINATIONS}) == len(COMBINATIONS)
    assert {c.answers["python_version"] for c in COMBINATIONS} == set(QUESTIONS_BY_NAME["python_version"].choices)


def test_list_prints_the_count_first(capsys):
    assert main(["matrix", "--list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"{len(COMBINATIONS)} valid combinations"
    assert lines[1:] == [c.id for c in COMBINATIONS]


def test_json_lists_every_combination(capsys):
    assert main(["matrix", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["count"] == len(COMBINATIONS) == len(data["combinations"])


@pytest.fixture(scope="session")
def render_workdir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("render-tier")


@pytest.fixture(scope="session")
def render_tier(render_workdir) -> dict[str, dict]:
    """The whole render tier, run once (2 processes; the dry runs batched by their inputs)."""
    outcomes = run_render_tier(COMBINATIONS, render_workdir, jobs=2, cache_dir=CHECK_CACHE)
    return {outcome.id: outcome for outcome in outcomes}


@pytest.fixture(scope="session")
def run_tier(render_tier, render_workdir):
    """The whole run tier over the render tier's content indexes: each distinct run once."""
    for version in sorted({c.answers["python_version"] for c in COMBINATIONS}):
        require(_interpreter(version), f"Python {version} (for the run tier)")
    require(shutil.which("Rscript"), "Rscript (r-base-core, for the R combinations)")
    indexes = {combination_id: outcome.index for combination_id, outcome in render_tier.items()}
    progress = Progress(len(plan_tasks(COMBINATIONS, indexes)[0]))
    runs, results = run_run_tier(
        COMBINATIONS,
        indexes,
        render_workdir / "_template",
        render_workdir / "runs",
        RUN_CACHE,
        jobs=2,
        on_result=lambda task, result: progress.advance(f"{task.unit.name} {task.combination.id}", result.passed),
    )
    return runs, results


def _interpreter(version: str) -> str | None:
    try:
        return find_python(version)
    except InterpreterNotFound:
        return None


@pytest.mark.matrix
@pytest.mark.parametrize("combination", COMBINATIONS, ids=[c.id for c in COMBINATIONS])
def test_render_tier(combination, render_tier):
    outcome = render_tier[combination.id]
    assert outcome.passed, f"combination {combination.id} fails; reproduce: {outcome.reproduce}\n" + "\n".join(
        ([outcome.error] if outcome.error else []) + outcome.findings
    )


@pytest.mark.matrix
@pytest.mark.parametrize("combination", COMBINATIONS, ids=[c.id for c in COMBINATIONS])
def test_run_tier(combination, run_tier):
    runs, results = run_tier
    ran = runs[combination.id]
    assert ran.error is None, f"{combination.id}: {ran.error}"
    fixed = {"ml tests", "ml_service core tests", "local loop"}
    assert fixed <= set(ran.runs) and all(name.startswith(("ml_service ", "ml ")) for name in set(ran.runs) - fixed)
    failed = [results[key] for key in ran.runs.values() if not results[key].passed]
    assert not failed, f"combination {combination.id} fails; reproduce: {ran.reproduce}\n" + "\n".join(
        f"{result.unit} (ran in {result.combination}): {'; '.join(result.failures) or 'failed'}\n{result.log_tail}"
        for result in failed
    )


@pytest.mark.matrix
@pytest.mark.parametrize("unit", CORE_UNITS)
def test_the_core_tests_run_once_per_environment(render_tier, run_tier, unit):
    """The core units read no option's files, so every combination with the same Python and locked
    requirements shares one run of each (ADRs 17, 20); else the run tier multiplies them."""
    runs, _ = run_tier
    versions = {c.id: c.answers["python_version"] for c in COMBINATIONS}
    indexes = {combination_id: outcome.index for combination_id, outcome in render_tier.items()}
    by_environment = core_runs_by_environment(versions, indexes, {cid: r.runs for cid, r in runs.items()}, unit)
    assert len(by_environment) >= len(set(versions.values()))
    assert not unshared(by_environment)


def _only(target) -> str:
    """A Jinja condition true for `target`'s answers only."""
    return " and ".join(
        [
            f"environments == {target.answers['environments']!r}",
            f"r_training == {target.answers['r_training']!r}",
            f"deployment_targets == {target.answers['deployment_targets']!r}",
            f"ci_platform == {target.answers['ci_platform']!r}",
            f"iac == {target.answers['iac']!r}",
            f"batch_scoring == {target.answers['batch_scoring']}",
            f"canary_release == {target.answers.get('canary_release', False)}",
        ]
    )


@pytest.mark.matrix
def test_a_generated_test_broken_for_one_combination_fails_only_that_one(run_tier, tmp_path):
    source = tmp_path / "source"
    snapshot_template(REPO_ROOT, source)
    target = next(c for c in COMBINATIONS if c.answers["deployment_targets"] == ["aks"] and c.answers["batch_scoring"])
    broken = 'def test_broken():\n    assert 1 + 1 == 3, "deliberately broken"\n'  # ruff-clean: only the run tier fails
    (source / "template" / "tests" / f"{{% if {_only(target)} %}}test_ml_service_broken.py{{% endif %}}").write_text(
        broken
    )
    same_shape = next(c for c in COMBINATIONS if c.id != target.id and c.id.split("-")[2:] == target.id.split("-")[2:])
    chosen = [target, same_shape, COMBINATIONS[0]]
    outcomes = run_render_tier(chosen, tmp_path / "work", jobs=1, source=source, cache_dir=CHECK_CACHE)
    assert all(outcome.passed for outcome in outcomes), [outcome.findings for outcome in outcomes]
    runs, results = run_run_tier(
        chosen,
        {outcome.id: outcome.index for outcome in outcomes},
        tmp_path / "work" / "_template",
        tmp_path / "work" / "runs",
        RUN_CACHE,
    )
    failing = {cid for cid, ran in runs.items() if not all(results[key].passed for key in ran.runs.values())}
    assert failing == {target.id}
    # Not an option's module (OPTIONAL_PATHS does not list it), so it runs in the core unit.
    (result,) = [results[key] for key in runs[target.id].runs.values() if not results[key].passed]
    assert result.unit == "ml_service core tests"
    assert result.combination == target.id
    assert result.failures == ["tests/test_ml_service_broken.py::test_broken"]
    assert runs[target.id].reproduce.startswith(f"mlops-scaffold new /tmp/{target.id} ")


@pytest.mark.venv  # the render tier's dry run builds the project venv when it is missing
def test_a_template_broken_for_one_combination_fails_only_that_one(tmp_path):
    source = tmp_path / "source"
    snapshot_template(REPO_ROOT, source)
    target = next(
        c
        for c in COMBINATIONS
        if c.answers["r_training"] == "databricks" and production_image_target() in c.answers["deployment_targets"]
    )
    (source / "template" / f"{{% if {_only(target)} %}}broken.py{{% endif %}}").write_text("def broken(:\n")
    others = [c for c in COMBINATIONS if c.answers["r_training"] == "databricks" and c.id != target.id][:2]
    outcomes = run_render_tier([target, *others], tmp_path / "work", jobs=1, source=source)
    summary = report(outcomes, 0.0)
    assert [failure["id"] for failure in summary["failures"]] == [target.id]
    assert any("broken.py:1: does not compile" in line for line in summary["failures"][0]["findings"])
    assert summary["failures"][0]["reproduce"].startswith("mlops-scaffold new ")


def test_full_answers_of_every_combination_are_valid():
    for combination in COMBINATIONS:
        answers = full_answers(combination)
        assert answers["deployment_targets"] == combination.answers["deployment_targets"]


def test_snapshot_leaves_no_stale_files(tmp_path):
    dest = tmp_path / "snap"
    snapshot_template(REPO_ROOT, dest)
    (dest / "template" / "stale.txt").write_text("x")
    snapshot_template(REPO_ROOT, dest)
    assert not (dest / "template" / "stale.txt").exists()
    shutil.rmtree(dest)


def test_matrix_run_prints_the_table_and_names_a_failing_run(tmp_path, monkeypatch, capsys):
    """The command's report over tiers that ran elsewhere: two combinations, one run failing."""
    from mlops_scaffold.matrix import cli as matrix_cli
    from mlops_scaffold.matrix import render_tier as matrix_runner
    from mlops_scaffold.matrix.run_tier import runner

    chosen = COMBINATIONS[:2]
    monkeypatch.setattr(matrix_cli, "valid_combinations", lambda: chosen)

    def render_tier(combinations, workdir, jobs, cache_dir, on_outcome, venv_cache):
        outcomes = [matrix_runner.Outcome(c.id, dict(c.answers), c.new_command(), 0.1, index={}) for c in combinations]
        for outcome in outcomes:
            on_outcome(outcome)
        return outcomes

    def run_tier(combinations, indexes, template_dir, workdir, cache_dir, jobs, on_result, venv_cache):
        good = runner.RunResult("k1", "ml tests", chosen[0].id, True, 1.0)
        bad = runner.RunResult("k2", "local loop", chosen[1].id, False, 2.0, ["tests/test_x.py::test_y"])
        runs = {c.id: runner.CombinationRuns(c.id, runner.reproduce_command(c)) for c in combinations}
        runs[chosen[0].id].runs = {"ml tests": "k1"}
        runs[chosen[1].id].runs = {"ml tests": "k1", "local loop": "k2"}
        return runs, {"k1": good, "k2": bad}

    monkeypatch.setattr(matrix_runner, "run_render_tier", render_tier)
    monkeypatch.setattr(runner, "run_run_tier", run_tier)
    monkeypatch.setattr(runner, "plan_tasks", lambda combinations, indexes: ([], {}, {}))
    report_path = tmp_path / "report.json"
    assert main(["matrix", "--run", "--jobs", "1", "--report", str(report_path)]) == 1
    captured = capsys.readouterr()
    table = dict(line.rsplit(None, 1) for line in captured.out.splitlines()[:5])
    assert list(table) == ["combinations", "distinct keys", "passed", "failed", "seconds"]
    assert [table[name] for name in ("combinations", "distinct keys", "passed", "failed")] == ["2", "2", "1", "1"]
    assert f"FAILED {chosen[1].id}" in captured.err
    assert "local loop (ran in " in captured.err and "tests/test_x.py::test_y" in captured.err
    report = json.loads(report_path.read_text())
    (failure,) = report["run_failures"]
    assert failure["answers"] == dict(chosen[1].answers)
    assert failure["reproduce"].startswith(f"mlops-scaffold new /tmp/{chosen[1].id} ")


# --- selection, shards and merged reports --------------------------------------------------------


@pytest.mark.parametrize("total", [1, 3, 7])
def test_shards_are_disjoint_deterministic_and_cover_the_whole(total):
    from mlops_scaffold.matrix.combinations import run_group, shard

    parts = [shard(COMBINATIONS, k, total) for k in range(1, total + 1)]
    ids = [c.id for part in parts for c in part]
    assert sorted(ids) == sorted(c.id for c in COMBINATIONS) and len(ids) == len(set(ids))
    assert [c.id for c in shard(COMBINATIONS, 1, total)] == [c.id for c in parts[0]]
    for part in parts:  # a run group never straddles shards: each shard's run tier reuses its own runs
        others = {run_group(c) for other in parts if other is not part for c in other}
        assert not {run_group(c) for c in part} & others


def test_shard_lists_through_the_command(capsys):
    listed = set()
    for k in (1, 2):
        assert main(["matrix", "--list", "--shard", f"{k}/2"]) == 0
        listed |= set(capsys.readouterr().out.splitlines()[1:])
    assert listed == {c.id for c in COMBINATIONS}


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--shard", "3/2"], "--shard '3/2': expected K/N with 1 <= K <= N, e.g. 2/4"),
        (["--only", "nope"], "--only nope: no such combination (see `mlops-scaffold matrix --list`)"),
        (["--limit", "0"], "--limit 0: expected a positive number"),
    ],
)
def test_bad_selection_is_one_line_and_exit_2(argv, message, capsys):
    assert main(["matrix", "--list", *argv]) == 2
    assert capsys.readouterr().err.strip() == f"mlops-scaffold: {message}"


def test_only_and_limit_select(capsys):
    chosen = [COMBINATIONS[5].id, COMBINATIONS[9].id]
    assert main(["matrix", "--list", "--only", ",".join(chosen)]) == 0
    assert capsys.readouterr().out.splitlines()[1:] == chosen
    assert main(["matrix", "--list", "--only", chosen[0], "--only", chosen[1], "--limit", "1"]) == 0
    assert capsys.readouterr().out.splitlines()[1:] == chosen[:1]


def _shard_report(tmp_path, k, total, failing=()):
    """A shard's report as `matrix --run --shard` writes it (outcomes faked: the tiers run elsewhere)."""
    from mlops_scaffold.matrix.combinations import shard
    from mlops_scaffold.matrix.render_tier import Outcome

    outcomes = [Outcome(c.id, dict(c.answers), c.new_command(), 0.1) for c in shard(COMBINATIONS, k, total)]
    for outcome in outcomes:
        if outcome.id in failing:
            outcome.findings = ["ml_service/x.py:3: planted"]
    path = tmp_path / f"shard-{k}.json"
    path.write_text(json.dumps(report(outcomes, 10.0 * k, shard=f"{k}/{total}")))
    return path


def test_merge_joins_shards_and_keeps_a_failure_of_one(tmp_path, capsys):
    failing = COMBINATIONS[1].id
    paths = [_shard_report(tmp_path, k, 3, failing={failing}) for k in (1, 2, 3)]
    merged_path = tmp_path / "merged.json"
    assert main(["matrix", "merge", *map(str, paths), "--report", str(merged_path)]) == 1
    merged = json.loads(merged_path.read_text())
    assert sorted(merged["ids"]) == sorted(c.id for c in COMBINATIONS)
    assert (merged["combinations"], merged["failed"], merged["passed"]) == (len(COMBINATIONS), 1, len(COMBINATIONS) - 1)
    assert [failure["id"] for failure in merged["failures"]] == [failing]
    assert merged["seconds"] == 30.0 and merged["shard_seconds"] == [10.0, 20.0, 30.0]
    assert f"FAILED {failing}" in capsys.readouterr().err


def test_merge_refuses_a_missing_or_repeated_shard(tmp_path, capsys):
    one, two = _shard_report(tmp_path, 1, 3), _shard_report(tmp_path, 2, 3)
    assert main(["matrix", "merge", str(one), str(two), "--report", str(tmp_path / "m.json")]) == 2
    assert "shard(s) 3/3 missing from the merge" in capsys.readouterr().err
    assert main(["matrix", "merge", str(one), str(one), "--report", str(tmp_path / "m.json")]) == 2
    assert "is in two reports" in capsys.readouterr().err
    assert not (tmp_path / "m.json").exists()
