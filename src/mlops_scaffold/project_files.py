"""Reading a generated project: its text files, their parsed forms and its recorded answers.

`Project` reads each file of a rendering once and parses each YAML text once: the checks run by
`run_checks` (about sixty, many reading the same pipelines, IaC and answers) share one. Parsed
forms are also shared across projects by content, since the matrix's combinations repeat most
files. What `Project` hands out is shared: read it, never change it.
"""

from __future__ import annotations

import contextvars
import functools
import hashlib
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from mlops_scaffold import yamlio

ANSWERS_FILE = ".copier-answers.yml"
# Folders a project run creates (venvs, caches, outputs); never part of what the template renders.
RUNTIME_DIRS = frozenset(
    {
        ".git",
        ".venv",
        "build",
        "outputs",
        "mlruns",
        "__pycache__",
        ".pytest_cache",
        ".ruff_cache",
        ".terraform",
        "venv",
        "node_modules",
    }
)


def iter_files(project: Path) -> Iterator[Path]:
    """Every file of the rendered project, skipping what running it creates."""
    opened = _opened(project)
    if opened is not None:
        yield from opened.files()
        return
    yield from _scan(project)


def _scan(project: Path) -> Iterator[Path]:
    for path, _ in _walk(project)[0]:
        yield path


def _walk(project: Path) -> tuple[list[tuple[Path, str]], frozenset[str]]:
    """The files under `project` (absolute, and relative POSIX), sorted as sorted(Path.rglob)
    sorts them, and its folders (relative, POSIX), never entering a runtime folder (a user's
    .venv holds thousands of files no check reads)."""
    found: list[tuple[str, ...]] = []
    folders: set[str] = set()
    for folder, subfolders, files in os.walk(project):
        subfolders[:] = [name for name in subfolders if name not in RUNTIME_DIRS]
        parts = tuple(Path(folder).relative_to(project).parts)
        if parts:
            folders.add("/".join(parts))
        found.extend((*parts, name) for name in files if os.path.isfile(os.path.join(folder, name)))
    return [(project.joinpath(*parts), "/".join(parts)) for parts in sorted(found)], frozenset(folders)


@functools.lru_cache(maxsize=256)
def _glob_regex(pattern: str) -> re.Pattern[str]:
    """`pattern` in Path.glob's syntax (`**` any folders, `*`/`?`/`[...]` within one name) as a
    regex over a file's relative POSIX path. A trailing `**` matches every file beneath."""
    pieces = [_segment_regex(segment) for segment in pattern.split("/")]
    if pattern.split("/")[-1] == "**":
        pieces.append("[^/]+")
    return re.compile("".join(pieces).removesuffix("/"))


def _segment_regex(segment: str) -> str:
    if segment == "**":
        return "(?:[^/]+/)*"
    translated, index = "", 0
    while index < len(segment):
        char = segment[index]
        closing = segment.find("]", index + 2) if char == "[" else -1
        if char == "*":
            translated += "[^/]*"
        elif char == "?":
            translated += "[^/]"
        elif closing != -1:  # a character class, `[!...]` negated as in fnmatch
            body = segment[index + 1 : closing]
            translated += "[" + ("^" + body[1:] if body.startswith("!") else body) + "]"
            index = closing
        else:
            translated += re.escape(char)
        index += 1
    return translated + "/"


def _normal(relative: str) -> str:
    return os.path.normpath(relative).replace(os.sep, "/")


def _outside(normal: str) -> bool:
    """A path the listing cannot answer for: the root itself, above it, or absolute."""
    return normal in (".", "..") or normal.startswith(("../", "/"))


def read_text(path: Path) -> str | None:
    """The file's text, or None for a binary file."""
    opened = _ACTIVE.get()
    if opened is not None and path.is_relative_to(opened.root):
        return opened.text(str(path.relative_to(opened.root)))
    return _read(path)


def universal_newlines(text: str) -> str:
    """`text` with its line breaks as Path.read_text reads them."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def text_of(path: Path) -> str:
    """The file's text as Path.read_text gives it (UnicodeDecodeError for a binary file), from
    the opened Project when there is one."""
    text = read_text(path)
    return path.read_text(encoding="utf-8") if text is None else text


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
        self._relative: list[tuple[Path, str]] | None = None
        self._folders: frozenset[str] = frozenset()
        self._names: frozenset[str] | None = None
        self._digests: dict[str, str] = {}
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
            self._relative, self._folders = _walk(self.root)
            self._files = [path for path, _ in self._relative]
        return self._files

    def is_dir(self, relative: str) -> bool:
        """`relative` (POSIX, from the root) is a folder of the listing: no stat per question."""
        normal = _normal(relative)
        if _outside(normal):
            return (self.root / relative).is_dir()
        self.files()
        return normal in self._folders

    def is_file(self, relative: str) -> bool:
        normal = _normal(relative)
        if _outside(normal):
            return (self.root / relative).is_file()
        return normal in self._file_names()

    def exists(self, relative: str) -> bool:
        return self.is_file(relative) or self.is_dir(relative)

    def _file_names(self) -> frozenset[str]:
        if self._names is None:
            self._names = frozenset(relative for _, relative in self._relative_files())
        return self._names

    def glob(self, pattern: str) -> list[Path]:
        """The files matching `pattern` (Path.glob's syntax), sorted; matched against `files()`,
        so without walking the folders again and never inside a runtime folder."""
        if pattern not in self._globs:
            matches = _glob_regex(pattern).fullmatch
            self._globs[pattern] = [path for path, relative in self._relative_files() if matches(relative)]
        return self._globs[pattern]

    def _relative_files(self) -> list[tuple[Path, str]]:
        self.files()
        return self._relative  # type: ignore[return-value]  # set by files()

    def data(self, relative: str) -> bytes:
        """The file's bytes. FileNotFoundError for a missing one."""
        if relative not in self._bytes:
            self._bytes[relative] = (self.root / relative).read_bytes()
        return self._bytes[relative]

    def digest(self, relative: str) -> str:
        """The sha256 of the file's bytes, once per file: many checks' cache keys share files."""
        if relative not in self._digests:
            self._digests[relative] = hashlib.sha256(self.data(relative)).hexdigest()
        return self._digests[relative]

    def text(self, relative: str) -> str | None:
        """The file's text; None for a binary file. FileNotFoundError for a missing one."""
        if relative not in self._texts:
            try:
                text = self.data(relative).decode("utf-8")
            except UnicodeDecodeError:
                text = None
            if text is not None and "\r" in text:
                text = universal_newlines(text)
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
    if opened is None:
        return None
    return opened if opened.root == (root if isinstance(root, Path) else Path(root)) else None


def read_answers(project: Path) -> dict[str, Any]:
    """The answers recorded in the project's answers file, private `_` keys included."""
    data = Project.of(project).yaml(ANSWERS_FILE)
    if not isinstance(data, dict):
        raise ValueError(f"{ANSWERS_FILE} is not a mapping")
    return dict(data)  # the parse is shared; a caller may change its copy


def recorded_answers(project: Path) -> dict[str, Any]:
    """The answers file as a mapping, or {} when there is none (a check runs on any folder)."""
    if not (project / ANSWERS_FILE).is_file():
        return {}
    data = Project.of(project).yaml(ANSWERS_FILE)
    return dict(data) if isinstance(data, dict) else {}


def public_answers(answers: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in answers.items() if not key.startswith("_")}
