"""Shared, cached virtual environments for running generated projects.

Generated projects install their committed lock (requirements.txt, exported from uv.lock with
hashes; mlops_scaffold.locks writes one per dependency set), so these venvs hold exactly the
versions a generated project, its CI and the run tier install. The sets differ only by what an
option adds (databricks-sdk for R on Databricks) and the Python version; the smaller sets are
locked within the superset. One venv per Python version holds the superset (`shared_requirements`),
so it serves every combination: the generated Makefile takes `VENV=<path>`, and its `make install` is a no-op
when the venv holds every line of the project's requirements.txt. Creation is guarded by a file
lock, so parallel test workers build it once.
uv builds them when it is installed (it comes with this package's dev extras): seconds instead
of the minutes pip takes; pip remains the fallback.
uv installs no bytecode, and a process under PYTHONDONTWRITEBYTECODE writes none: there every import
compiles its sources again (`import mlflow` 7.8 s instead of 3.3 s). The run tier always runs projects
so (its recorder must see their sources read), and CI machines often do; a venv used that way is
compiled once, in place (`compiled`).
"""

from __future__ import annotations

import fcntl
import glob
import hashlib
import os
import shutil
import subprocess
import sys
import time
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


def find_uv() -> str | None:
    """uv installed beside this interpreter (`make install` puts it into .venv), or on PATH."""
    beside = Path(sys.executable).parent / "uv"
    return str(beside) if beside.is_file() else shutil.which("uv")


def _build(venv: Path, python: str, requirements: Path) -> str:
    """Create `venv` with `python` and install `requirements`; returns the installer used."""
    uv = find_uv()
    if uv is not None:
        # --seed: pip inside the venv too, for the generated Makefile's own `make install`.
        subprocess.run([uv, "venv", "--quiet", "--seed", "--python", python, str(venv)], check=True)
        install = [uv, "pip", "install", "--quiet", "--python", str(venv / "bin" / "python")]
        subprocess.run([*install, "-r", str(requirements)], check=True)
        return "uv"
    subprocess.run([python, "-m", "venv", str(venv)], check=True)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    subprocess.run([*pip, "--upgrade", "pip"], check=True)
    subprocess.run([*pip, "-r", str(requirements)], check=True)
    return "pip"


def site_packages(venv: Path) -> Path:
    """The venv's site-packages (purelib), as its own interpreter reports it."""
    code = "import sysconfig; print(sysconfig.get_paths()['purelib'])"
    python = str(venv / "bin" / "python")
    return Path(subprocess.run([python, "-c", code], capture_output=True, text=True, check=True).stdout.strip())


def _compile(venv: Path) -> None:
    """Compile every module of the venv to bytecode, in parallel. Best effort, as installers do: a
    file that does not compile (a package's Python 2 example) fails its import anyway."""
    python = str(venv / "bin" / "python")
    subprocess.run([python, "-m", "compileall", "-qq", "-j", "0", str(site_packages(venv))], check=False)


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


def shared_requirements(
    template_dir: Path = CHECKOUT_ROOT / "template", cache_root: Path | None = None, python_version: str | None = None
) -> Path:
    """requirements.txt (the committed lock, exported with hashes) as the template renders it for
    SUPERSET_ANSWERS and `python_version` (default: the default answer), written under the cache."""
    cache_root = cache_root or CACHE_ROOT
    import jinja2

    from mlops_scaffold.manifest import render_context
    from mlops_scaffold.options import resolve_answers

    # The loader's root is the template repository, as copier's: requirements.txt.jinja includes
    # jinja/locks/<key>/requirements.txt.
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(template_dir.parent)),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )
    answers = {**SUPERSET_ANSWERS, **({"python_version": python_version} if python_version else {})}
    template = environment.get_template(f"{template_dir.name}/requirements.txt.jinja")
    text = template.render(render_context(resolve_answers(answers)))
    digest = hashlib.sha256(text.encode()).hexdigest()[:12]
    path = cache_root / "venvs" / f"requirements-{digest}.txt"
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(f".{os.getpid()}.tmp")  # atomic for parallel writers
        temporary.write_text(text, encoding="utf-8")
        temporary.replace(path)
    return path


def ensure_venv(
    python_version: str,
    requirements: Path,
    cache_root: Path | None = None,
    progress: Callable[[str], None] | None = None,
    compiled: bool | None = None,
) -> Path:
    """The shared venv for this Python version and requirements file, created on first use under
    `cache_root` (default: $MLOPS_SCAFFOLD_CACHE, else .cache in the checkout, git-ignored).
    `progress` hears each step of a build (default: lines on stderr), and nothing when it is ready.
    `compiled`: its packages compiled to bytecode, once (default: when PYTHONDONTWRITEBYTECODE is set
    here, so no process would write it; elsewhere the first import of each module writes it)."""
    if compiled is None:
        compiled = bool(os.environ.get("PYTHONDONTWRITEBYTECODE"))
    cache_root = cache_root or CACHE_ROOT
    digest = hashlib.sha256(requirements.read_bytes()).hexdigest()[:12]
    venv = cache_root / "venvs" / f"py{python_version}-{digest}"
    say = progress or (lambda message: print(message, file=sys.stderr, flush=True))
    # The generated Makefile's `make install` is a no-op when this copy holds every line of requirements.txt.
    ready = venv / ".requirements.txt"
    bytecode = venv / ".compiled"
    if ready.is_file() and (not compiled or bytecode.is_file()):
        return venv
    lock = cache_root / "venvs" / f".py{python_version}-{digest}.lock"
    say(f"waiting for, or building, {venv} (Python {python_version}, {requirements.name})")
    with file_lock(lock):
        if not ready.is_file():
            if venv.exists():
                shutil.rmtree(venv)  # a half-built venv from an interrupted run
            say(f"building the Python {python_version} project venv {venv.name} ...")
            started = time.perf_counter()
            installer = _build(venv, find_python(python_version), requirements)
            shutil.copyfile(requirements, ready)
            say(f"built {venv.name} with {installer} in {time.perf_counter() - started:.0f} s")
        if compiled and not bytecode.is_file():
            say(f"compiling {venv.name} to bytecode (once; PYTHONDONTWRITEBYTECODE would recompile every import)")
            started = time.perf_counter()
            _compile(venv)
            bytecode.touch()
            say(f"compiled {venv.name} in {time.perf_counter() - started:.0f} s")
    return venv
