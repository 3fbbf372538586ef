"""Runs the training pipeline on this machine: train, evaluate and register, the same step scripts
Azure ML runs, in one process (so Python and MLflow start once). `make train` calls it.

Usage: python -m <package>.util.local_pipeline --data CSV --output DIR --model-name NAME --build-id ID
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
from pathlib import Path

from ..evaluate import evaluate_step
from ..register import register_step
from ..training import train_step


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", required=True)
    parser.add_argument("--parameters", default=str(Path(__file__).resolve().parents[1] / "parameters.json"))
    parser.add_argument("--output", required=True, help="folder for the steps' outputs and model.json")
    parser.add_argument("--model-name", required=True)
    parser.add_argument("--build-id", required=True)
    parser.add_argument("--build-uri", default="local")
    parser.add_argument("--experiment-name", default=os.environ.get("EXPERIMENT_NAME", "local"))
    args = parser.parse_args(argv)

    output = Path(args.output)
    model, metrics, decision = (str(output / name) for name in ("model", "metrics", "decision"))
    steps = [
        (
            train_step,
            ["--data", args.data, "--parameters", args.parameters]
            + ["--model-output", model, "--metrics-output", metrics],
        ),
        (
            evaluate_step,
            ["--model-input", model, "--metrics-input", metrics, "--model-name", args.model_name]
            + ["--decision-output", decision],
        ),
        (
            register_step,
            ["--model-input", model, "--metrics-input", metrics, "--decision-input", decision]
            + ["--model-name", args.model_name, "--build-id", args.build_id, "--build-uri", args.build_uri]
            + ["--experiment-name", args.experiment_name, "--output", str(output)],
        ),
    ]
    for step, step_args in steps:
        print(f"$ python -m {step.__name__} {shlex.join(step_args)}", flush=True)
        exit_code = step.main(step_args)
        if exit_code:
            return exit_code
    return 0


if __name__ == "__main__":
    exit_code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    # Skip the interpreter's teardown of MLflow's module graph: seconds on a small machine, and
    # everything is written already (MLflow's store commits each call).
    os._exit(exit_code)
