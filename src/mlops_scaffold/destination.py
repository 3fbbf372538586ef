"""Where `mlops-scaffold new` may write: checked before anything is written.

A destination is a new or empty folder that can be written. A non-empty folder needs
`--overwrite`, and even then every existing file the rendering replaces with different content is
listed, so a change of the user's is never lost silently. copier's own "Overwrite X? [Y/n]"
prompt (Yes by default) is never reached: without --overwrite we refuse first.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from mlops_scaffold.project_files import iter_files


class DestinationError(Exception):
    """The destination cannot be used; str() is the one-line message."""


def _nearest_existing(path: Path) -> Path:
    for candidate in (path, *path.parents):
        if candidate.exists() or candidate.is_symlink():
            return candidate
    return Path("/")


def check_destination(dest: Path, overwrite: bool = False) -> None:
    """Raise DestinationError unless `dest` is a new or empty writable folder (or `overwrite`)."""
    existing = _nearest_existing(dest)
    if existing == dest:
        if not dest.is_dir():
            raise DestinationError(f"{dest}: exists and is not a folder; choose a new or empty folder")
        if not overwrite and any(dest.iterdir()):
            raise DestinationError(
                f"{dest}: folder is not empty; choose a new or empty folder, or pass --overwrite to render over it"
            )
    elif not existing.is_dir():
        raise DestinationError(f"{dest}: {existing} is not a folder")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise DestinationError(f"{dest}: {existing} is not writable")


def snapshot(dest: Path) -> dict[str, str]:
    """The digest of every file already in `dest`, to tell afterwards which ones were replaced."""
    if not dest.is_dir():
        return {}
    return {str(path.relative_to(dest)): _digest(path) for path in iter_files(dest) if path.is_file()}


def replaced_files(dest: Path, before: dict[str, str]) -> list[str]:
    """Files of `before` whose content is different now (or that are gone)."""
    return sorted(
        name for name, digest in before.items() if not (dest / name).is_file() or _digest(dest / name) != digest
    )


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()
