"""One virtual environment shared by every generated project the tests run, cached across sessions.

The venv lives in <repo>/.cache/venvs/<sha256 of requirements.txt>; it is built once with
`pip install -r requirements.txt` and reused while its marker file exists. The marker is a copy of
requirements.txt named `.requirements.txt`, the same file the generated Makefile compares, so
`make install VENV=<that venv>` is a no-op.
"""

from __future__ import annotations

import fcntl
import hashlib
import shutil
import subprocess
import sys
import venv
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
CACHE = REPO_ROOT / ".cache" / "venvs"
MARKER = ".requirements.txt"


def project_venv(requirements: Path, cache: Path = CACHE) -> Path:
    """The cached venv for `requirements`, created (and pip-installed) on first use."""
    try:  # the package's own shared-venv helper, when this checkout has it: one cache for everyone
        from mlops_scaffold import venvs
    except ImportError:
        venvs = None
    if venvs is not None and Path(venvs.__file__).resolve().is_relative_to(REPO_ROOT):
        target = venvs.ensure_venv(f"{sys.version_info.major}.{sys.version_info.minor}", requirements, cache.parent)
        if not (target / MARKER).is_file():
            shutil.copyfile(requirements, target / MARKER)
        return target
    digest = hashlib.sha256(requirements.read_bytes()).hexdigest()[:16]
    target = cache / digest
    if (target / MARKER).is_file():
        return target
    cache.mkdir(parents=True, exist_ok=True)
    with open(cache / f"{digest}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # parallel test workers wait for the one that builds it
        if (target / MARKER).is_file():
            return target
        shutil.rmtree(target, ignore_errors=True)
        venv.EnvBuilder(with_pip=True).create(target)
        python = target / "bin" / "python"
        subprocess.run(
            [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-r", str(requirements)],
            check=True,
        )
        shutil.copyfile(requirements, target / MARKER)
    return target


if __name__ == "__main__":
    # python tests/project_venv.py path/to/requirements.txt  -> prints the venv path
    print(project_venv(Path(sys.argv[1])))
