"""A small parser of ARM template expressions (`[concat(parameters('a'), '-x')]`) into calls,
literals and property accesses, with helpers to walk a template's strings and to read a resource
name as comparable segments. The ARM checks use it to find the parameters, variables, resourceIds
and per-run functions an expression names, which a text search would get wrong inside nested calls.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

_TOKEN = re.compile(r"\s*(?:(?P<str>'(?:[^']|'')*')|(?P<num>-?\d+)|(?P<name>[A-Za-z_][\w]*)|(?P<punct>[(),.\[\]]))")


@dataclass(frozen=True)
class Call:
    """A function call in an ARM expression: name and arguments (Call, str literal, int or Ref)."""

    name: str
    args: tuple[Any, ...]

    def text(self) -> str:
        return f"{self.name}({', '.join(_node_text(arg) for arg in self.args)})"


@dataclass(frozen=True)
class Ref:
    """Property access or indexing on an expression: `reference(...).loginServer`."""

    base: Any
    member: Any


def _node_text(node: Any) -> str:
    if isinstance(node, Call):
        return node.text()
    if isinstance(node, Ref):
        return f"{_node_text(node.base)}.{_node_text(node.member)}"
    if isinstance(node, str):
        return "'" + node.replace("'", "''") + "'"
    return str(node)


class ExpressionError(ValueError):
    pass


def parse_expression(source: str) -> Any:
    """Parse the body of an ARM template expression (the text between `[` and `]`)."""
    tokens: list[tuple[str, str]] = []
    position = 0
    while position < len(source):
        if source[position:].strip() == "":
            break
        match = _TOKEN.match(source, position)
        if match is None:
            raise ExpressionError(f"cannot parse {source[position:]!r}")
        kind = match.lastgroup or ""
        tokens.append((kind, match.group(kind)))
        position = match.end()
    node, rest = _parse_primary(tokens, 0)
    if rest != len(tokens):
        raise ExpressionError(f"unexpected {tokens[rest][1]!r} in {source!r}")
    return node


def _parse_primary(tokens: list[tuple[str, str]], index: int) -> tuple[Any, int]:
    if index >= len(tokens):
        raise ExpressionError("unexpected end of expression")
    kind, value = tokens[index]
    if kind == "str":
        node: Any = value[1:-1].replace("''", "'")
        index += 1
    elif kind == "num":
        node, index = int(value), index + 1
    elif kind == "name" and index + 1 < len(tokens) and tokens[index + 1][1] == "(":
        args: list[Any] = []
        index += 2
        while tokens[index][1] != ")":
            arg, index = _parse_primary(tokens, index)
            args.append(arg)
            if tokens[index][1] == ",":
                index += 1
        node, index = Call(value, tuple(args)), index + 1
    else:
        raise ExpressionError(f"unexpected {value!r}")
    while index < len(tokens) and tokens[index][1] in {".", "["}:
        if tokens[index][1] == ".":
            node, index = Ref(node, tokens[index + 1][1]), index + 2
        else:
            member, index = _parse_primary(tokens, index + 1)
            node, index = Ref(node, member), index + 1
    return node, index


def _calls(node: Any) -> Iterator[Call]:
    if isinstance(node, Call):
        yield node
        for arg in node.args:
            yield from _calls(arg)
    elif isinstance(node, Ref):
        yield from _calls(node.base)
        yield from _calls(node.member)


def _strings(value: Any, where: str = "") -> Iterator[tuple[str, str]]:
    """Every string in a JSON value, with a dotted path of where it sits."""
    if isinstance(value, str):
        yield where, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(item, f"{where}.{key}" if where else key)
    elif isinstance(value, list):
        for position, item in enumerate(value):
            yield from _strings(item, f"{where}[{position}]")


def _expression(value: str) -> Any | None:
    """The parsed expression of an ARM string, or None for a literal string."""
    if value.startswith("[") and value.endswith("]") and not value.startswith("[["):
        return parse_expression(value[1:-1])
    return None


def _name_segments(name: str) -> tuple[str, ...]:
    """A resource name as comparable segments: "[format('{0}/{1}', a, b)]" -> (a, b)."""
    node = _expression(name)
    if node is None:
        return tuple(_node_text(part) for part in name.split("/"))
    if isinstance(node, Call) and node.name == "format" and isinstance(node.args[0], str):
        segments = []
        for part in node.args[0].split("/"):
            placeholder = re.fullmatch(r"\{(\d+)\}", part)
            segments.append(_node_text(node.args[1 + int(placeholder.group(1))]) if placeholder else _node_text(part))
        return tuple(segments)
    return (_node_text(node),)
