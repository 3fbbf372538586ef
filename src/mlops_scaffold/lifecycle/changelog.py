"""CHANGELOG.md (Keep a Changelog) as data: which entries lie between two template versions."""

from __future__ import annotations

import re
from dataclasses import dataclass

from packaging.version import InvalidVersion, Version

HEADING = re.compile(r"^## \[(?P<version>[^\]]+)\](?P<rest>.*)$")


@dataclass(frozen=True)
class Entry:
    version: str
    heading: str  # the whole `## [x.y.z] - date` line
    body: str  # everything up to the next release heading, stripped

    def __str__(self) -> str:
        return f"{self.heading}\n{self.body}".rstrip()


def parse(text: str) -> list[Entry]:
    """Release entries in file order (newest first); `[Unreleased]` is skipped."""
    entries: list[Entry] = []
    current: tuple[str, str] | None = None
    body: list[str] = []

    def close() -> None:
        if current is not None:
            entries.append(Entry(current[0], current[1], "\n".join(body).strip()))

    for line in text.splitlines():
        match = HEADING.match(line)
        if match:
            close()
            current, body = (match["version"], line), []
        elif line.startswith("[") and "]: " in line:
            continue  # link reference definitions at the end of the file
        elif current is not None:
            body.append(line)
    close()
    return [entry for entry in entries if _version(entry.version) is not None]


def _version(text: str | None) -> Version | None:
    try:
        return Version(str(text)) if text else None
    except InvalidVersion:
        return None


def between(text: str, old: str | None, new: str | None) -> list[Entry]:
    """Entries with old < version <= new (all up to `new` when `old` is unknown), newest first."""
    low, high = _version(old), _version(new)
    selected = []
    for entry in parse(text):
        version = _version(entry.version)
        if (high is None or version <= high) and (low is None or version > low):
            selected.append(entry)
    return selected
