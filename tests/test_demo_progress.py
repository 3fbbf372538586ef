"""`make demo` says what each step of the local loop does, how far it is, and what it took (issue 16)."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlops_scaffold import demo


def test_every_demo_step_is_announced_with_its_place_and_time(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert set(demo.STEP_SAYS) == set(demo.STEPS)
    monkeypatch.setattr(demo, "render_project", lambda dest, answers, vcs_ref: dest.mkdir(parents=True))
    monkeypatch.setattr(demo, "ensure_venv", lambda version, requirements: tmp_path / "venv")
    monkeypatch.setattr(demo, "shared_requirements", lambda python_version: tmp_path / "requirements.txt")
    monkeypatch.setattr(demo, "_make", lambda project, venv, step, log: 1.5)
    with pytest.raises(FileNotFoundError):  # the summary reads outputs the stubbed steps never wrote
        demo.run_demo(tmp_path / "demo")
    out = capsys.readouterr().out
    for number, step in enumerate(demo.STEPS, start=1):
        assert f"==> [{number}/{len(demo.STEPS)}] make {step} ({demo.STEP_SAYS[step]}; log " in out
        assert f"    make {step} done in 1.5 s" in out
    assert "    ready in " in out
