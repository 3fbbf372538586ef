"""A generated project's `make install` on a machine without uv (issue 16): uv is bootstrapped once
per machine into the user cache, a new .venv is made by uv from the lock in seconds, two makes
bootstrapping at once both succeed, and a bootstrap that cannot run says so and leaves nothing."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import require

from mlops_scaffold.venvs import find_python, find_uv

pytestmark = pytest.mark.slow


def _environment(cache_home: Path) -> dict[str, str]:
    """The caller's environment with no uv on PATH and a new, empty user cache for the bootstrap;
    uv's package cache stays the caller's (the wheels are not what is under test)."""
    uv = find_uv()
    require(uv is not None, "uv (make install puts it into .venv)")
    package_cache = subprocess.run([uv, "cache", "dir"], capture_output=True, text=True, check=True).stdout.strip()
    path = [folder for folder in os.environ["PATH"].split(os.pathsep) if not (Path(folder) / "uv").exists()]
    isolated = {"PATH": os.pathsep.join(path), "XDG_CACHE_HOME": str(cache_home), "UV_CACHE_DIR": package_cache}
    return {**os.environ, **isolated}


def _make_install(project: Path, env: dict[str, str], python: str | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(
        ["make", "install", f"BOOTSTRAP_PYTHON={python or find_python('3.11')}"],
        cwd=project,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _finish(process: subprocess.Popen[str]) -> tuple[int, str]:
    output, _ = process.communicate(timeout=900)
    return process.returncode, output


def _uv_version(project: Path) -> str:
    match = re.search(r"^UV_VERSION := (\S+)$", (project / "Makefile").read_text(), re.MULTILINE)
    assert match, "the generated Makefile pins UV_VERSION"
    return match.group(1)


def _pin(project: Path, package: str) -> str:
    match = re.search(rf"^{package}==(\S+)", (project / "requirements.txt").read_text(), re.MULTILINE)
    assert match, f"requirements.txt pins {package}"
    return match.group(1)


def test_uv_is_bootstrapped_once_and_each_new_venv_is_built_from_the_lock(
    render: Callable[..., Path], tmp_path: Path
) -> None:
    source = render()
    first, second = (shutil.copytree(source, tmp_path / name, symlinks=True) for name in ("first", "second"))
    env = _environment(tmp_path / "cache")
    uv_home = tmp_path / "cache" / "uv-bootstrap" / _uv_version(source)

    # Both start with no uv anywhere: both bootstrap, and each must end with a whole uv and a venv.
    results = [_finish(process) for process in [_make_install(first, env), _make_install(second, env)]]
    for code, output in results:
        assert code == 0, output
        assert f"Bootstrapping uv {_uv_version(source)} into {uv_home}" in output
    assert sorted(path.name for path in uv_home.iterdir()) == ["uv", "uvx"], "scratch folders left behind"
    for project in (first, second):
        query = "import importlib.metadata as m; print(m.version('mlflow'))"
        version = subprocess.run(
            [str(project / ".venv" / "bin" / "python"), "-c", query],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        assert version == _pin(project, "mlflow")
        assert (project / ".venv" / "bin" / "pip").exists(), "the venv is seeded with pip for pip users"

    # A new venv later reuses the bootstrapped uv.
    bootstrapped = (uv_home / "uv").stat().st_ino
    shutil.rmtree(first / ".venv")
    code, output = _finish(_make_install(first, env))
    assert code == 0, output
    assert "Bootstrapping" not in output
    assert (uv_home / "uv").stat().st_ino == bootstrapped
    assert (first / ".venv" / ".requirements.txt").read_text() == (first / "requirements.txt").read_text()


def test_a_bootstrap_that_cannot_run_says_so_and_leaves_nothing(render: Callable[..., Path], tmp_path: Path) -> None:
    project = shutil.copytree(render(), tmp_path / "project", symlinks=True)
    env = _environment(tmp_path / "cache")
    code, output = _finish(_make_install(project, env, python=str(tmp_path / "no-python")))
    assert code != 0
    assert "Could not bootstrap uv" in output
    uv_home = tmp_path / "cache" / "uv-bootstrap" / _uv_version(project)
    assert list(uv_home.iterdir()) == [], "a failed bootstrap left files behind"
    assert not (project / ".venv").exists()
