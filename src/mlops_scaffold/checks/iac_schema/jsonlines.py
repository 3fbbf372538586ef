"""The line of every value in a JSON document, by its path (keys and list indexes).

`json` forgets positions; findings must name the line, so this walks the text once with the
standard scanner and records where each value starts.
"""

from __future__ import annotations

import json
import re
from typing import Any

_SPACE = re.compile(r"\s*")
_DECODER = json.JSONDecoder()
Path = tuple[str | int, ...]


def value_lines(text: str) -> dict[Path, int]:
    """path -> 1-based line of the value (for object members, the line of the key)."""
    lines: dict[Path, int] = {}
    _walk(text, _SPACE.match(text, 0).end(), (), lines, None)
    return lines


def _line(text: str, index: int) -> int:
    return text.count("\n", 0, index) + 1


def _walk(text: str, index: int, path: Path, lines: dict[Path, int], key_index: int | None) -> int:
    """Record the value at `index` under `path`; return the index after it."""
    lines[path] = _line(text, key_index if key_index is not None else index)
    char = text[index]
    if char == "{":
        index = _SPACE.match(text, index + 1).end()
        if text[index] == "}":
            return index + 1
        while True:
            key_start = index
            key, index = json.decoder.scanstring(text, index + 1)
            index = _SPACE.match(text, index).end() + 1  # the colon
            index = _SPACE.match(text, index).end()
            index = _walk(text, index, (*path, key), lines, key_start)
            index = _SPACE.match(text, index).end()
            if text[index] == "}":
                return index + 1
            index = _SPACE.match(text, index + 1).end()  # the comma
    if char == "[":
        index = _SPACE.match(text, index + 1).end()
        if text[index] == "]":
            return index + 1
        position = 0
        while True:
            index = _walk(text, index, (*path, position), lines, None)
            index = _SPACE.match(text, index).end()
            if text[index] == "]":
                return index + 1
            index = _SPACE.match(text, index + 1).end()
            position += 1
    _value: Any
    _value, end = _DECODER.raw_decode(text, index)
    return end
