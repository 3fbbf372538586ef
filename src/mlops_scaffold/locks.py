"""The generated projects' committed locks, one per distinct dependency set (`make locks`).

A generated project's dependencies are in its pyproject.toml (rendered from the template); they
vary with a few answers (jinja/locks.jinja's `lock_key` names them: the Python version, R on
Databricks). For each key this module renders pyproject.toml, runs `uv lock` on it and exports
the lock to requirements.txt with hashes, into jinja/locks/<key>/; template/uv.lock.jinja and
template/requirements.txt.jinja include the rendering's own. The Azure ML environments' pip lists
are exported from the same lock (`environment-<name>.txt`, see ENVIRONMENTS). Every valid combination is rendered
for every Python version, so a dependency that varies with an answer the key does not name is an
error here, not a wrong lock in some rendering.

The existing locks are uv's preferences (nothing moves unless `--upgrade`), and the smaller sets
are seeded from the superset's lock, so a project's requirements.txt is line for line within the
superset's: one shared venv per Python version serves every combination (mlops_scaffold.venvs).
"""

from __future__ import annotations

import argparse
import functools
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jinja2

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

from mlops_scaffold.render import CHECKOUT_ROOT

# The project name the committed locks carry; jinja/locks.jinja replaces it with the rendering's.
PLACEHOLDER_SAMPLE = "lock_project_name"
# The header of requirements.txt; the generated Makefile's `lock` writes the same one.
EXPORT_HEADER = (
    "# Every package, pinned with hashes: exported from uv.lock by `make lock`.\n"
    "# Install with `make install` (uv), or `pip install -r requirements.txt`.\n"
)
# The same flags as the generated Makefile's EXPORT_FLAGS.
EXPORT_ARGS = ("export", "--frozen", "--quiet", "--all-groups", "--no-header", "--no-annotate")
EXPORT_ARGS += ("--format", "requirements-txt")


# The Azure ML environments (template/environments/<name>.yml) and the packages they need; their pip
# lists are these with everything under them at uv.lock's versions (`environment-<name>.txt`), for
# the Linux x86_64 images Azure ML builds. Docker scoring images install score's list.
ENVIRONMENTS = {
    "train": ("azureml-mlflow", "mlflow", "numpy", "pandas", "scikit-learn"),
    "score": (
        "azureml-ai-monitoring",  # score.py's custom logging to the deployment's data collector
        "azureml-inference-server-http",
        "azureml-mlflow",
        "mlflow",
        "numpy",
        "pandas",
        "scikit-learn",
    ),
}
AZURE_PLATFORM = "x86_64-manylinux_2_28"
ENVIRONMENT_HEADER = "# {name}: exported from uv.lock by `make locks` (Linux x86_64, Python {python}).\n"


class LockError(RuntimeError):
    pass


@functools.cache
def _environment(root: Path) -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(root)),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        extensions=["jinja2_ansible_filters.AnsibleCoreFiltersExtension"],  # as copier: to_json, quote
    )


def _context(answers: Mapping[str, Any]) -> dict[str, Any]:
    from mlops_scaffold.manifest import render_context
    from mlops_scaffold.options import resolve_answers

    return render_context(resolve_answers(dict(answers)))


def lock_key(answers: Mapping[str, Any], root: Path = CHECKOUT_ROOT) -> str:
    return _lock_key(_context(answers), root)


def render_pyproject(answers: Mapping[str, Any], root: Path = CHECKOUT_ROOT) -> str:
    return _render_pyproject(_context(answers), root)


def _lock_key(context: Mapping[str, Any], root: Path) -> str:
    return str(_environment(root).get_template("jinja/locks.jinja").make_module(dict(context)).lock_key())


def _render_pyproject(context: Mapping[str, Any], root: Path) -> str:
    return _environment(root).get_template("template/pyproject.toml.jinja").render(context)


@functools.lru_cache(maxsize=256)  # 2,016 renderings in lock_sets, a handful of distinct texts
def _dependency_spec(pyproject: str) -> str:
    """What uv.lock records of a pyproject.toml: its dependencies, groups and Python."""
    data = tomllib.loads(pyproject)
    project = data["project"]
    spec = {
        "requires-python": project.get("requires-python"),
        "dependencies": project.get("dependencies", []),
        "dependency-groups": data.get("dependency-groups", {}),
        "tool.uv": data.get("tool", {}).get("uv", {}),
    }
    return repr(spec)


def lock_sets(root: Path = CHECKOUT_ROOT) -> dict[str, dict[str, Any]]:
    """key -> the answers of one rendering with that key (every rendering with it locks the same)."""
    from mlops_scaffold.matrix.combinations import full_answers, valid_combinations
    from mlops_scaffold.options import QUESTIONS

    versions = next(question.choices for question in QUESTIONS if question.name == "python_version")
    found: dict[str, tuple[str, dict[str, Any], str]] = {}
    for combination in valid_combinations():
        for version in versions:
            answers = {**full_answers(combination), "python_version": version, "sample_name": PLACEHOLDER_SAMPLE}
            context = _context(answers)
            key, spec = _lock_key(context, root), _dependency_spec(_render_pyproject(context, root))
            if key not in found:
                found[key] = (spec, answers, combination.id)
            elif found[key][0] != spec:
                raise LockError(
                    f"jinja/locks.jinja: lock key {key} covers two dependency sets ({found[key][2]} and "
                    f"{combination.id}, Python {version}): name the answer that changes them in lock_key"
                )
    return {key: answers for key, (_, answers, _) in found.items()}


def find_uv() -> str:
    from mlops_scaffold.venvs import find_uv as beside_or_path

    uv = beside_or_path()
    if uv is None:
        raise LockError("uv not found: run `make install` (it installs uv into .venv)")
    return uv


def _python(version: str) -> str:
    """An interpreter of the project's Python (uv locks for every platform, but wants one)."""
    from mlops_scaffold.venvs import InterpreterNotFound, find_python

    try:
        return find_python(version)
    except InterpreterNotFound as error:
        raise LockError(str(error)) from error


def _write_lock(key: str, answers: Mapping[str, Any], seed: Path | None, root: Path, upgrade: bool) -> None:
    destination = root / "jinja" / "locks" / key
    uv = find_uv()
    with tempfile.TemporaryDirectory(prefix=f"lock-{key}-") as work:
        project = Path(work)
        (project / "pyproject.toml").write_text(render_pyproject(answers, root), encoding="utf-8")
        previous = destination / "uv.lock" if (destination / "uv.lock").is_file() else seed
        if previous is not None and previous.is_file() and not upgrade:
            shutil.copyfile(previous, project / "uv.lock")  # preferences: only what must move, moves
        lock = [uv, "lock", "--quiet", "--no-python-downloads", "--python", _python(str(answers["python_version"]))]
        subprocess.run([*lock, *(["--upgrade"] if upgrade else [])], cwd=project, check=True)
        exported = subprocess.run([uv, *EXPORT_ARGS], cwd=project, check=True, capture_output=True, text=True).stdout
        locked = (project / "uv.lock").read_text(encoding="utf-8")
        texts = {"uv.lock": locked, "requirements.txt": EXPORT_HEADER + exported}
    for name, text in texts.items():
        if any(marker in text for marker in ("{{", "{%", "{#")):
            raise LockError(f"{key}/{name}: holds Jinja syntax, so the template cannot include it verbatim")
    destination.mkdir(parents=True, exist_ok=True)
    for name, text in texts.items():
        (destination / name).write_text(text, encoding="utf-8")


def environment_pins(key: str, answers: Mapping[str, Any], root: Path = CHECKOUT_ROOT) -> dict[str, str]:
    """Each Azure ML environment's pip list from jinja/locks/<key>/uv.lock: its packages and their
    dependencies, every one at the lock's version (the lock, exported, constrains uv's resolution)."""
    uv, python = find_uv(), str(answers["python_version"])
    texts: dict[str, str] = {}
    with tempfile.TemporaryDirectory(prefix=f"environments-{key}-") as work:
        project = Path(work)
        (project / "pyproject.toml").write_text(render_pyproject(answers, root), encoding="utf-8")
        shutil.copyfile(root / "jinja" / "locks" / key / "uv.lock", project / "uv.lock")
        export = subprocess.run(
            [uv, *EXPORT_ARGS, "--no-hashes"], cwd=project, check=True, capture_output=True, text=True
        ).stdout
        (project / "constraints.txt").write_text(export, encoding="utf-8")
        for name, packages in ENVIRONMENTS.items():
            (project / f"{name}.in").write_text("\n".join(packages) + "\n", encoding="utf-8")
            compile_ = [uv, "pip", "compile", "--quiet", "--no-header", "--no-annotate", "--python-version", python]
            compile_ += ["--python-platform", AZURE_PLATFORM, "-c", "constraints.txt", f"{name}.in"]
            pins = subprocess.run(compile_, cwd=project, check=True, capture_output=True, text=True).stdout
            texts[f"environment-{name}.txt"] = ENVIRONMENT_HEADER.format(name=name, python=python) + pins
    return texts


def write_environments(root: Path = CHECKOUT_ROOT, say=print) -> None:
    """(Re)write jinja/locks/<key>/environment-<name>.txt from each key's committed uv.lock."""
    for key, answers in lock_sets(root).items():
        say(f"exporting the Azure ML environments of {key} ...")
        for name, text in environment_pins(key, answers, root).items():
            (root / "jinja" / "locks" / key / name).write_text(text, encoding="utf-8")


def write_locks(root: Path = CHECKOUT_ROOT, upgrade: bool = False, say=print) -> list[str]:
    """(Re)write jinja/locks/<key>/ for every key; stale keys are removed. Returns the keys."""
    sets = lock_sets(root)
    # Supersets first (most packages), so the smaller sets of a Python version are seeded from them.
    order = sorted(sets, key=lambda key: (sets[key]["python_version"], -len(render_pyproject(sets[key], root))))
    seeds: dict[str, Path] = {}
    for key in order:
        version = sets[key]["python_version"]
        say(f"locking {key} ...")
        _write_lock(key, sets[key], seeds.get(version), root, upgrade)
        seeds.setdefault(version, root / "jinja" / "locks" / key / "uv.lock")
    for stale in sorted((root / "jinja" / "locks").glob("*/")):
        if stale.name not in sets:
            say(f"removing {stale.name} (no rendering has that dependency set)")
            shutil.rmtree(stale)
    write_environments(root, say)
    return order


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mlops_scaffold.locks", description=__doc__.splitlines()[0])
    parser.add_argument("--upgrade", action="store_true", help="let every unpinned package move to its newest version")
    args = parser.parse_args(argv)
    try:
        keys = write_locks(upgrade=args.upgrade)
    except (LockError, subprocess.CalledProcessError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(f"wrote {len(keys)} locks under jinja/locks/: {', '.join(keys)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
