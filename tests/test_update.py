"""Updating generated repos: version histories built in temporary git repos from the real template
(tests/update_history.py: v0.1.0 is the working tree, v0.2.0 changes it as releases do). The fleet
commands and the drift check are in tests/test_update_fleet.py."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from conftest import REPO_ROOT
from update_history import (
    AKS_DOC,
    RENAME,
    TEMPLATE_LINE,
    USER_LINE,
    V1,
    V2,
    _cli,
    commit_all,
    git,
    tree,
    user_edits,
    without_commit,
)

from mlops_scaffold.lifecycle.gitutil import find_conflicts
from mlops_scaffold.lifecycle.migrations import Rename, is_own_migration, migrations_yaml
from mlops_scaffold.lifecycle.update import UpdateRefused, update_project


@pytest.fixture(scope="module")
def updated_with_edits(generate: Callable[..., Path], tmp_path_factory: pytest.TempPathFactory):
    project = generate(V1, tmp_path_factory.mktemp("edited") / "project")
    edited = user_edits(project)
    result = update_project(project, vcs_ref=V2)
    return project, edited, result


def test_update_keeps_user_edits_and_applies_the_template_changes(updated_with_edits) -> None:
    project, edited, result = updated_with_edits
    assert result.ok, f"unexpected conflicts: {result.conflicts}"
    assert (result.old_version, result.new_version) == (V1, V2)
    assert [entry.version for entry in result.changelog] == ["0.2.0"]
    assert "EXPERIMENT_NAME=our-experiment" in (project / ".env.example").read_text()
    for path in edited:
        text = path.read_text()
        assert TEMPLATE_LINE in text, f"{path.relative_to(project)}: the template's change is missing"
        if path.name != ".env.example":
            assert USER_LINE in text, f"{path.relative_to(project)}: the user's edit was lost"
    assert (project / "notes.md").read_text() == f"# {USER_LINE}\n"
    assert yaml.safe_load((project / ".copier-answers.yml").read_text())["_commit"] == V2


def test_renamed_file_carries_the_users_edits(updated_with_edits) -> None:
    project, _, _ = updated_with_edits
    assert not (project / RENAME.old).exists()
    renamed = (project / RENAME.new).read_text()
    assert USER_LINE in renamed, "the user's edit did not follow the rename"
    assert TEMPLATE_LINE in renamed, "the template's change to the renamed file is missing"
    status = git(project, "status", "--porcelain")
    assert f"R  {RENAME.old} -> {RENAME.new}" in status, status


@pytest.mark.parametrize("conflict", ["inline", "rej"])
def test_conflicting_edit_exits_1_naming_the_file(
    generate: Callable[..., Path], tmp_path: Path, capsys: pytest.CaptureFixture[str], conflict: str
) -> None:
    """inline: the real update leaves markers; rej: --pretend finds the .rej and changes nothing."""
    project = generate(V1, tmp_path / "project")
    env = project / ".env.example"
    env.write_text(f"# {USER_LINE}\n" + env.read_text())  # the same place v0.2.0 changes
    commit_all(project, "Our header")
    head = git(project, "rev-parse", "HEAD")
    pretend = ["--pretend"] if conflict == "rej" else []
    code, _ = _cli("update", str(project), "--vcs-ref", V2, "--conflict", conflict, *pretend)
    out = capsys.readouterr().out
    assert code == 1, out
    kind = "has conflict markers|unmerged" if conflict == "inline" else "rejected hunks in .env.example.rej"
    assert re.search(rf"^  \.env\.example: ({kind})", out, re.MULTILINE), out
    if pretend:
        assert git(project, "status", "--porcelain") == "" and git(project, "rev-parse", "HEAD") == head
    else:
        assert "<<<<<<< " in env.read_text()


def test_update_refuses_a_dirty_tree(generate: Callable[..., Path], tmp_path: Path) -> None:
    project = generate(V1, tmp_path / "project")
    (project / "README.md").write_text("uncommitted\n")
    with pytest.raises(UpdateRefused, match="uncommitted change"):
        update_project(project, vcs_ref=V2)
    assert (project / "README.md").read_text() == "uncommitted\n"


def test_update_without_edits_equals_a_fresh_copy(generate: Callable[..., Path], tmp_path: Path) -> None:
    project = generate(V1, tmp_path / "project")
    result = update_project(project, vcs_ref=V2)
    assert result.ok
    fresh = generate(V2, tmp_path / "fresh")
    updated, expected = tree(project), tree(fresh)
    assert sorted(updated) == sorted(expected)
    answers = ".copier-answers.yml"
    assert without_commit(updated.pop(answers)) == without_commit(expected.pop(answers))
    different = [name for name in expected if updated[name] != expected[name]]
    assert not different, f"differ from a fresh copy of {V2}: {different}"


def test_changing_an_answer_adds_exactly_that_options_files(generate: Callable[..., Path], tmp_path: Path) -> None:
    project = generate(V2, tmp_path / "project")
    edited = user_edits(project)
    before = tree(project)
    result = update_project(project, vcs_ref=V2, data={"deployment_targets": ["aci", "aks"]})
    assert result.ok, result.conflicts
    after = tree(project)
    without_aks = tree(generate(V2, tmp_path / "aci"))
    with_aks = tree(generate(V2, tmp_path / "aci-aks", deployment_targets=["aci", "aks"]))
    assert set(after) - set(before) == set(with_aks) - set(without_aks)
    assert AKS_DOC in after
    assert set(before) - set(after) == set(without_aks) - set(with_aks), "removed more than the option's files"
    assert "notes.md" in after
    for path in edited:
        assert USER_LINE.encode() in after[path.relative_to(project).as_posix()] or path.name == ".env.example"
    assert b"EXPERIMENT_NAME=our-experiment" in after[".env.example"]
    assert yaml.safe_load(after[".copier-answers.yml"])["deployment_targets"] == ["aci", "aks"]


def test_single_to_dev_prod_adds_the_environments_and_keeps_every_edit(
    generate: Callable[..., Path], tmp_path: Path
) -> None:
    """The documented `mlops-scaffold update -d environments=dev_prod` (docs/updating.md): the
    project becomes what a fresh dev_prod generation is, plus the team's edits and files."""
    project = generate(V2, tmp_path / "project")
    edited = {path.relative_to(project).as_posix() for path in user_edits(project)}
    # ...and the region in the single workspace's IaC inputs, a file dev_prod does not have
    single_inputs = "environment_setup/arm-templates/cloud-environment.parameters.json"
    inputs = project / single_inputs
    inputs.write_text(inputs.read_text().replace('"centralus"', '"westeurope"'))
    commit_all(project, "Our region")
    before = tree(project)
    code, _ = _cli("update", str(project), "--vcs-ref", V2, "-d", "environments=dev_prod")
    # The team rewrote BASE_NAME's row of the variables table, which dev_prod rewrites too (it is
    # set per environment): a conflict with both versions. The edited single-workspace inputs are
    # gone with single, and the team's version is kept beside them: a conflict too. Nothing else.
    assert code == 1
    conflicts = {conflict.path: conflict.kind for conflict in find_conflicts(project)}
    assert conflicts == {RENAME.new: "unmerged", single_inputs: "removed"}
    table = (project / RENAME.new).read_text()
    assert "| Our team's own line |" in table and "| `BASE_NAME` | required | per environment |" in table
    assert (project / (single_inputs + ".yours")).read_bytes() == before[single_inputs]
    (project / (single_inputs + ".yours")).unlink()  # dealt with: the rest is compared below
    after = tree(project)
    single = tree(generate(V2, tmp_path / "single"))
    dev_prod = tree(generate(V2, tmp_path / "dev_prod", environments="dev_prod"))
    assert set(after) - set(before) == set(dev_prod) - set(single)
    assert "ml_service/promote.py" in after
    assert set(before) - set(after) == set(single) - set(dev_prod), "removed more than single's own files"
    assert after["notes.md"] == before["notes.md"]
    for name in edited:
        assert USER_LINE.encode() in after[name] or name == ".env.example", name
    assert b"EXPERIMENT_NAME=our-experiment" in after[".env.example"]
    answers = ".copier-answers.yml"
    assert without_commit(after.pop(answers)) == without_commit(dev_prod.pop(answers))
    # every file the team did not touch is dev_prod's, and the edited ones carry dev_prod's changes too
    untouched = [name for name in dev_prod if name not in edited and name != RENAME.new]
    assert [name for name in untouched if after[name] != dev_prod[name]] == []
    readme = after["README.md"].decode()
    assert all(line in readme for line in dev_prod["README.md"].decode().splitlines()), "README lost dev_prod's lines"


def test_an_answer_change_the_names_cannot_take_is_refused_before_copier_runs(
    generate: Callable[..., Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A 29-character workspace name fits `single` and `<name>-dev` but not `<name>-prod` (33 at most): one line,
    nothing changed."""
    project = generate(V2, tmp_path / "project", workspace_name="w" * 29)
    before = tree(project)
    code, _ = _cli("update", str(project), "--vcs-ref", V2, "-d", "environments=dev_prod")
    assert code == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and "workspace_name" in lines[0] and "-prod" in lines[0], lines
    assert tree(project) == before and not git(project, "status", "--porcelain")


def test_migration_hook_outside_copier_renders_the_base_and_follows_chained_renames(
    generate: Callable[..., Path], template_repo: Path, tmp_path: Path
) -> None:
    """The hook alone, as copier calls it for two releases that rename the same file twice
    (old -> new in one, new -> final in the next); no rendering by copier to borrow, so it
    renders the previous version itself."""
    project = generate(V1, tmp_path / "project")
    user_edits(project)
    final = "docs/variables.md"
    hook = [sys.executable, str(template_repo / "hooks" / "migrate.py"), "rename"]
    releases = [[RENAME.old, RENAME.new], [RENAME.new, final]]
    env = {**os.environ, "VERSION_FROM": V1, "TMPDIR": str(tmp_path)}  # no copier temp dirs in sight
    for pair in releases:
        subprocess.run([*hook, *pair], cwd=project, env={**env, "STAGE": "before"}, check=True, capture_output=True)
    assert not (project / RENAME.old).exists()
    # what the update renders at the final path
    shutil.copy2(generate(V2, tmp_path / "fresh") / RENAME.new, project / final)
    for pair in releases:
        subprocess.run([*hook, *pair], cwd=project, env={**env, "STAGE": "after"}, check=True, capture_output=True)
    merged = (project / final).read_text()
    assert USER_LINE in merged and TEMPLATE_LINE in merged and "<<<<<<<" not in merged
    assert f"R  {RENAME.old} -> {final}" in git(project, "status", "--porcelain")


def test_every_question_has_a_default_so_unattended_updates_never_stop() -> None:
    from mlops_scaffold.options import QUESTIONS

    assert [question.name for question in QUESTIONS if question.default is None] == []
    assert "_min_copier_version" in (REPO_ROOT / "copier.yml").read_text()


def test_update_refuses_what_it_cannot_update(tmp_path: Path) -> None:
    with pytest.raises(UpdateRefused, match="not a git repository"):
        update_project(tmp_path)
    git(tmp_path, "init", "-q")
    with pytest.raises(UpdateRefused, match=r"no \.copier-answers\.yml"):
        update_project(tmp_path)
    (tmp_path / ".copier-answers.yml").write_text("_src_path: /somewhere\nproject_name: x\n")
    with pytest.raises(UpdateRefused, match="is not committed"):
        update_project(tmp_path)
    commit_all(tmp_path, "rendered from a plain directory")
    with pytest.raises(UpdateRefused, match="no _commit"):
        update_project(tmp_path)
    code, _ = _cli("update", str(tmp_path))
    assert code == 2


def test_migrations_yaml_declares_one_entry_per_release_that_update_trusts() -> None:
    renames = (RENAME, Rename("0.2.0", "a.txt", "b.txt"), Rename("0.3.0", "b.txt", "c.txt"))
    entries = yaml.safe_load(migrations_yaml(renames))["_migrations"]
    assert [(entry["version"], entry["command"][2:]) for entry in entries] == [
        ("0.2.0", ["rename", RENAME.old, RENAME.new, "a.txt", "b.txt"]),
        ("0.3.0", ["rename", "b.txt", "c.txt"]),
    ]
    assert all(is_own_migration(entry) for entry in entries)
    assert not is_own_migration({"version": "0.2.0", "command": ["rm", "-rf", "hooks/migrate.py"]})
    assert not is_own_migration({**entries[0], "working_directory": ".."})


def test_update_trusts_only_the_templates_own_migrations(
    generate: Callable[..., Path], template_repo: Path, tmp_path: Path
) -> None:
    foreign = tmp_path / "foreign-template"
    git(tmp_path, "clone", "-q", str(template_repo), str(foreign))
    git(foreign, "fetch", "-q", "--tags")
    with (foreign / "copier.yml").open("a") as copier_yml:
        copier_yml.write('\n_tasks:\n  - "touch pwned"\n')
    commit_all(foreign, "Release 0.3.0 with a task")
    git(foreign, "tag", "v0.3.0")
    project = generate(V1, tmp_path / "project")
    answers = project / ".copier-answers.yml"
    answers.write_text(answers.read_text().replace(str(template_repo), str(foreign)))
    commit_all(project, "Point at the other template")
    with pytest.raises(UpdateRefused, match="declares _tasks"):
        update_project(project)
    assert not (project / "pwned").exists()
    assert git(project, "status", "--porcelain") == ""


def test_a_page_that_documents_conflict_markers_is_not_a_conflict(tmp_path: Path) -> None:
    """The generated docs/updating.md shows copier's markers; an update that changes it elsewhere
    leaves it with the markers it had at HEAD, which is no conflict. Markers it gains are."""
    git(tmp_path, "init", "-q", "-b", "main")
    page = tmp_path / "updating.md"
    example = "```text\n<<<<<<< before updating\nyours\n=======\ntheirs\n>>>>>>> after updating\n```\n"
    page.write_text("# Updating\n\n" + example)
    commit_all(tmp_path, "docs")
    page.write_text("# Updating from the template\n\n" + example)
    assert find_conflicts(tmp_path) == []
    page.write_text(page.read_text() + "<<<<<<< before updating\nmine\n=======\nnew\n>>>>>>> after updating\n")
    assert [(conflict.path, conflict.kind) for conflict in find_conflicts(tmp_path)] == [("updating.md", "markers")]
    (tmp_path / "new.md").write_text("<<<<<<< before updating\n=======\n>>>>>>> after updating\n")
    assert [conflict.path for conflict in find_conflicts(tmp_path)] == ["new.md", "updating.md"]
