"""Passing render-tier outcomes remembered across invocations, as the run tier remembers its
passing runs: a combination is rendered and checked again only when something its outcome
depends on changed.

An outcome depends on the combination's answers, the template (the snapshot the tier renders:
copier.yml, template/, hooks/, jinja/), this package's code, the Python packages of this
interpreter (copier, Jinja, ruff, check-jsonschema, ...), the external tools the checks run and
the references they read (checks.environment_key), and the interpreter of the Azure ML dry run.
The key hashes all of them; only passes are kept, so a failure is always found again.
"""

from __future__ import annotations

import hashlib
import json
import os
from importlib import metadata
from pathlib import Path

from mlops_scaffold.checks import environment_key, write_atomically
from mlops_scaffold.matrix.combinations import Combination

FOLDER = "render-passes"


def tier_key(template_dir: Path) -> str | None:
    """What every outcome of this invocation depends on, besides its answers; None when a tool a
    check runs is missing (its finding must not be remembered, and nothing passes without it)."""
    environment = environment_key()
    if environment is None:
        return None
    digest = hashlib.sha256(environment.encode())
    digest.update(_interpreter_packages().encode())
    digest.update(os.environ.get("MLOPS_SCAFFOLD_PROJECT_PYTHON", "").encode())
    for path in sorted(template_dir.rglob("*")):
        if path.is_file():
            digest.update(f"{path.relative_to(template_dir).as_posix()}\0".encode())
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def _interpreter_packages() -> str:
    return "\n".join(sorted(f"{dist.metadata['Name']}=={dist.version}" for dist in metadata.distributions()))


def _path(cache_dir: Path, key: str, combination: Combination) -> Path:
    answers = json.dumps(combination.answers, sort_keys=True, default=str)
    return cache_dir / FOLDER / f"{hashlib.sha256(f'{key}:{answers}'.encode()).hexdigest()}.json"


def remembered(cache_dir: Path, key: str | None, combination: Combination) -> dict[str, str] | None:
    """The content index of the combination's remembered pass, or None (not remembered, or unreadable)."""
    if key is None:
        return None
    try:
        index = json.loads(_path(cache_dir, key, combination).read_text())["index"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return index if isinstance(index, dict) else None


def remember(cache_dir: Path, key: str | None, combination: Combination, index: dict[str, str]) -> None:
    if key is None:
        return
    write_atomically(_path(cache_dir, key, combination), json.dumps({"id": combination.id, "index": index}))
