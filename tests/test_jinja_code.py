"""The compiled-template cache (mlops_scaffold.jinja_code): the same code as Jinja compiles, named
after the file it was asked for, kept on disk across processes, and never trusted blindly."""

from __future__ import annotations

from pathlib import Path
from types import CodeType

import jinja2
import pytest

from mlops_scaffold import jinja_code

SOURCE = "{% macro greet(who) %}Hello {{ who }}{% endmacro %}{{ greet(name) }}{% for i in range(2) %}.{% endfor %}"


class CountingCompile:
    """Jinja's own compile, counting the calls that reach it."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, env, source, name, filename, raw, defer_init):
        self.calls += 1
        return jinja2.Environment.compile(env, source, name, filename, raw, defer_init)


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(jinja_code, "cache_dir", lambda: tmp_path / "jinja-code")
    monkeypatch.setattr(jinja_code, "_in_memory", {})
    return tmp_path / "jinja-code"


def render(env: jinja2.Environment, code: CodeType) -> str:
    return env.template_class.from_code(env, code, env.make_globals(None), None).render(name="you")


def code_files(code: CodeType) -> set[str]:
    nested = (const for const in code.co_consts if isinstance(const, CodeType))
    return {code.co_filename}.union(*(code_files(inner) for inner in nested))


def test_cached_code_renders_as_jinja_and_carries_the_asked_filename(cache_dir: Path) -> None:
    env, compile_ = jinja2.Environment(), CountingCompile()
    first = jinja_code.compile_cached(compile_, env, SOURCE, "t.jinja", "/clone-1/t.jinja", False, False)
    second = jinja_code.compile_cached(compile_, env, SOURCE, "t.jinja", "/clone-2/t.jinja", False, False)
    assert compile_.calls == 1  # another clone of the same template: not compiled again
    assert render(env, second) == render(env, first) == env.from_string(SOURCE).render(name="you") == "Hello you.."
    assert code_files(first) == {"/clone-1/t.jinja"}
    assert code_files(second) == {"/clone-2/t.jinja"}  # the macro's code object too, for tracebacks
    unnamed = jinja_code.compile_cached(compile_, env, SOURCE, "t.jinja", None, False, False)
    assert code_files(unnamed) == {"<template>"}  # what Jinja names code without a file


def test_a_new_process_loads_the_code_from_disk(cache_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    env, compile_ = jinja2.Environment(), CountingCompile()
    jinja_code.compile_cached(compile_, env, SOURCE, "t.jinja", "t.jinja", False, False)
    assert len(list(cache_dir.rglob("*.marshal"))) == 1
    monkeypatch.setattr(jinja_code, "_in_memory", {})  # what a new process starts with
    loaded = jinja_code.compile_cached(compile_, env, SOURCE, "t.jinja", "t.jinja", False, False)
    assert compile_.calls == 1
    assert render(env, loaded) == "Hello you.."


# What differs from the first compilation: environment options, source suffix, template name.
CHANGES = {
    "source": ({}, "!", "t.jinja"),
    "name": ({}, "", "other.jinja"),
    "settings": ({"trim_blocks": True}, "", "t.jinja"),
    "delimiters": ({"variable_start_string": "[["}, "", "t.jinja"),
    "extension": ({"extensions": ["jinja2.ext.do"]}, "", "t.jinja"),
}


@pytest.mark.parametrize("change", CHANGES.values(), ids=CHANGES.keys())
def test_what_changes_the_code_compiles_again(cache_dir: Path, monkeypatch: pytest.MonkeyPatch, change) -> None:
    compile_ = CountingCompile()
    jinja_code.compile_cached(compile_, jinja2.Environment(), SOURCE, "t.jinja", "t.jinja", False, False)
    monkeypatch.setattr(jinja_code, "_in_memory", {})
    options, suffix, name = change
    env = jinja2.Environment(**options)
    code = jinja_code.compile_cached(compile_, env, SOURCE + suffix, name, "t.jinja", False, False)
    assert compile_.calls == 2
    assert render(env, code) == env.from_string(SOURCE + suffix).render(name="you")


def test_another_python_or_jinja_does_not_share_the_disk_cache(
    cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env, compile_ = jinja2.Environment(), CountingCompile()
    jinja_code.compile_cached(compile_, env, SOURCE, "t.jinja", "t.jinja", False, False)
    monkeypatch.setattr(jinja_code, "_in_memory", {})
    monkeypatch.setattr(jinja_code, "_versions", lambda: ("cpython-399", "jinja2==9.9"))
    jinja_code.compile_cached(compile_, env, SOURCE, "t.jinja", "t.jinja", False, False)
    assert compile_.calls == 2
    assert len(list(cache_dir.rglob("*.marshal"))) == 2


@pytest.mark.parametrize("damage", [b"", b"\x00garbage", 42])
def test_a_damaged_entry_is_compiled_again(cache_dir: Path, monkeypatch: pytest.MonkeyPatch, damage) -> None:
    """Truncated, garbage, or a marshalled value that is not code (42): all ignored."""
    import marshal

    env, compile_ = jinja2.Environment(), CountingCompile()
    jinja_code.compile_cached(compile_, env, SOURCE, "t.jinja", "t.jinja", False, False)
    (entry,) = cache_dir.rglob("*.marshal")
    entry.write_bytes(damage if isinstance(damage, bytes) else marshal.dumps(damage))
    monkeypatch.setattr(jinja_code, "_in_memory", {})
    code = jinja_code.compile_cached(compile_, env, SOURCE, "t.jinja", "t.jinja", False, False)
    assert compile_.calls == 2
    assert render(env, code) == "Hello you.."


def test_an_unwritable_cache_still_compiles(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("a file where the cache folder would be")
    monkeypatch.setattr(jinja_code, "cache_dir", lambda: blocked / "jinja-code")
    monkeypatch.setattr(jinja_code, "_in_memory", {})
    env, compile_ = jinja2.Environment(), CountingCompile()
    code = jinja_code.compile_cached(compile_, env, SOURCE, "t.jinja", "t.jinja", False, False)
    assert render(env, code) == "Hello you.."


def test_raw_python_source_is_not_written_to_disk(cache_dir: Path) -> None:
    env, compile_ = jinja2.Environment(), CountingCompile()
    source = jinja_code.compile_cached(compile_, env, SOURCE, "t.jinja", "t.jinja", True, False)
    assert isinstance(source, str) and "def root" in source
    assert not cache_dir.exists()


def test_the_default_cache_is_under_the_cache_root() -> None:
    """Out of the source tree: .cache (git-ignored) or $MLOPS_SCAFFOLD_CACHE."""
    from mlops_scaffold.venvs import CACHE_ROOT

    assert jinja_code.cache_dir() == CACHE_ROOT / "jinja-code"
