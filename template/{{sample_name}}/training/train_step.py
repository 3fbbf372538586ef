"""The training step: reads data, trains, writes an MLflow model and metrics.json, logs to MLflow.

    python -m <package>.training.train_step --data data/diabetes.csv --parameters <package>/parameters.json \
        --model-output outputs/model --metrics-output outputs/metrics

Azure ML runs the same command with its input and output paths. With --drift-input (the
drift-retraining pipeline, monitoring/gate.py) it trains only when the monitor found a breach.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import mlflow
import mlflow.sklearn
from mlflow.models import infer_signature

from ..monitoring.gate import no_breach_reason, write_skipped
from ..util import tracking
from ..util.data import distribution_problems, missing_value_problems, read_data, schema_problems
from .train import get_model_metrics, split_data, train_model


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", required=True, help="a CSV file or a folder of CSV files")
    parser.add_argument("--parameters", required=True, help="parameters.json")
    parser.add_argument("--model-output", required=True, help="folder for the MLflow model")
    parser.add_argument("--metrics-output", required=True, help="folder for metrics.json and run.json")
    parser.add_argument("--experiment-name", default=os.environ.get("EXPERIMENT_NAME"))
    parser.add_argument("--drift-input", help="folder with the monitor's breach.json: train only on a breach")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    reason = no_breach_reason(args.drift_input) if args.drift_input else None
    if reason:
        write_skipped([Path(args.model_output), Path(args.metrics_output)], reason)
        print(f"Not trained: {reason}")
        return 0
    parameters = json.loads(Path(args.parameters).read_text())["training"]
    df = read_data(args.data)
    problems = schema_problems(df) + missing_value_problems(df)
    if problems:
        for problem in problems:
            print(f"error: {args.data}: {problem}", file=sys.stderr)
        return 1
    for problem in distribution_problems(df):
        print(f"warning: {args.data}: {problem}", file=sys.stderr)

    ridge_args = {key: value for key, value in parameters.items() if key not in ("test_size", "random_state")}
    data = split_data(df, parameters.get("test_size", 0.2), parameters.get("random_state", 0))
    model = train_model(data, ridge_args)
    metrics = get_model_metrics(model, data)

    tracking.configure(args.experiment_name)
    with mlflow.start_run(run_name="train") as run:
        mlflow.log_params(parameters)
        mlflow.log_metrics(metrics)
        run_id = run.info.run_id

    model_output = Path(args.model_output)
    model_output.mkdir(parents=True, exist_ok=True)
    signature = infer_signature(data["test"]["X"], model.predict(data["test"]["X"]))
    # Explicit requirements: inferring them would import the model in a subprocess (slow, same answer).
    requirements = mlflow.sklearn.get_default_pip_requirements()
    mlflow.sklearn.save_model(model, str(model_output), signature=signature, pip_requirements=requirements)

    metrics_output = Path(args.metrics_output)
    metrics_output.mkdir(parents=True, exist_ok=True)
    (metrics_output / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")
    (metrics_output / "run.json").write_text(json.dumps({"run_id": run_id}, indent=2) + "\n")
    rows = {name: len(split["y"]) for name, split in data.items()}
    print(f"Trained {model!r} on {rows['train']} rows: mse {metrics['mse']:.2f} on {rows['test']} test rows")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
