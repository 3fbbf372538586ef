"""Reading a generated project: its text files and its recorded answers."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from mlops_scaffold import yamlio

ANSWERS_FILE = ".copier-answers.yml"
# Folders a project run creates (venvs, caches, outputs); never part of what the template renders.
_RUNTIME_DIRS = {
    ".git",
    ".venv",
    "build",
    "outputs",
    "mlruns",
    "__pycache__",
    ".pytest_cache",
    ".ruff_cache",
    ".terraform",
}


def iter_files(project: Path) -> Iterator[Path]:
    """Every file of the rendered project, skipping what running it creates."""
    for path in sorted(project.rglob("*")):
        relative = path.relative_to(project)
        if path.is_file() and not _RUNTIME_DIRS.intersection(relative.parts[:-1]):
            yield path


def read_text(path: Path) -> str | None:
    """The file's text, or None for a binary file."""
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        return None


def read_answers(project: Path) -> dict[str, Any]:
    """The answers recorded in the project's answers file, private `_` keys included."""
    data = yamlio.load((project / ANSWERS_FILE).read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ValueError(f"{ANSWERS_FILE} is not a mapping")
    return data


def public_answers(answers: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in answers.items() if not key.startswith("_")}
