"""Updating a fleet of generated repos (`mlops-scaffold fleet status|update`) and the template-drift
check each repo's CI runs, against the release history of tests/update_history.py."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from update_history import USER_LINE, V1, V2, _cli, commit_all, git

from mlops_scaffold.lifecycle.fleet import fleet_status, fleet_update, format_update


def test_fleet_status_and_update(generate: Callable[..., Path], tmp_path: Path) -> None:
    clean = generate(V1, tmp_path / "clean")
    dirty = generate(V1, tmp_path / "dirty")
    conflicting = generate(V1, tmp_path / "conflicting")
    (dirty / "notes.md").write_text("work in progress\n")
    env = conflicting / ".env.example"
    env.write_text(f"# {USER_LINE}\n" + env.read_text())
    commit_all(conflicting, "Our header")
    dirty_head = git(dirty, "rev-parse", "HEAD")

    statuses = {Path(status.path).name: status for status in fleet_status([clean, dirty, conflicting])}
    assert {name: (s.current, s.latest, s.update_available, s.dirty) for name, s in statuses.items()} == {
        "clean": (V1, V2, True, False),
        "dirty": (V1, V2, True, True),
        "conflicting": (V1, V2, True, False),
    }

    rows = {Path(row.path).name: row for row in fleet_update([clean, dirty, conflicting], branch="template-update")}
    assert {name: row.outcome for name, row in rows.items()} == {
        "clean": "updated",
        "dirty": "skipped-dirty",
        "conflicting": "conflicts",
    }
    table = format_update(list(rows.values()))
    assert "1 updated, 1 conflicts, 1 skipped-dirty" in table, table
    assert [conflict.path for conflict in rows["conflicting"].conflicts] == [".env.example"]

    # clean: committed on the branch, back on main with a clean tree
    assert git(clean, "rev-parse", "--abbrev-ref", "HEAD").strip() == "main"
    assert not git(clean, "status", "--porcelain")
    assert V2 in git(clean, "show", "template-update:.copier-answers.yml")
    # dirty: exactly as it was
    assert git(dirty, "rev-parse", "HEAD") == dirty_head
    assert git(dirty, "status", "--porcelain") == "?? notes.md\n"
    assert "template-update" not in git(dirty, "branch", "--list")
    # conflicting: left on the branch with the conflict to resolve, which status reports
    assert fleet_status([conflicting])[0].conflicts == [".env.example"]


def test_fleet_status_json(generate: Callable[..., Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project = generate(V1, tmp_path / "project")
    code, _ = _cli("fleet", "status", str(project), "--json")
    assert code == 0
    [status] = json.loads(capsys.readouterr().out)
    assert (status["current"], status["latest"], status["update_available"], status["dirty"]) == (V1, V2, True, False)
    assert status["conflicts"] == []


DRIFT = {
    "azure_devops": (".pipelines/template-drift.yml", "vendor.azure-pipelines"),
    "github_actions": (".github/workflows/template-drift.yml", "vendor.github-workflows"),
}


@pytest.mark.parametrize("platform", sorted(DRIFT))
def test_drift_check_validates_and_reports_a_newer_release(
    generate: Callable[..., Path], tmp_path: Path, platform: str
) -> None:
    import check_jsonschema  # noqa: F401  (a dependency of mlops-scaffold)

    project = generate(V1, tmp_path / "project", ci_platform=platform)
    relative, schema = DRIFT[platform]
    pipeline = project / relative
    for other, _ in DRIFT.values():
        assert (project / other).exists() == (other == relative), other
    text = pipeline.read_text()
    assert "copier==9.19.1" in text and "check-update" in text
    assert not re.search(r"@(main|master)\b|[:-]latest\b", text), "unpinned action, task or image"
    validate = [sys.executable, "-m", "check_jsonschema", "--builtin-schema", schema, str(pipeline)]
    validate[3:3] = ["--regex-variant", "python"]
    if platform == "azure_devops":
        validate[3:3] = ["--data-transform", "azure-pipelines"]
    checked = subprocess.run(validate, capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr

    document = yaml.safe_load(text)
    steps = document["steps"] if platform == "azure_devops" else document["jobs"]["check-update"]["steps"]
    [script] = [step.get("script") or step.get("run") for step in steps if "check-update" in str(step)]
    if shutil.which("shellcheck"):
        linted = subprocess.run(["shellcheck", "-s", "bash", "-"], input=script, capture_output=True, text=True)
        assert linted.returncode == 0, linted.stdout
    # Run it for real against the template history, with copier from this environment instead of pip.
    script = "\n".join(line for line in script.splitlines() if "pip install" not in line)
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    env["GITHUB_STEP_SUMMARY"] = str(tmp_path / "summary.md")
    ran = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script], cwd=project, env=env, capture_output=True, text=True
    )
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert "Template 0.2.0 is out (this repo: 0.1.0)" in ran.stdout, ran.stdout
