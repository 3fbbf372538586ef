"""The shared project venvs: built with uv when it is installed, with pip otherwise."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlops_scaffold import venvs


@pytest.mark.parametrize("installer", ["uv", "pip"])
def test_ensure_venv_builds_once_and_installs_the_requirements(installer, tmp_path, monkeypatch, capsys):
    if installer == "pip":
        monkeypatch.setattr(venvs, "find_uv", lambda: None)
    elif venvs.find_uv() is None:
        pytest.fail("uv is a dev dependency: `make install` puts it beside this interpreter")
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("six==1.16.0\n")
    version = "3.11" if _has("3.11") else _running()
    venv = venvs.ensure_venv(version, requirements, cache_root=tmp_path / "cache")
    assert (venv / "bin" / "python").is_file()
    assert (venv / ".requirements.txt").read_text() == requirements.read_text()
    assert list((venv / "lib").glob("python3.*/site-packages/six.py")), "six was not installed"
    assert list((venv / "lib").glob("python3.*/site-packages/pip")), "the venv has no pip for `make install`"
    assert f"with {installer} in" in capsys.readouterr().err
    # a second call reuses the venv without building it again
    assert venvs.ensure_venv(version, requirements, tmp_path / "cache", compiled=False) == venv
    assert "building" not in capsys.readouterr().err


def test_a_venv_is_compiled_to_bytecode_once_when_asked(tmp_path, monkeypatch, capsys):
    """Under PYTHONDONTWRITEBYTECODE (the run tier, many CI machines) no process writes bytecode:
    unless the venv has it, every import compiles its sources again."""
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("six==1.16.0\n")
    version = "3.11" if _has("3.11") else _running()
    monkeypatch.delenv("PYTHONDONTWRITEBYTECODE", raising=False)
    venv = venvs.ensure_venv(version, requirements, cache_root=tmp_path / "cache")
    bytecode = "python3.*/site-packages/__pycache__/six.*.pyc"
    if venvs.find_uv() is not None:  # pip compiles as it installs; uv does not
        assert not list((venv / "lib").glob(bytecode)), "compiled although nobody asked"
    capsys.readouterr()
    monkeypatch.setenv("PYTHONDONTWRITEBYTECODE", "1")  # the default follows the environment
    assert venvs.ensure_venv(version, requirements, cache_root=tmp_path / "cache") == venv
    assert list((venv / "lib").glob(bytecode)), "six.py was not compiled"
    assert "compiled" in capsys.readouterr().err
    assert venvs.ensure_venv(version, requirements, cache_root=tmp_path / "cache", compiled=True) == venv
    assert capsys.readouterr().err == "", "compiled twice"


def _has(version: str) -> bool:
    try:
        venvs.find_python(version)
    except venvs.InterpreterNotFound:
        return False
    return True


def _running() -> str:
    import sys

    return f"{sys.version_info.major}.{sys.version_info.minor}"


def test_find_uv_prefers_the_one_beside_the_interpreter(tmp_path, monkeypatch):
    (tmp_path / "python").touch()
    (tmp_path / "uv").touch()
    monkeypatch.setattr(venvs.sys, "executable", str(tmp_path / "python"))
    assert venvs.find_uv() == str(Path(tmp_path / "uv"))
