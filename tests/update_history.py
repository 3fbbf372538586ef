"""Template release histories for the update tests: the real template committed as v0.1.0 in a
temporary git repo, then changed the way template releases do as v0.2.0 (a line added at the top of
files users also edit, a file renamed with its one-line migration, a file only the `aks` option
renders). Shared by tests/test_update.py and tests/test_update_fleet.py, which import its fixtures.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import copier
import pytest
import yaml
from conftest import REPO_ROOT, answers_with

from mlops_scaffold.copier_compat import fast_rendering
from mlops_scaffold.lifecycle import cli as lifecycle_cli
from mlops_scaffold.lifecycle.migrations import RENAMES, Rename, migrations_yaml

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
            with fast_rendering():  # test set-up: the same files, sooner
                answers = answers_with(**overrides)
                copier.run_copy(str(template_repo), project, data=answers, vcs_ref=version, defaults=True, quiet=True)
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


def _cli(*argv: str) -> tuple[int, str]:
    parser = argparse.ArgumentParser()
    lifecycle_cli.register(parser.add_subparsers())
    args = parser.parse_args(argv)
    return args.handler(args), ""
