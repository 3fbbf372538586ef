"""`make demo`: render the default project into build/demo and run its local loop
(install → train → smoke-test → batch-score → monitor), ending with a short summary."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

from mlops_scaffold.options import QUESTIONS_BY_NAME
from mlops_scaffold.render import CHECKOUT_ROOT, render_project
from mlops_scaffold.venvs import InterpreterNotFound, ensure_venv, find_python, shared_requirements

DEMO_DIR = CHECKOUT_ROOT / "build" / "demo"
STEPS = ("install", "train", "smoke-test", "batch-score", "monitor")
STEP_SAYS = {
    "install": "the lock into the shared venv: a no-op when it is there",
    "train": "train, evaluate and register into the local MLflow store",
    "smoke-test": "start the scoring server, score a request, stop it",
    "batch-score": "score the batch input in parallel mini-batches",
    "monitor": "drift and data quality of what was scored",
}


def _python_version() -> str:
    """The default Python version when it is installed here, else the running one when supported:
    the demo must work on a machine with any supported Python."""
    default = QUESTIONS_BY_NAME["python_version"]
    try:
        find_python(default.default)
        return default.default
    except InterpreterNotFound:
        running = f"{sys.version_info.major}.{sys.version_info.minor}"
        if running in default.choices:
            return running
        raise


def _make(project: Path, venv: Path, target: str, log: Path) -> float:
    started = time.perf_counter()
    with log.open("w") as output:
        result = subprocess.run(["make", target, f"VENV={venv}"], cwd=project, stdout=output, stderr=subprocess.STDOUT)
    if result.returncode != 0:
        tail = log.read_text().splitlines()[-25:]
        raise SystemExit(f"make {target} failed in {project} (log {log}):\n" + "\n".join(tail))
    return time.perf_counter() - started


def run_demo(dest: Path = DEMO_DIR) -> dict:
    if dest.exists():
        shutil.rmtree(dest)
    version = _python_version()
    print(f"==> rendering the default project into {dest} (Python {version})", flush=True)
    render_project(dest, {"python_version": version}, vcs_ref="HEAD")
    print("==> preparing the project's virtual environment (shared, cached; uv builds it once)", flush=True)
    started = time.perf_counter()
    venv = ensure_venv(version, shared_requirements(python_version=version))
    print(f"    ready in {time.perf_counter() - started:.1f} s: {venv}", flush=True)
    logs = dest / "outputs" / "demo-logs"
    logs.mkdir(parents=True, exist_ok=True)
    seconds = {}
    for number, step in enumerate(STEPS, start=1):
        # Each step's output goes to its log: say which step runs, how far the loop is, and its time.
        print(f"==> [{number}/{len(STEPS)}] make {step} ({STEP_SAYS[step]}; log {logs / f'{step}.log'})", flush=True)
        seconds[step] = _make(dest, venv, step, logs / f"{step}.log")
        print(f"    make {step} done in {seconds[step]:.1f} s", flush=True)
    model = json.loads((dest / "outputs" / "train" / "model.json").read_text())
    metrics = json.loads((dest / "outputs" / "train" / "metrics" / "metrics.json").read_text())
    smoke = next(line for line in (logs / "smoke-test.log").read_text().splitlines() if "Smoke test passed" in line)
    with (dest / "outputs" / "batch" / "diabetes_scoring_output.csv").open() as predictions:
        rows = sum(1 for _ in csv.DictReader(predictions))
    monitor_log = (logs / "monitor.log").read_text().splitlines()
    monitoring = next(line for line in monitor_log if line.startswith("Monitoring:"))
    return {
        "monitoring": monitoring.removeprefix("Monitoring: ").split("; report ")[0],
        "report": dest / "outputs" / "monitoring" / "report.html",
        "model": f"{model['name']} version {model['version']}",
        "mse": metrics["mse"],
        "smoke_test": smoke,
        "rows_scored": rows,
        "seconds": seconds,
    }


def main() -> None:
    summary = run_demo()
    print("\nDemo summary")
    print(f"  model        {summary['model']}")
    print(f"  mse          {summary['mse']:.2f}")
    print(f"  smoke test   {summary['smoke_test']}")
    print(f"  rows scored  {summary['rows_scored']}")
    for step, seconds in summary["seconds"].items():
        print(f"  make {step:<12}{seconds:6.1f} s")
    print(f"\nThe project is in {DEMO_DIR}; its README explains the rest.")
    # Last, as the loop's last step: what `make monitor` saw, and the report to open in a browser.
    print(f"Monitoring: {summary['monitoring']}; report {summary['report']}")


if __name__ == "__main__":
    main()
