"""Updating generated repos: version histories built in temporary git repos from the real template.

v0.1.0 is the template as it is in the working tree. v0.2.0 changes it the way template releases
do: a line added at the top of files users also edit (.env.example, README.md, the training code,
whichever exist), a file renamed with its one-line migration (docs/variable_group.md ->
docs/pipeline_variables.md), and a file that only the `aks` option renders.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import copier
import pytest
import yaml
from conftest import REPO_ROOT, answers_with

from mlops_scaffold.lifecycle import cli as lifecycle_cli
from mlops_scaffold.lifecycle.fleet import fleet_status, fleet_update, format_update
from mlops_scaffold.lifecycle.migrations import RENAMES, Rename, is_own_migration, migrations_yaml
from mlops_scaffold.lifecycle.update import UpdateRefused, update_project

V1, V2 = "v0.1.0", "v0.2.0"
RENAME = Rename(since="0.2.0", old="docs/variable_group.md", new="docs/pipeline_variables.md")
AKS_DOC = "docs/aks.md"  # rendered by v0.2.0 only when 'aks' is a deployment target
TEMPLATE_LINE = "Template 0.2.0 added this line"
USER_LINE = "Our team's own line"
# Rendered files users edit, and how a template release marks a change at their top.
EDITED = {
    ".env.example": "# {}\n",
    "README.md": "<!-- {} -->\n",
    "training/train.py": "# {}\n",  # under the sample package, once the ML code exists
}


def git(path: Path, *args: str) -> str:
    identity = ["-c", "user.name=test", "-c", "user.email=test@example.com", "-c", "commit.gpgsign=false"]
    return subprocess.run(["git", *identity, *args], cwd=path, check=True, capture_output=True, text=True).stdout


def commit_all(path: Path, message: str) -> None:
    git(path, "add", "-A")
    git(path, "commit", "-q", "-m", message)


def template_file(root: Path, rendered: str) -> Path | None:
    """The template file that renders `rendered` (its path ends so), if the template has it."""
    files = {
        path.relative_to(root / "template").as_posix().removesuffix(".jinja"): path
        for path in sorted((root / "template").rglob("*"))
        if path.is_file()
    }
    if rendered in files:
        return files[rendered]
    return next((path for name, path in files.items() if name.endswith("/" + rendered)), None)


def rendered_file(project: Path, rendered: str) -> Path | None:
    matches = [project / rendered] if (project / rendered).is_file() else sorted(project.glob("*/" + rendered))
    return matches[0] if matches else None


def _release_v2(repo: Path) -> None:
    for rendered, line in EDITED.items():
        source = template_file(repo, rendered)
        if source is not None:
            source.write_text(line.format(TEMPLATE_LINE) + source.read_text())
    docs = repo / "template" / "docs"
    renamed = docs / "pipeline_variables.md.jinja"
    git(repo, "mv", "template/docs/variable_group.md.jinja", str(renamed.relative_to(repo)))
    renamed.write_text(
        renamed.read_text().replace("# Pipeline variables", f"# Pipeline variables ({TEMPLATE_LINE})", 1)
    )
    (docs / "{% if 'aks' in deployment_targets %}aks.md{% endif %}.jinja").write_text(
        "# AKS\n\nThe scoring service runs on `{{ aks_compute_name }}`.\n"
    )
    copier_yml = (repo / "copier.yml").read_text().split("\n# MIGRATIONS:")[0].rstrip("\n") + "\n"
    (repo / "copier.yml").write_text(copier_yml + migrations_yaml((*RENAMES, RENAME)))
    changelog = repo / "CHANGELOG.md"
    changelog.write_text(
        changelog.read_text().replace(
            "## [0.1.0]",
            "## [0.2.0] - 2026-12-01\n\n### Changed\n\n- docs/variable_group.md is now docs/pipeline_variables.md.\n\n"
            "## [0.1.0]",
            1,
        )
    )
    commit_all(repo, "Release 0.2.0")
    git(repo, "tag", V2)


@pytest.fixture(scope="module")
def template_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A git repo of the real template with the releases v0.1.0 and v0.2.0."""
    repo = tmp_path_factory.mktemp("template-history")
    shutil.copy2(REPO_ROOT / "copier.yml", repo / "copier.yml")
    shutil.copy2(REPO_ROOT / "CHANGELOG.md", repo / "CHANGELOG.md")
    for folder in ("template", "hooks", "jinja"):
        shutil.copytree(REPO_ROOT / folder, repo / folder)
    git(repo, "init", "-q", "-b", "main")
    commit_all(repo, "Release 0.1.0")
    git(repo, "tag", V1)
    _release_v2(repo)
    return repo


@pytest.fixture(scope="module")
def generate(template_repo: Path, tmp_path_factory: pytest.TempPathFactory) -> Callable[..., Path]:
    """generate(version, **answers) -> a committed git repo rendered from the template at `version`
    (rendered once per version and answers, then copied)."""
    cache: dict[str, Path] = {}

    def _generate(version: str, dest: Path, **overrides: object) -> Path:
        key = f"{version} {sorted(overrides.items())}"
        if key not in cache:
            project = tmp_path_factory.mktemp("generated") / "project"
            copier.run_copy(
                str(template_repo), project, data=answers_with(**overrides), vcs_ref=version, defaults=True, quiet=True
            )
            git(project, "init", "-q", "-b", "main")
            commit_all(project, f"Generate from mlops-scaffold {version}")
            cache[key] = project
        shutil.copytree(cache[key], dest, symlinks=True)
        return dest

    return _generate


def tree(project: Path) -> dict[str, bytes]:
    """Every file of a project but .git, with its content."""
    return {
        path.relative_to(project).as_posix(): path.read_bytes()
        for path in sorted(project.rglob("*"))
        if path.is_file() and ".git" not in path.relative_to(project).parts
    }


def without_commit(answers: bytes) -> dict:
    data = yaml.safe_load(answers)
    data.pop("_commit", None)
    return data


def user_edits(project: Path) -> list[Path]:
    """What a team does to its repo after generating it: edits the code, the README and a pipeline
    variable, and adds a file of its own. Returns the edited files."""
    edited = []
    env = project / ".env.example"
    env.write_text(re.sub(r"(?m)^EXPERIMENT_NAME=.*$", "EXPERIMENT_NAME=our-experiment", env.read_text()))
    edited.append(env)
    for rendered, comment in (("README.md", "\n## {}\n"), ("training/train.py", "\n\n# {}\n")):
        path = rendered_file(project, rendered)
        if path is not None:
            path.write_text(path.read_text() + comment.format(USER_LINE))
            edited.append(path)
    (project / "notes.md").write_text(f"# {USER_LINE}\n")
    table = next(path for path in (project / RENAME.old, project / RENAME.new) if path.is_file())
    table.write_text(table.read_text().replace("Prefix of every Azure resource name", USER_LINE, 1))
    commit_all(project, "Our edits")
    return edited


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


def _cli(*argv: str) -> tuple[int, str]:
    parser = argparse.ArgumentParser()
    lifecycle_cli.register(parser.add_subparsers())
    args = parser.parse_args(argv)
    return args.handler(args), ""


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
