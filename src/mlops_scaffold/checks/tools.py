"""The versions of the external tools checks run, for cache keys.

A cached finding is only valid for the tool version that produced it, and a missing tool has no
version: its "not installed" finding is never cached, so it cannot outlive the install.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import sys
from functools import cache
from importlib import metadata
from pathlib import Path


def _first_line(command: list[str]) -> str | None:
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    text = (result.stdout or result.stderr).strip()
    return " ".join(text.splitlines()[:2]) if result.returncode == 0 and text else None


def checkov_version(binary: str) -> str | None:
    """From the dist-info beside the binary (starting checkov to ask takes seconds), else --version."""
    venv = Path(binary).resolve().parent.parent
    found = sorted(glob.glob(str(venv / "lib" / "python*" / "site-packages" / "checkov-*.dist-info")))
    return f"{binary} {Path(found[-1]).name}" if found else _first_line([binary, "--version"])


@cache
def tool_version(tool: str) -> str | None:
    """A string that changes when `tool` changes; None when it is not installed."""
    if tool == "ruff":  # this interpreter's ruff, which the checks run
        return _first_line([sys.executable, "-m", "ruff", "--version"])
    if tool == "checkov":
        binary = os.environ.get("CHECKOV_BIN") or shutil.which("checkov")
        return checkov_version(binary) if binary and Path(binary).is_file() else None
    try:  # a Python package the checks import (check-jsonschema, …)
        return f"{tool} {metadata.version(tool)}"
    except metadata.PackageNotFoundError:
        pass
    binary = shutil.which(tool)
    return _first_line([binary, "--version"]) if binary else None
