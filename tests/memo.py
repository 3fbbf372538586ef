"""Passes remembered by what they ran on (docs/decisions/0030-slow-tests-remember-their-passes.md).

A few tests run real tools for tens of seconds on inputs that rarely change (the generated
project's local loop, `pip install` of its lock). Such a test calls `memo.unchanged(*inputs)`
first: when the same test (its source included) passed before on the same inputs, it is skipped
with that reason; otherwise it runs, and a pass is recorded under `.cache/test-memo/`. Inputs are
files and folders (by content) and strings (tool versions, settings).

Never on CI (CI set), which starts from a fresh clone and must run everything; `MLOPS_SCAFFOLD_NO_MEMO=1`
or deleting `.cache/test-memo/` runs everything locally too.
"""

from __future__ import annotations

import hashlib
import inspect
import os
import platform
import subprocess
from pathlib import Path

import pytest

MEMO_DIR = Path(os.environ.get("MLOPS_SCAFFOLD_MEMO_DIR") or Path(__file__).parents[1] / ".cache" / "test-memo")
# Lines of a generated project that name where it was rendered from, not what it is.
VOLATILE_PREFIXES = (b"_src_path:",)
_KEY = pytest.StashKey[str]()


def digest(item: Path | str) -> str:
    """A file's or folder's content (paths and bytes, every file beneath), or a string, as a hash."""
    sha = hashlib.sha256()
    if isinstance(item, str):
        sha.update(b"str\0" + item.encode())
        return sha.hexdigest()
    paths = [item] if item.is_file() else sorted(path for path in item.rglob("*") if path.is_file())
    for path in paths:
        relative = path.relative_to(item).as_posix() if path != item else path.name
        lines = path.read_bytes().splitlines(keepends=True)
        kept = b"".join(line for line in lines if not line.startswith(VOLATILE_PREFIXES))
        sha.update(relative.encode() + b"\0" + kept + b"\0")
    return sha.hexdigest()


def tool_version(*command: str) -> str:
    """The first line a tool prints of its version (an input: another version may behave otherwise)."""
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=60)
    except OSError:
        return f"{command[0]}: missing"
    return f"{command[0]}: {(result.stdout or result.stderr).strip().splitlines()[:1]}"


def enabled() -> bool:
    return not os.environ.get("CI") and not os.environ.get("MLOPS_SCAFFOLD_NO_MEMO")


class Memo:
    def __init__(self, request: pytest.FixtureRequest) -> None:
        self._request = request

    def key(self, *inputs: Path | str) -> str:
        sha = hashlib.sha256()
        node = self._request.node
        for part in (node.nodeid, inspect.getsource(self._request.function), platform.python_version()):
            sha.update(part.encode() + b"\0")
        for item in inputs:
            sha.update(digest(item).encode())
        return sha.hexdigest()

    def unchanged(self, *inputs: Path | str) -> None:
        """Skip the test if it passed before on these inputs; else remember them for its result."""
        if not enabled():
            return
        key = self.key(*inputs)
        if (MEMO_DIR / key).is_file():
            pytest.skip(f"passed before on the same inputs (memo {key[:12]}; MLOPS_SCAFFOLD_NO_MEMO=1 runs it)")
        self._request.node.stash[_KEY] = key


@pytest.fixture
def memo(request: pytest.FixtureRequest) -> Memo:
    return Memo(request)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    outcome = yield
    report = outcome.get_result()
    key = item.stash.get(_KEY, None)
    if key and report.when == "call" and report.passed:
        MEMO_DIR.mkdir(parents=True, exist_ok=True)
        (MEMO_DIR / key).write_text(item.nodeid + "\n")
