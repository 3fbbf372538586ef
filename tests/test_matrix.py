"""The matrix: every valid combination enumerated, rendered and checked (the render tier)."""

from __future__ import annotations

import itertools
import json
import shutil

import pytest
from conftest import REPO_ROOT

from mlops_scaffold import fast_rendering
from mlops_scaffold.cli import main
from mlops_scaffold.matrix import full_answers, valid_combinations
from mlops_scaffold.matrix_runner import report, run_render_tier, snapshot_template
from mlops_scaffold.options import QUESTIONS_BY_NAME

COMBINATIONS = valid_combinations()
CHECK_CACHE = REPO_ROOT / ".cache" / "checks"


def _independent_count() -> int:
    """Counted, not filtered: per target subset, canary doubles it only where it is asked."""
    canary = QUESTIONS_BY_NAME["canary_release"]
    targets = QUESTIONS_BY_NAME["deployment_targets"].choices
    subsets = [list(s) for size in range(len(targets) + 1) for s in itertools.combinations(targets, size)]
    target_count = sum(2 if canary.applies({"deployment_targets": subset}) else 1 for subset in subsets)
    platforms = len(QUESTIONS_BY_NAME["ci_platform"].choices)
    iac = len(QUESTIONS_BY_NAME["iac"].choices)
    r_training = len(QUESTIONS_BY_NAME["r_training"].choices)
    return platforms * iac * target_count * 2 * r_training  # × batch_scoring on/off


def test_count_matches_an_independent_derivation():
    assert len(COMBINATIONS) == _independent_count() == 2 * 2 * (12 * 2 + 4) * 2 * 3


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
def render_tier(tmp_path_factory) -> dict[str, dict]:
    """The whole render tier, run once (2 processes; the dry runs batched by their inputs)."""
    fast_rendering.enable()
    outcomes = run_render_tier(COMBINATIONS, tmp_path_factory.mktemp("render-tier"), jobs=2, cache_dir=CHECK_CACHE)
    return {outcome.id: outcome for outcome in outcomes}


@pytest.mark.xdist_group("render-tier")  # one worker runs the tier; each combination is its own test
@pytest.mark.parametrize("combination", COMBINATIONS, ids=[c.id for c in COMBINATIONS])
def test_render_tier(combination, render_tier):
    outcome = render_tier[combination.id]
    assert outcome.passed, f"combination {combination.id} fails; reproduce: {outcome.reproduce}\n" + "\n".join(
        ([outcome.error] if outcome.error else []) + outcome.findings
    )


def test_a_template_broken_for_one_combination_fails_only_that_one(tmp_path):
    source = tmp_path / "source"
    snapshot_template(REPO_ROOT, source)
    target = next(
        c
        for c in COMBINATIONS
        if c.answers["r_training"] == "databricks" and "webapp" in c.answers["deployment_targets"]
    )
    condition = " and ".join(
        [
            "r_training == 'databricks'",
            f"deployment_targets == {target.answers['deployment_targets']!r}",
            f"ci_platform == {target.answers['ci_platform']!r}",
            f"iac == {target.answers['iac']!r}",
            f"batch_scoring == {target.answers['batch_scoring']}",
            f"canary_release == {target.answers.get('canary_release', False)}",
        ]
    )
    (source / "template" / f"{{% if {condition} %}}broken.py{{% endif %}}").write_text("def broken(:\n")
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
