"""Safe YAML loading through libyaml when PyYAML was built with it, else PyYAML's pure-Python
loader: the render tier's checks parse every generated pipeline several times per combination,
and the pure-Python parser was about 40% of their time. Same node and error types either way
(marks carry line numbers; the C parser leaves out the source snippet)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import yaml

SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load(text: str) -> Any:
    return yaml.load(text, Loader=SafeLoader)


def load_all(text: str) -> Iterator[Any]:
    return yaml.load_all(text, Loader=SafeLoader)


def compose(text: str) -> yaml.Node | None:
    return yaml.compose(text, Loader=SafeLoader)


def scan(text: str) -> Iterator[yaml.Token]:
    return yaml.scan(text, Loader=SafeLoader)
