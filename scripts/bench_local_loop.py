"""Benchmark of the generated project's local loop: seconds from `copier copy` to a passing smoke test.

Each run renders the default project into a fresh folder and times, one make target at a time:
copy -> install -> train -> smoke-test (-> batch-score, reported apart). The loop figure is
copy + train + smoke-test; installs are reported separately because they depend on the network
and the pip cache, not on the project. Installs use the shared, cached venv of the test suite
(tests/project_venv.py), so `make install` takes its fast path; `--cold-install` also times one
`pip install -r requirements.txt` into a brand-new venv.

    python scripts/bench_local_loop.py [--runs 3] [--cold-install] [--json results.json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO_ROOT / "src"), str(REPO_ROOT)]

from mlops_scaffold.render import render_project  # noqa: E402
from mlops_scaffold.venvs import shared_requirements  # noqa: E402
from tests.project_venv import project_venv  # noqa: E402

LOOP = ("copy", "train", "smoke-test")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def cpu_seconds() -> float:
    """CPU time (user + system) of finished child processes: less sensitive to a busy machine."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(step: str, command: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if result.returncode:
        sys.exit(f"{step} failed in {cwd}:\n{(result.stdout + result.stderr)[-4000:]}")
    return seconds


def one_run(workdir: Path, venv: Path) -> dict[str, float]:
    project = workdir / "project"
    times: dict[str, float] = {}
    cpu_start = cpu_seconds()
    start = time.perf_counter()
    render_project(project, template=REPO_ROOT, vcs_ref="HEAD")
    times["copy"] = time.perf_counter() - start
    make = ["make", f"VENV={venv}", f"PORT={free_port()}"]
    for target in ("install", "train", "smoke-test"):
        times[target] = timed(target, [*make, target], project)
    times["loop"] = sum(times[step] for step in LOOP)
    times["loop_cpu"] = cpu_seconds() - cpu_start  # the copy runs in this process: not counted
    times["batch-score"] = timed("batch-score", [*make, "batch-score"], project)
    return times


def cold_install(requirements: Path, workdir: Path) -> float:
    venv = workdir / "cold-venv"
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "-r", str(requirements)], check=True)
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--cold-install", action="store_true", help="also time one install into a new venv")
    parser.add_argument("--json", type=Path, help="write the raw results here")
    args = parser.parse_args(argv)

    requirements = shared_requirements()
    start = time.perf_counter()
    venv = project_venv(requirements)
    print(f"shared venv {venv} ready in {time.perf_counter() - start:.1f} s (built once, then cached)")

    runs = []
    for number in range(1, args.runs + 1):
        with tempfile.TemporaryDirectory(prefix="bench-local-loop-") as workdir:
            runs.append(one_run(Path(workdir), venv))
        print(f"run {number}: " + ", ".join(f"{step} {seconds:.1f} s" for step, seconds in runs[-1].items()))

    medians = {step: statistics.median(run[step] for run in runs) for step in runs[0]}
    result = {
        "machine": f"{platform.platform()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "load_average_1min": os.getloadavg()[0],
        "runs": runs,
        "median": medians,
    }
    if args.cold_install:
        with tempfile.TemporaryDirectory(prefix="bench-install-") as workdir:
            result["cold_install"] = cold_install(requirements, Path(workdir))

    print(f"\nmachine: {result['machine']}; load average {result['load_average_1min']:.1f}; median of {args.runs} runs")
    for step, seconds in medians.items():
        label = {
            "loop": "copy -> passing smoke test (excluding installs)",
            "loop_cpu": "  of which CPU time of make's processes",
        }.get(step, step)
        print(f"  {label:<50} {seconds:6.1f} s")
    if "cold_install" in result:
        print(f"  {'install into a new venv (pip, warm cache)':<50} {result['cold_install']:6.1f} s")
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    shutil.which("make") or sys.exit("make is not installed")
    raise SystemExit(main())
