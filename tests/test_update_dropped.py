"""`mlops-scaffold update` never drops a template change silently (issue 15). Before: a template
change to a file the user had deleted, renamed or replaced by a symlink vanished, and the update
said "No conflicts" with exit 0. Now each is listed like a conflict (exit 1), with the template's
change saved beside it as <file>.template.diff and what to do with it."""

from __future__ import annotations

import argparse
import os

from update_history import TEMPLATE_LINE, V1, V2, commit_all, rendered_file

from mlops_scaffold.lifecycle import cli as lifecycle_cli
from mlops_scaffold.lifecycle.gitutil import find_conflicts
from mlops_scaffold.lifecycle.update import format_result, update_project


def _args(project) -> argparse.Namespace:
    return argparse.Namespace(path=str(project), vcs_ref=V2, conflict="inline", pretend=False, data=[])


def test_changes_to_deleted_renamed_and_symlinked_files_are_listed(generate, tmp_path, capsys):
    project = generate(V1, tmp_path / "project")
    (project / "README.md").unlink()  # deleted
    (project / ".env.example").rename(project / ".env.sample")  # renamed
    train = rendered_file(project, "training/train.py")
    (project / "our_train.py").write_text(train.read_text())
    train.unlink()
    os.symlink(os.path.relpath(project / "our_train.py", train.parent), train)  # replaced by a symlink
    commit_all(project, "Our layout")
    train_name = str(train.relative_to(project))

    assert lifecycle_cli.cmd_update(_args(project)) == 1
    printed = capsys.readouterr().out
    assert "No conflicts" not in printed
    assert "3 conflict(s) to resolve" in printed
    assert "  README.md: the template changed it, but it is deleted or renamed here" in printed
    assert "apply .env.example.template.diff to your copy" in printed
    assert f"  {train_name}: the template changed it, but it is a symlink here" in printed
    for name in ("README.md", ".env.example", train_name):
        diff = (project / (name + ".template.diff")).read_text()
        assert diff.startswith("--- a/") and "\n+" in diff and TEMPLATE_LINE in diff, name
    # The user's layout is kept: nothing recreated, the link still points at their file.
    assert not (project / "README.md").exists() and not (project / ".env.example").exists()
    assert train.is_symlink()
    # Still listed until the user has dealt with it (fleet status reads the same).
    assert {conflict.path for conflict in find_conflicts(project)} == {"README.md", ".env.example", train_name}


def test_an_untouched_project_has_no_dropped_changes(generate, tmp_path):
    project = generate(V1, tmp_path / "project")
    result = update_project(project, vcs_ref=V2)
    assert result.ok, format_result(result)
    assert not list(project.rglob("*.template.diff"))
