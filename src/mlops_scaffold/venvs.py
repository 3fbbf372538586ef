"""Shared, cached virtual environments for running generated projects.

Generated projects pin the same packages, except the few an option adds (databricks-sdk for R on
Databricks). One venv per Python version holds the superset (`shared_requirements`), so it serves
every combination: the generated Makefile takes `VENV=<path>`, and its `make install` is a no-op
when the venv holds every line of the project's requirements.txt. Creation is guarded by a file
lock, so parallel test workers build it once.
"""

from __future__ import annotations

import fcntl
import glob
import hashlib
import os
import shutil
import subprocess
from collections.abc import Iterator
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


# The answers whose requirements.txt pins every optional package.
SUPERSET_ANSWERS = {"r_training": "databricks"}


def shared_requirements(template_dir: Path = CHECKOUT_ROOT / "template", cache_root: Path = CACHE_ROOT) -> Path:
    """requirements.txt as the template renders it for SUPERSET_ANSWERS, written under the cache."""
    import jinja2

    from mlops_scaffold.manifest import render_context
    from mlops_scaffold.options import resolve_answers

    environment = jinja2.Environment(undefined=jinja2.StrictUndefined, keep_trailing_newline=True)
    source = (template_dir / "requirements.txt.jinja").read_text(encoding="utf-8")
    text = environment.from_string(source).render(render_context(resolve_answers(SUPERSET_ANSWERS)))
    digest = hashlib.sha256(text.encode()).hexdigest()[:12]
    path = cache_root / "venvs" / f"requirements-{digest}.txt"
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(f".{os.getpid()}.tmp")  # atomic for parallel writers
        temporary.write_text(text, encoding="utf-8")
        temporary.replace(path)
    return path


def ensure_venv(python_version: str, requirements: Path, cache_root: Path = CACHE_ROOT) -> Path:
    """The shared venv for this Python version and requirements file, created on first use."""
    digest = hashlib.sha256(requirements.read_bytes()).hexdigest()[:12]
    venv = cache_root / "venvs" / f"py{python_version}-{digest}"
    # The generated Makefile's `make install` is a no-op when this copy holds every line of requirements.txt.
    ready = venv / ".requirements.txt"
    with file_lock(cache_root / "venvs" / f".py{python_version}-{digest}.lock"):
        if ready.is_file():
            return venv
        if venv.exists():
            shutil.rmtree(venv)  # a half-built venv from an interrupted run
        subprocess.run([find_python(python_version), "-m", "venv", str(venv)], check=True)
        pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
        subprocess.run([*pip, "--upgrade", "pip"], check=True)
        subprocess.run([*pip, "-r", str(requirements)], check=True)
        shutil.copyfile(requirements, ready)
    return venv
