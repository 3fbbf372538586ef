"""Memoised Jinja compilation for rendering many combinations in one process.

copier builds a new Jinja environment per rendering and compiles every default, `when`,
validator and file again; profiling the matrix showed compilation as the largest cost. The
compiled code depends only on the source and the environment's syntax settings, so it is reused
across renderings with identical settings. Rendering itself (and so its output) is unchanged.
"""

from __future__ import annotations

from typing import Any

import jinja2

_original_compile = jinja2.Environment.compile
_compiled: dict[tuple[Any, ...], Any] = {}


def _settings(env: jinja2.Environment) -> tuple[Any, ...]:
    return (
        env.block_start_string,
        env.block_end_string,
        env.variable_start_string,
        env.variable_end_string,
        env.comment_start_string,
        env.comment_end_string,
        env.line_statement_prefix,
        env.line_comment_prefix,
        env.trim_blocks,
        env.lstrip_blocks,
        env.newline_sequence,
        env.keep_trailing_newline,
        env.optimized,
        env.is_async,
        tuple(sorted(env.extensions)),
        type(env),
    )


def _compile(self, source, name=None, filename=None, raw=False, defer_init=False):
    if not isinstance(source, str):
        return _original_compile(self, source, name, filename, raw, defer_init)
    key = (source, name, filename, raw, defer_init, _settings(self))
    if key not in _compiled:
        _compiled[key] = _original_compile(self, source, name, filename, raw, defer_init)
    return _compiled[key]


def enable() -> None:
    """Memoise jinja2 compilation in this process (idempotent)."""
    jinja2.Environment.compile = _compile  # type: ignore[method-assign]
