"""Shared, cached virtual environments for running generated projects.

Every generated project of one Python version installs the same pinned requirements, so one
venv per (Python version, requirements content) serves them all: the generated Makefile takes
`VENV=<path>`. Creation is guarded by a file lock, so parallel test workers build it once.
"""

from __future__ import annotations

import fcntl
import glob
import hashlib
import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from mlops_scaffold.render import CHECKOUT_ROOT

CACHE_ROOT = Path(os.environ.get("MLOPS_SCAFFOLD_CACHE", CHECKOUT_ROOT / ".cache"))


class InterpreterNotFound(RuntimeError):
    pass


def find_python(version: str) -> str:
    """An interpreter for `version` (e.g. "3.11"): on PATH, or installed by pyenv."""
    for candidate in (
        shutil.which(f"python{version}"),
        *sorted(glob.glob(os.path.expanduser(f"~/.pyenv/versions/{version}.*/bin/python{version}"))),
    ):
        if candidate and subprocess.run([candidate, "--version"], capture_output=True).returncode == 0:
            return candidate
    raise InterpreterNotFound(f"python{version} not found on PATH or under ~/.pyenv; install Python {version}")


@contextmanager
def file_lock(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def ensure_venv(
    python_version: str,
    requirements: Path,
    cache_root: Path = CACHE_ROOT,
    progress: Callable[[str], None] | None = None,
) -> Path:
    """The shared venv for this Python version and requirements file, created on first use.
    `progress` hears each step of a build (which takes minutes), and nothing when it is ready."""
    digest = hashlib.sha256(requirements.read_bytes()).hexdigest()[:12]
    venv = cache_root / "venvs" / f"py{python_version}-{digest}"
    say = progress or (lambda message: None)
    # The generated Makefile's `make install` is a no-op when this copy equals requirements.txt.
    ready = venv / ".requirements.txt"
    lock = cache_root / "venvs" / f".py{python_version}-{digest}.lock"
    if not ready.is_file():
        say(f"waiting for, or building, {venv} (Python {python_version}, {requirements.name}); minutes the first time")
    with file_lock(lock):
        if ready.is_file():
            return venv
        if venv.exists():
            shutil.rmtree(venv)  # a half-built venv from an interrupted run
        say(f"creating {venv}")
        subprocess.run([find_python(python_version), "-m", "venv", str(venv)], check=True)
        pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
        subprocess.run([*pip, "--upgrade", "pip"], check=True)
        say(f"installing {requirements} into it (pip)")
        subprocess.run([*pip, "-r", str(requirements)], check=True)
        shutil.copyfile(requirements, ready)
        say(f"ready: {venv}")
    return venv
