"""The generated scoring service's limits and benchmark hooks agree across the files that state them."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from mlops_scaffold.traits.values import SCORING_IMAGE, values_with


def test_bench_serve_writes_its_figures_under_outputs_not_into_a_tracked_file(render: Callable[..., Path]) -> None:
    project = render()
    makefile = (project / "Makefile").read_text()
    assert re.search(r"^bench-serve:", makefile, re.MULTILINE)
    assert "--output $(OUT)/bench_serve.json" in makefile and re.search(r"^OUT \?= outputs$", makefile, re.MULTILINE)
    assert "outputs/" in (project / ".gitignore").read_text().splitlines()
    assert "--docs" not in makefile and "bench-serve -->" not in (project / "docs" / "local_loop.md").read_text()


def test_the_scoring_image_has_the_local_server_defaults(render: Callable[..., Path]) -> None:
    project = render(deployment_targets=list(values_with("deployment_targets", SCORING_IMAGE)))
    dockerfile = (project / "environments" / "scoring-image" / "Dockerfile").read_text()
    serve_local = (project / "diabetes_regression" / "util" / "serve_local.py").read_text()
    defaults = dict(re.findall(r'"(\w+)": "(\d+)"', serve_local.split("SERVER_DEFAULTS = ", 1)[1].split("}", 1)[0]))
    assert defaults == {"WORKER_COUNT": "2", "WORKER_TIMEOUT": "30", "SCORING_TIMEOUT_MS": "5000"}
    for name, value in defaults.items():
        assert re.search(rf"\b{name}={value}\b", dockerfile), name
