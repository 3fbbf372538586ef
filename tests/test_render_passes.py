"""The render tier remembers passes across invocations (matrix/render_passes.py): a pass is reused
only while everything it depends on is unchanged, and a failure is never remembered."""

from __future__ import annotations

import pytest
from conftest import REPO_ROOT

from mlops_scaffold import checks
from mlops_scaffold.matrix import render_passes
from mlops_scaffold.matrix.combinations import valid_combinations
from mlops_scaffold.matrix.render_tier import run_render_tier, snapshot_template

COMBINATIONS = valid_combinations()


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    return snapshot_template(REPO_ROOT, tmp_path_factory.mktemp("passes") / "template-snapshot")


def test_the_key_changes_with_each_input(template, monkeypatch):
    key = render_passes.tier_key(template)
    assert key is not None and render_passes.tier_key(template) == key

    readme = template / "template" / "README.md.jinja"
    original = readme.read_text()
    readme.write_text(original + "\n")
    try:
        assert render_passes.tier_key(template) != key  # a template file
    finally:
        readme.write_text(original)
    assert render_passes.tier_key(template) == key

    monkeypatch.setenv("MLOPS_SCAFFOLD_PROJECT_PYTHON", "/elsewhere/python")
    assert render_passes.tier_key(template) != key  # the dry run's interpreter
    monkeypatch.delenv("MLOPS_SCAFFOLD_PROJECT_PYTHON")

    real = checks.tool_version
    patched = {"shellcheck": real("shellcheck") + " patched"}
    monkeypatch.setattr(checks, "tool_version", lambda tool: patched.get(tool) or real(tool))
    assert render_passes.tier_key(template) not in (None, key)  # a tool's version
    monkeypatch.setattr(checks, "tool_version", lambda tool: None if tool == "shellcheck" else real(tool))
    assert render_passes.tier_key(template) is None  # a missing tool: nothing is remembered


def test_remembered_by_answers_and_damaged_entries_are_ignored(tmp_path):
    first, second = COMBINATIONS[0], COMBINATIONS[1]
    render_passes.remember(tmp_path, "key", first, {"a.py": "1"})
    assert render_passes.remembered(tmp_path, "key", first) == {"a.py": "1"}
    assert render_passes.remembered(tmp_path, "key", second) is None
    assert render_passes.remembered(tmp_path, "other key", first) is None
    assert render_passes.remembered(tmp_path, None, first) is None
    render_passes.remember(tmp_path, None, second, {"a.py": "1"})  # no key: nothing written
    assert [path.name for path in (tmp_path / render_passes.FOLDER).iterdir()] == [
        render_passes._path(tmp_path, "key", first).name
    ]
    render_passes._path(tmp_path, "key", first).write_text("{not json")
    assert render_passes.remembered(tmp_path, "key", first) is None


@pytest.mark.venv  # the render tier's dry run needs the project venv
def test_a_pass_is_reused_until_the_template_changes_and_a_failure_is_found_again(tmp_path):
    source = snapshot_template(REPO_ROOT, tmp_path / "source")
    chosen = [COMBINATIONS[0], COMBINATIONS[1]]
    cache = tmp_path / "cache"

    def run():
        outcomes = run_render_tier(chosen, tmp_path / "work", jobs=1, source=source, cache_dir=cache)
        return {outcome.id: outcome for outcome in outcomes}

    first = run()
    assert all(outcome.passed and not outcome.reused for outcome in first.values())
    again = run()
    assert all(outcome.passed and outcome.reused for outcome in again.values())
    assert {key: outcome.index for key, outcome in again.items()} == {k: o.index for k, o in first.items()}

    # Planted: a template file that does not compile, in every combination.
    (source / "template" / "broken.py").write_text("def broken(:\n")
    for _ in range(2):  # the failure is not remembered: found on every run
        broken = run()
        assert not any(outcome.passed or outcome.reused for outcome in broken.values())
        assert all(any("broken.py:1: does not compile" in f for f in o.findings) for o in broken.values())


def test_bytecode_beside_the_hooks_does_not_change_the_key(tmp_path):
    source = snapshot_template(REPO_ROOT, tmp_path / "source")
    before = render_passes.tier_key(snapshot_template(source, tmp_path / "one"))
    (source / "hooks" / "__pycache__").mkdir()
    (source / "hooks" / "__pycache__" / "migrate.cpython-311.pyc").write_bytes(b"written by a run")
    assert render_passes.tier_key(snapshot_template(source, tmp_path / "two")) == before
