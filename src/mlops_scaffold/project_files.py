"""Reading a generated project: its text files, their parsed forms and its recorded answers.

`Project` reads each file of a rendering once and parses each YAML text once: the checks run by
`run_checks` (about sixty, many reading the same pipelines, IaC and answers) share one. Parsed
forms are also shared across projects by content, since the matrix's combinations repeat most
files. What `Project` hands out is shared: read it, never change it.
"""

from __future__ import annotations

import contextvars
import functools
from collections.abc import Iterator
from contextlib import contextmanager
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
    opened = _opened(project)
    if opened is not None:
        yield from opened.files()
        return
    yield from _scan(project)


def _scan(project: Path) -> Iterator[Path]:
    for path in sorted(project.rglob("*")):
        relative = path.relative_to(project)
        if path.is_file() and not _RUNTIME_DIRS.intersection(relative.parts[:-1]):
            yield path


def read_text(path: Path) -> str | None:
    """The file's text, or None for a binary file."""
    opened = _ACTIVE.get()
    if opened is not None and path.is_relative_to(opened.root):
        return opened.text(str(path.relative_to(opened.root)))
    return _read(path)


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        return None


# --- parsed once ----------------------------------------------------------------------------------


@functools.lru_cache(maxsize=4096)
def _parsed_yaml(text: str) -> tuple[Any, BaseException | None]:
    """`text` parsed as YAML, and the error parsing raised (returned, so it is cached too)."""
    try:
        return yamlio.load(text), None
    except Exception as error:  # the caller gets the parser's own error
        return None, error.with_traceback(None)  # no frames kept alive by the cache


def parse_yaml(text: str) -> Any:
    """`text` parsed as YAML, once per text in this process (shared: read only)."""
    value, error = _parsed_yaml(text)
    if error is not None:
        raise error
    return value


class Project:
    """A rendered project whose files are read once and parsed once (see the module's docstring).

    Texts and parses are cached for the object's life; a file changed after it was read is not
    seen again, so open one per run of the checks (`Project.opened`)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self._files: list[Path] | None = None
        self._globs: dict[str, list[Path]] = {}
        self._bytes: dict[str, bytes] = {}
        self._texts: dict[str, str | None] = {}

    @classmethod
    def of(cls, root: Path) -> Project:
        """The project opened for `root` (by `opened`), else a new one for this call alone."""
        return _opened(root) or cls(root)

    @classmethod
    @contextmanager
    def opened(cls, root: Path) -> Iterator[Project]:
        """Within the block, `Project.of(root)`, `iter_files` and `read_text` share one Project
        (the one already open for `root`, if any)."""
        project = _opened(root) or cls(root)
        token = _ACTIVE.set(project)
        try:
            yield project
        finally:
            _ACTIVE.reset(token)

    def files(self) -> list[Path]:
        """Every file (absolute paths, sorted), as `iter_files` lists them."""
        if self._files is None:
            self._files = list(_scan(self.root))
        return self._files

    def glob(self, pattern: str) -> list[Path]:
        """The files matching `pattern` (Path.glob's syntax), sorted."""
        if pattern not in self._globs:
            self._globs[pattern] = sorted(path for path in self.root.glob(pattern) if path.is_file())
        return self._globs[pattern]

    def data(self, relative: str) -> bytes:
        """The file's bytes. FileNotFoundError for a missing one."""
        if relative not in self._bytes:
            self._bytes[relative] = (self.root / relative).read_bytes()
        return self._bytes[relative]

    def text(self, relative: str) -> str | None:
        """The file's text; None for a binary file. FileNotFoundError for a missing one."""
        if relative not in self._texts:
            try:
                text = self.data(relative).decode("utf-8")
            except UnicodeDecodeError:
                text = None
            if text is not None and "\r" in text:  # as Path.read_text reads it: universal newlines
                text = text.replace("\r\n", "\n").replace("\r", "\n")
            self._texts[relative] = text
        return self._texts[relative]

    def yaml(self, relative: str) -> Any:
        """The file parsed as YAML (shared: read only); the parser's own error when it does not parse."""
        text = self.text(relative)
        if text is None:
            raise UnicodeDecodeError("utf-8", b"", 0, 1, f"{relative} is not text")
        return parse_yaml(text)


_ACTIVE: contextvars.ContextVar[Project | None] = contextvars.ContextVar("opened_project", default=None)


def _opened(root: Path) -> Project | None:
    opened = _ACTIVE.get()
    return opened if opened is not None and opened.root == Path(root) else None


def read_answers(project: Path) -> dict[str, Any]:
    """The answers recorded in the project's answers file, private `_` keys included."""
    data = Project.of(project).yaml(ANSWERS_FILE)
    if not isinstance(data, dict):
        raise ValueError(f"{ANSWERS_FILE} is not a mapping")
    return dict(data)  # the parse is shared; a caller may change its copy


def public_answers(answers: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in answers.items() if not key.startswith("_")}
