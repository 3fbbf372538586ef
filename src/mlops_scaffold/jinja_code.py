"""Compiled Jinja templates, kept across renderings and across processes.

copier builds a new Jinja environment for every rendering and compiles every path part, question
default, validator and file of the template again: about 300 compilations for one project, most
of a default `copier copy`'s own time. A template's compiled code depends only on its source, its
name, the environment's syntax settings and the versions of Python, Jinja and the extensions, so
it is kept in memory (per process) and on disk (like Python's `.pyc` files, marshalled, under the
cache root) under exactly that key. Not in the key: the file the source was read from, which only
names the code object's file for tracebacks; it is set on every code object handed out, because
copier reads each template from a new temporary clone.

A cache that cannot be read or written is skipped (a read-only install still renders).
"""

from __future__ import annotations

import hashlib
import marshal
import os
import sys
import tempfile
from collections.abc import Callable
from functools import cache
from importlib import metadata
from pathlib import Path
from types import CodeType
from typing import Any

import jinja2

_in_memory: dict[tuple[Any, ...], Any] = {}


def settings(env: jinja2.Environment) -> tuple[Any, ...]:
    """What of an environment changes the code Jinja compiles from a source."""
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
        f"{type(env).__module__}.{type(env).__qualname__}",
    )


@cache
def _versions() -> tuple[str, ...]:
    """Python's bytecode and marshal format, and the packages whose code generation or filters
    (looked up while compiling) the compiled code depends on."""
    found = []
    for package in ("jinja2", "copier", "jinja2-ansible-filters"):
        try:
            found.append(f"{package}=={metadata.version(package)}")
        except metadata.PackageNotFoundError:
            found.append(f"{package} absent")
    return (sys.implementation.cache_tag or sys.version, str(marshal.version), *found)


@cache
def cache_dir() -> Path:
    from mlops_scaffold.venvs import CACHE_ROOT  # $MLOPS_SCAFFOLD_CACHE, else .cache in the checkout

    return CACHE_ROOT / "jinja-code"


def _disk_path(key: tuple[Any, ...]) -> Path:
    digest = hashlib.sha256(repr((key, _versions())).encode("utf-8", "surrogatepass")).hexdigest()
    return cache_dir() / digest[:2] / f"{digest}.marshal"


def _load(path: Path) -> CodeType | None:
    try:
        code = marshal.loads(path.read_bytes())
    except (OSError, ValueError, EOFError, TypeError):
        return None  # absent, unreadable or truncated: compile again
    return code if isinstance(code, CodeType) else None


def _store(path: Path, code: CodeType) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        with os.fdopen(handle, "wb") as file:
            file.write(marshal.dumps(code))
        os.replace(temporary, path)  # atomic: a parallel reader sees the whole file or none
    except OSError:
        pass


def _named(code: CodeType, filename: str) -> CodeType:
    """`code` with `filename` as the file of it and of every function compiled inside it."""
    if code.co_filename == filename:
        return code
    consts = tuple(_named(const, filename) if isinstance(const, CodeType) else const for const in code.co_consts)
    return code.replace(co_filename=filename, co_consts=consts)


def compile_cached(
    compile_: Callable[..., Any],
    env: jinja2.Environment,
    source: str,
    name: str | None,
    filename: str | None,
    raw: bool,
    defer_init: bool,
) -> Any:
    """What `compile_(env, source, name, filename, raw, defer_init)` returns (Jinja's own
    `Environment.compile`), from the memory or disk cache when this source compiled before."""
    key = (source, name, raw, defer_init, settings(env))
    code = _in_memory.get(key)
    if code is None:
        path = None if raw else _disk_path(key)
        code = _load(path) if path is not None else None
        if code is None:
            code = compile_(env, source, name, filename, raw, defer_init)
            if path is not None:
                _store(path, code)
        _in_memory[key] = code
    return code if raw else _named(code, "<template>" if filename is None else filename)
