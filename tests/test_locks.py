"""The generated projects' committed locks (issue 16): every dependency set has one, each matches
its rendered pyproject.toml (uv's own check, offline), the generated `make lock-check` fails on a
stale lock, and pip installs the exported requirements.txt."""

from __future__ import annotations

import ensurepip
import os
import shutil
import subprocess
import venv as venv_module
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from conftest import REPO_ROOT, require
from memo import Memo, tool_version

from mlops_scaffold import locks
from mlops_scaffold.venvs import find_uv


def _uv() -> str:
    uv = find_uv()
    require(uv is not None, "uv (make install puts it into .venv)")
    return str(uv)


# The committed locks' keys (cheap to list at collection); the test below proves they are every
# dependency set's.
COMMITTED = sorted(path.name for path in (REPO_ROOT / "jinja" / "locks").iterdir() if path.is_dir())


@pytest.fixture(scope="module")
def lock_sets() -> dict[str, dict]:
    """Every dependency set's key and answers (renders every combination's pyproject: once a module)."""
    return locks.lock_sets(REPO_ROOT)


def test_every_dependency_set_has_a_committed_lock(lock_sets: dict[str, dict]) -> None:
    assert set(lock_sets) == set(COMMITTED), "run `make locks`"
    assert {"py3.11", "py3.11-databricks"} <= set(lock_sets)


def test_a_key_that_misses_an_answer_is_refused(tmp_path: Path) -> None:
    root = tmp_path / "template-repo"
    for folder in ("template", "jinja"):
        shutil.copytree(REPO_ROOT / folder, root / folder, ignore=shutil.ignore_patterns("locks"))
    macros = root / "jinja" / "locks.jinja"
    macros.write_text(macros.read_text().replace('{% if r_training == "databricks" %}-databricks{% endif %}', ""))
    with pytest.raises(locks.LockError, match=r"lock key py3\.\d+ covers two dependency sets"):
        locks.lock_sets(root)


@pytest.mark.parametrize("key", COMMITTED)
def test_each_rendered_lock_matches_its_pyproject(key: str, lock_sets: dict[str, dict], tmp_path: Path) -> None:
    answers = {**lock_sets[key], "sample_name": "churn_model"}
    project = tmp_path / key
    project.mkdir()
    (project / "pyproject.toml").write_text(locks.render_pyproject(answers, REPO_ROOT))
    lock = (REPO_ROOT / "jinja" / "locks" / key / "uv.lock").read_text()
    (project / "uv.lock").write_text(lock.replace("lock-project-name", "churn-model"))
    python = locks._python(answers["python_version"])
    result = subprocess.run(
        [_uv(), "lock", "--check", "--offline", "--no-python-downloads", "--python", python],
        cwd=project,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr


@pytest.mark.slow
@pytest.mark.parametrize("key", ("py3.10", "py3.12-databricks"))
def test_each_environment_export_matches_its_lock(key: str, lock_sets: dict[str, dict], memo: Memo) -> None:
    """jinja/locks/<key>/environment-*.txt are what `make locks` exports from that key's uv.lock."""
    uv = _uv()
    # the committed lock and exports, the code that exports, the dependency set, uv's version
    memo.unchanged(
        REPO_ROOT / "jinja" / "locks" / key,
        Path(locks.__file__),
        repr(sorted(lock_sets[key].items())),
        tool_version(uv, "--version"),
    )
    committed = REPO_ROOT / "jinja" / "locks" / key
    exported = locks.environment_pins(key, lock_sets[key], REPO_ROOT)
    assert sorted(exported) == sorted(path.name for path in committed.glob("environment-*.txt"))
    for name, text in exported.items():
        assert (committed / name).read_text() == text, f"{key}/{name}: run `make locks`"


def test_the_azure_ml_environments_pin_the_lock(render: Callable[..., Path]) -> None:
    """Every pip pin of environments/*.yml is a line of the exported lock, and the other way round for
    what the environment needs (the closure the lock export gives)."""
    project = render(python_version="3.10", r_training="databricks")
    locked = {line.split(" ")[0] for line in (project / "requirements.txt").read_text().splitlines() if "==" in line}
    for name in locks.ENVIRONMENTS:
        spec = yaml.safe_load((project / "environments" / f"{name}.yml").read_text())
        pins = [pin for entry in spec["dependencies"] if isinstance(entry, dict) for pin in entry["pip"]]
        assert len(pins) > 50 and set(pins) <= locked, sorted(set(pins) - locked)
        names = {pin.split("==")[0] for pin in pins}
        assert names >= set(locks.ENVIRONMENTS[name])
        # Separate environments from one resolution: the SDK and the dev tools stay out of the images.
        kept_out = names & {"azure-ai-ml", "pytest", "ruff"}
        assert not kept_out, sorted(kept_out)


def test_the_generated_lock_check_fails_on_a_stale_lock(render_copy: Callable[..., Path]) -> None:
    project = render_copy()
    # Online: telling a stale lock needs the new requirement's metadata, which an empty uv cache lacks.
    env = {**os.environ, "UV": _uv()}
    assert subprocess.run(["make", "lock-check"], cwd=project, env=env, capture_output=True).returncode == 0
    pyproject = project / "pyproject.toml"
    planted = pyproject.read_text().replace('"requests==2.34.2",', '"requests==2.34.2",\n    "six==1.17.0",')
    pyproject.write_text(planted)
    stale = subprocess.run(["make", "lock-check"], cwd=project, env=env, capture_output=True, text=True)
    assert stale.returncode != 0
    assert "needs to be updated" in stale.stderr


def test_the_generated_lock_check_fails_on_a_stale_export(render_copy: Callable[..., Path]) -> None:
    project = render_copy()
    requirements = project / "requirements.txt"
    requirements.write_text(requirements.read_text().replace("requests==2.34.2", "requests==2.34.1"))
    env = {**os.environ, "UV": _uv(), "UV_OFFLINE": "1"}
    stale = subprocess.run(["make", "lock-check"], cwd=project, env=env, capture_output=True, text=True)
    assert stale.returncode != 0
    assert "requirements.txt is out of date with uv.lock: run make lock" in stale.stdout


@pytest.mark.slow
def test_pip_installs_the_exported_lock(render: Callable[..., Path], tmp_path: Path, memo: Memo) -> None:
    """`pip install -r requirements.txt` (hash-checking mode) into a fresh venv, then the unit tests."""
    project = render(r_training="databricks")
    memo.unchanged(project, f"pip {ensurepip.version()}")
    venv = tmp_path / "pip-venv"
    venv_module.create(venv, with_pip=True)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    pip.append("--no-compile")  # byte-compiling ~1 GB of packages is most of the install's time
    subprocess.run([*pip, "-r", str(project / "requirements.txt")], check=True)
    result = subprocess.run(
        [str(venv / "bin" / "python"), "-c", "import azure.ai.ml, databricks.sdk, mlflow, pytest, sklearn"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
