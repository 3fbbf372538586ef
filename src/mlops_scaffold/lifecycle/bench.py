"""Time `mlops-scaffold update` on the default project between two template versions.

    python -m mlops_scaffold.lifecycle.bench [--repeat 3]

Builds a throw-away template history from this checkout (v0.1.0 = the working tree; v0.2.0 = one
changed line in .env.example, plus, for the second figure, docs/variable_group.md renamed with its
migration), renders the default project at v0.1.0, commits it, and times update_project to v0.2.0
(best of --repeat runs). The figures go into docs/performance.md under "Update".
"""

from __future__ import annotations

import argparse
import resource
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from mlops_scaffold.lifecycle.migrations import RENAMES, Rename, migrations_yaml
from mlops_scaffold.lifecycle.update import update_project
from mlops_scaffold.render import CHECKOUT_ROOT, render_project

IDENTITY = ["-c", "user.name=bench", "-c", "user.email=bench@example.com", "-c", "commit.gpgsign=false"]


def _git(path: Path, *args: str) -> None:
    subprocess.run(["git", *IDENTITY, *args], cwd=path, check=True, capture_output=True)


def _commit(path: Path, message: str) -> None:
    _git(path, "add", "-A")
    _git(path, "commit", "-q", "-m", message)


def build_history(root: Path, rename: bool) -> Path:
    repo = root / ("template-rename" if rename else "template")
    repo.mkdir()
    for name in ("copier.yml", "CHANGELOG.md"):
        shutil.copy2(CHECKOUT_ROOT / name, repo / name)
    for folder in ("template", "hooks", "jinja"):
        shutil.copytree(CHECKOUT_ROOT / folder, repo / folder)
    _git(repo, "init", "-q", "-b", "main")
    _commit(repo, "v0.1.0")
    _git(repo, "tag", "v0.1.0")
    env = repo / "template" / ".env.example.jinja"
    env.write_text(env.read_text() + "# a line from template 0.2.0\n")
    if rename:
        _git(repo, "mv", "template/docs/variable_group.md.jinja", "template/docs/pipeline_variables.md.jinja")
        text = (repo / "copier.yml").read_text().split("\n# MIGRATIONS:")[0].rstrip("\n") + "\n"
        step = Rename(since="0.2.0", old="docs/variable_group.md", new="docs/pipeline_variables.md")
        (repo / "copier.yml").write_text(text + migrations_yaml((*RENAMES, step)))
    _commit(repo, "v0.2.0")
    _git(repo, "tag", "v0.2.0")
    return repo


def _project(root: Path, template: Path, name: str) -> Path:
    project = render_project(root / name, template=template, vcs_ref="v0.1.0")
    _git(project, "init", "-q", "-b", "main")
    _commit(project, "generated")
    return project


def _cpu() -> float:
    """CPU seconds of this process and its finished children (git, the migration hook)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def time_update(root: Path, template: Path, repeat: int) -> tuple[float, float, float, int]:
    """Best wall seconds of update_project, its CPU seconds, best wall seconds of copier's
    run_update alone, and the number of files in the project."""
    import copier

    best, cpu, raw, files = float("inf"), float("inf"), float("inf"), 0
    for run in range(repeat):
        project = _project(root, template, f"project-{template.name}-{run}")
        files = sum(1 for path in project.rglob("*") if path.is_file() and ".git" not in path.parts)
        start, start_cpu = time.perf_counter(), _cpu()
        result = update_project(project, vcs_ref="v0.2.0")
        best, cpu = min(best, time.perf_counter() - start), min(cpu, _cpu() - start_cpu)
        assert result.ok and result.new_version == "v0.2.0", result
        project = _project(root, template, f"raw-{template.name}-{run}")
        start = time.perf_counter()
        copier.run_update(project, vcs_ref="v0.2.0", defaults=True, overwrite=True, unsafe=True, quiet=True)
        raw = min(raw, time.perf_counter() - start)
    return best, cpu, raw, files


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="mlops-scaffold-bench.") as tmp:
        root = Path(tmp)
        for rename in (False, True):
            seconds, cpu, raw, files = time_update(root, build_history(root, rename), args.repeat)
            what = "with a rename migration" if rename else "plain"
            print(
                f"update v0.1.0 -> v0.2.0, {what}: mlops-scaffold update {seconds:.2f} s ({cpu:.2f} s CPU), "
                f"copier update alone {raw:.2f} s (default project, {files} files)"
            )


if __name__ == "__main__":
    main()
