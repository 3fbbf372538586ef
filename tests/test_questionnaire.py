"""Answering the questionnaire, well and badly, through copier itself and through our CLI."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import copier
import pytest
from conftest import CANONICAL_ANSWERS, REPO_ROOT, answers_with, every_target, per_target, target_questions

from mlops_scaffold.cli import main as cli_main
from mlops_scaffold.copier_compat import fast_rendering
from mlops_scaffold.options import QUESTIONS_BY_NAME

# Every rule exercised both ways: (question, a valid answer, an invalid answer, overrides that make it apply).
RULE_EXAMPLES = [
    ("project_name", "Churn Prediction", " ", {}),
    ("sample_name", "churn_model", "Diabetes-Regression", {}),
    ("sample_name", "model2", "class", {}),
    ("base_name", "abc123", "toolongname1", {}),
    ("location", "westeurope", "mars", {}),
    ("resource_group", "rg-(prod)_1", "rg.", {}),
    ("workspace_name", "ws_1-a", "-ws", {}),
    ("variable_group_name", "my vg", "vg/1", {"ci_platform": "azure_devops"}),
    ("azure_rm_svc_connection", "arm-conn", "conn:1", {"ci_platform": "azure_devops"}),
    ("workspace_svc_connection", "ws-conn", "ws#conn", {"ci_platform": "azure_devops"}),
    # each target's resource names, declared by tests/test_target_<target>.py
    *(
        (name, good, bad, {"deployment_targets": [target]})
        for target, rules in per_target("ANSWER_RULES").items()
        for name, good, bad in rules
    ),
    ("db_cluster_id", "0123-456789-abcdefgh", "cluster one", {"r_training": "databricks"}),
    ("databricks_compute_name", "dbx", "d", {"r_training": "databricks"}),
    ("experiment_name", "exp.v2", "_exp", {}),
    ("model_name", "churn-model", "model name", {}),
]

# The list of bad inputs a new user tries.
BAD_INPUTS = [
    ("base_name", "toolongname1"),
    ("base_name", "bad-name"),
    ("base_name", "bad name"),
    ("base_name", "1abc"),
    ("base_name", "ab"),
    ("base_name", ""),
    ("location", "mars"),
    ("location", "Central US"),
    ("resource_group", "rg."),
    ("resource_group", "r" * 91),
    ("workspace_name", "-ws"),
    ("workspace_name", "w" * 34),
    ("sample_name", "Diabetes-Regression"),
    ("sample_name", "class"),
    ("sample_name", "1model"),
    ("aks_deployment_name", "MLOps_AKS!"),
    ("iac", "bicep"),
    ("deployment_targets", "[aci, vm]"),
]


def _copier_answers(name: str, value, overrides) -> dict:
    answers = answers_with(**overrides)
    answers[name] = value
    return answers


def test_every_target_declares_its_resource_names_rules() -> None:
    """A target's own text questions are exercised here through its module's ANSWER_RULES."""
    examples = {name for name, _, _, _ in RULE_EXAMPLES}
    for target in every_target():
        assert {question.name for question in target_questions(target)} <= examples, target


@pytest.mark.parametrize("name, good, bad, overrides", RULE_EXAMPLES)
def test_rule_accepts_and_refuses_the_same_answers_in_python_and_in_copier(
    name, good, bad, overrides, template_snapshot, tmp_path
):
    question = QUESTIONS_BY_NAME[name]
    assert question.problem(good) is None
    assert question.problem(bad) is not None

    def copy(value: str, dest: Path) -> None:
        data = _copier_answers(name, value, overrides)
        copier.run_copy(str(template_snapshot), dest, data=data, defaults=True, pretend=True, quiet=True)

    # The accepted answer renders the whole project: with our fast paths, which leave copier's
    # validators alone and render the same output (tests/test_copier_compat.py).
    with fast_rendering():
        copy(good, tmp_path / "good")
    with pytest.raises(ValueError, match=name):
        copy(bad, tmp_path / "bad")
    assert not (tmp_path / "bad").exists()


def _overrides_for(name: str) -> list[str]:
    if name == "aks_deployment_name":
        return ["-d", "deployment_targets=[aks]"]
    return []


@pytest.mark.parametrize("name, value", BAD_INPUTS, ids=[f"{n}={v[:12]}" for n, v in BAD_INPUTS])
def test_raw_copier_refuses_bad_input_and_writes_nothing(name, value, template_snapshot, tmp_path):
    """The console command itself: its -d values are YAML, as users type them (a list for a
    multi-select), which copier's API would take as plain strings."""
    dest = tmp_path / "dest"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "copier",
            "copy",
            "--defaults",
            *_overrides_for(name),
            "-d",
            f"{name}={value}",
            str(template_snapshot),
            str(dest),
        ],
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0, result.stdout
    assert not dest.exists()


@pytest.mark.parametrize("name, value", BAD_INPUTS, ids=[f"{n}={v[:12]}" for n, v in BAD_INPUTS])
def test_new_refuses_bad_input_with_one_line_and_exit_2(name, value, tmp_path, capsys):
    """In-process (the CLI's own main): an uncaught error would fail the test as it would exit the
    process; the tests below run the console command itself."""
    dest = tmp_path / "dest"
    assert cli_main(["new", str(dest), "--defaults", *_overrides_for(name), "-d", f"{name}={value}"]) == 2
    stderr = capsys.readouterr().err
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and name in lines[0], stderr
    assert not dest.exists()


def test_new_leaves_an_existing_destination_unchanged_on_bad_input(tmp_path):
    dest = tmp_path / "existing"
    dest.mkdir()
    (dest / "keep.txt").write_text("mine")
    result = _mlops_scaffold("new", str(dest), "--defaults", "-d", "base_name=bad-name")
    assert result.returncode == 2
    assert [path.name for path in dest.iterdir()] == ["keep.txt"]
    assert (dest / "keep.txt").read_text() == "mine"


def test_base_name_error_message_names_the_rule(tmp_path):
    result = _mlops_scaffold("new", str(tmp_path / "d"), "--defaults", "-d", "base_name=bad-name")
    assert "base_name: 'bad-name' must be 3–10 letters and digits, starting with a letter" in result.stderr


def test_location_display_name_gets_the_region_code_suggested(tmp_path):
    result = _mlops_scaffold("new", str(tmp_path / "d"), "--defaults", "-d", "location=Central US")
    assert "use the region code 'centralus'" in result.stderr


def test_raw_copier_copy_of_head_renders_without_trust(tmp_path):
    dest = tmp_path / "project"
    result = subprocess.run(
        [sys.executable, "-m", "copier", "copy", "--vcs-ref", "HEAD", "--defaults", ".", str(dest)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert (dest / ".copier-answers.yml").is_file()


def test_new_records_a_template_source_that_copier_update_can_use(tmp_path):
    dest = tmp_path / "project"
    result = _mlops_scaffold("new", str(dest), "--defaults", "--vcs-ref", "HEAD")
    assert result.returncode == 0, result.stderr
    answers = (dest / ".copier-answers.yml").read_text()
    source = next(line.split(": ", 1)[1] for line in answers.splitlines() if line.startswith("_src_path:"))
    assert Path(source).is_absolute() and (Path(source) / ".git").exists(), source
    assert Path(source).resolve() == REPO_ROOT


def test_defaults_render_every_foundation_file(render):
    project = render()
    for relative in (".copier-answers.yml", "README.md", ".env.example", ".gitignore", "docs/variable_group.md"):
        assert (project / relative).is_file(), relative
    readme = (project / "README.md").read_text()
    assert CANONICAL_ANSWERS["project_name"] in readme


def _mlops_scaffold(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "mlops_scaffold.cli", *args],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )
