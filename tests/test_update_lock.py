"""`copier update` carries a new lock (issue 16): uv.lock and requirements.txt are rendered files,
so a template release that changes the dependency set updates them like any other file, and the
updated project's lock matches its pyproject.toml."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import copier
import pytest
from conftest import REPO_ROOT, answers_with, require
from update_history import commit_all, git

from mlops_scaffold import locks
from mlops_scaffold.lifecycle.update import update_project
from mlops_scaffold.venvs import find_uv

DROPPED = '    "requests==2.34.2",\n'  # still locked: mlflow and azure-core pull it in


@pytest.mark.slow
def test_update_brings_the_releases_lock(tmp_path: Path) -> None:
    uv = find_uv()
    require(uv is not None, "uv (make install puts it into .venv)")
    repo = tmp_path / "template-history"
    repo.mkdir()
    shutil.copy2(REPO_ROOT / "copier.yml", repo / "copier.yml")
    for folder in ("template", "hooks", "jinja"):
        shutil.copytree(REPO_ROOT / folder, repo / folder)
    git(repo, "init", "-q", "-b", "main")
    commit_all(repo, "Release 0.1.0")
    git(repo, "tag", "v0.1.0")
    # Release 0.2.0 drops a dependency and re-locks the default set, as `make locks` would.
    pyproject = repo / "template" / "pyproject.toml.jinja"
    pyproject.write_text(pyproject.read_text().replace(DROPPED, ""))
    locks._write_lock("py3.11", locks.lock_sets(repo)["py3.11"], None, repo, upgrade=False)
    commit_all(repo, "Release 0.2.0")
    git(repo, "tag", "v0.2.0")

    project = tmp_path / "project"
    copier.run_copy(str(repo), project, data=answers_with(), vcs_ref="v0.1.0", defaults=True, quiet=True)
    git(project, "init", "-q", "-b", "main")
    commit_all(project, "Generate from 0.1.0")
    before = (project / "uv.lock").read_text()

    update_project(project, vcs_ref="v0.2.0")
    after = (project / "uv.lock").read_text()
    assert after != before
    assert DROPPED.strip() not in (project / "pyproject.toml").read_text()
    checked = subprocess.run([uv, "lock", "--check", "--offline"], cwd=project, capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr
    expected = (repo / "jinja" / "locks" / "py3.11" / "requirements.txt").read_text()
    assert (project / "requirements.txt").read_text() == expected
