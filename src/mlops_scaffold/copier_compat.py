"""Every use of copier's internals, behind one door.

copier's public API is `run_copy`, `run_update` and `run_recopy`; what mlops-scaffold needs
beyond that (a Worker it can inspect before updating, the parsed copier.yml, copier's temporary
rendering of the previous version, three rendering speed-ups) lives here, each guarded: on a copier
without the internal, the feature degrades (no speed-up, no shortcut) or fails with one line,
and every patch is undone when its `with` block ends, so nothing stays patched process-wide.
tests/test_copier_compat.py keeps every other module off copier's private names.

Supported: the copier range in pyproject.toml; CI runs the fast tier on its lowest version.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache, wraps
from pathlib import Path
from typing import Any

import jinja2
import yaml
from copier import _main as _copier_main  # copier >= 9.10 keeps its internals in underscored modules

from mlops_scaffold.jinja_code import compile_cached

Worker = _copier_main.Worker


def raw_config(template: Any) -> dict[str, Any]:
    """The template's copier.yml as copier parsed it (with includes), before any rendering."""
    config = getattr(template, "_raw_config", None)
    if not isinstance(config, dict):
        raise RuntimeError("this copier does not expose the parsed copier.yml; use a version pyproject.toml allows")
    return config


def old_copies() -> list[Path]:
    """copier's own renderings of the previous template version (temporary folders that exist
    while an update runs), newest first. copier names them `copier*old_copy*`; none on a copier
    that names them otherwise, and then the caller renders the previous version itself."""
    candidates = Path(tempfile.gettempdir()).glob("copier*old_copy*")
    return sorted(candidates, key=lambda path: path.stat().st_mtime, reverse=True)


# --- fast rendering ------------------------------------------------------------------------------
# Profiling the matrix showed two costs that do not depend on the combination:
# - copier builds a new Jinja environment per rendering and compiles every default, `when`,
#   validator and file again. Compiled code depends only on the source and the environment's
#   syntax settings, so it is kept across renderings and processes (mlops_scaffold.jinja_code).
# - copier (>= 9.15) asks git for `core.fileMode` once per rendered file (~100 processes a
#   rendering) to keep a destination repository's index in sync; for a destination outside any git
#   repository that is a no-op, so it is skipped there.
# - copier parses copier.yml (a loader class derived from `yaml.SafeLoader`, made per rendering)
#   and every question's default (`yaml.safe_load`) with PyYAML's pure-Python parser: about 0.35 s
#   of a rendering. Both look `yaml.SafeLoader` up when they run, so pointing it at libyaml's
#   CSafeLoader (the same safe constructors and resolver, with libyaml's parser) parses the same
#   documents in C.
# - copier renders every part of every path through Jinja with a freshly built context (the
#   combined answers, the answers to remember) and computes the answers file's path the same way
#   for each file: about 1,300 renderings per project, nearly all of literal text such as
#   "src" or "train.py". A string with no Jinja delimiter and no line break renders to itself, so
#   it is returned as is (resetting the yield tag's state as Jinja's preprocessing would).


def _is_literal(env: jinja2.Environment, string: str) -> bool:
    """True when Jinja would render `string` to itself: no delimiter of `env` and no line break
    (Jinja normalises newlines and drops a trailing one)."""
    if env.line_statement_prefix or env.line_comment_prefix or "\n" in string or "\r" in string:
        return False
    markers = (env.block_start_string, env.variable_start_string, env.comment_start_string)
    return not any(marker in string for marker in markers)


def _reset_yield(env: jinja2.Environment) -> None:
    """What copier's yield extension does when Jinja preprocesses a source: forget the last yield."""
    try:
        from copier._jinja_ext import get_yield_context
    except ImportError:  # a copier without yield tags: nothing to reset
        return
    context = get_yield_context(env)
    context.yield_name = None
    context.yield_iterable = None


@cache
def _inside_git_repository(path: Path) -> bool:
    return any((parent / ".git").exists() for parent in (path, *path.parents))


@contextmanager
def fast_rendering() -> Iterator[None]:
    """Within the block, copier renders faster with identical output; on exit every patch is
    undone (the Jinja compile cache is kept: it is keyed by source and settings). Re-entrant."""
    original_compile = jinja2.Environment.compile
    original_safe_loader = yaml.SafeLoader

    @wraps(original_compile)
    def compile_once(self, source, name=None, filename=None, raw=False, defer_init=False):
        if not isinstance(source, str):
            return original_compile(self, source, name, filename, raw, defer_init)
        return compile_cached(original_compile, self, source, name, filename, raw, defer_init)

    original_sync = getattr(Worker, "_sync_git_index_executable_bit", None)  # copier >= 9.15 only
    original_render_string = Worker.__dict__.get("_render_string")
    original_answers_relpath = Worker.__dict__.get("answers_relpath")
    jinja2.Environment.compile = compile_once  # type: ignore[method-assign]
    if callable(original_render_string):

        @wraps(original_render_string)
        def render_string(self, string, extra_context=None):
            if isinstance(string, str) and _is_literal(self.jinja_env, string):
                _reset_yield(self.jinja_env)
                return string
            return original_render_string(self, string, extra_context)

        Worker._render_string = render_string
    if isinstance(original_answers_relpath, property) and original_answers_relpath.fget is not None:
        compute_answers_relpath = original_answers_relpath.fget

        def answers_relpath(self):
            path = str(getattr(self, "answers_file", None) or self.template.answers_relpath)
            if _is_literal(self.jinja_env, path):
                return Path(path)
            return compute_answers_relpath(self)

        Worker.answers_relpath = property(answers_relpath, doc=original_answers_relpath.__doc__)
    if getattr(yaml, "__with_libyaml__", False):
        yaml.SafeLoader = yaml.CSafeLoader  # type: ignore[misc]
    if original_sync is not None:

        @wraps(original_sync)
        def sync_only_in_git(self, dst_relpath, src_mode):
            if _inside_git_repository(Path(self.subproject.local_abspath).resolve()):
                original_sync(self, dst_relpath, src_mode)

        Worker._sync_git_index_executable_bit = sync_only_in_git
    try:
        yield
    finally:
        jinja2.Environment.compile = original_compile  # type: ignore[method-assign]
        yaml.SafeLoader = original_safe_loader  # type: ignore[misc]
        if original_sync is not None:
            Worker._sync_git_index_executable_bit = original_sync
        if original_render_string is not None:
            Worker._render_string = original_render_string
        if original_answers_relpath is not None:
            Worker.answers_relpath = original_answers_relpath
