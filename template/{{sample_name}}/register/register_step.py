"""The registration step: registers the model when the evaluation decided so, at most once per build.

    python -m <package>.register.register_step --model-input DIR --metrics-input DIR --decision-input DIR \
        --model-name NAME --build-id ID --build-uri URI --experiment-name NAME --output DIR

Writes model.json {"registered": bool, "name": str, "version": str | null, "reason": str}, which the
deployment pipelines read. A registered version is tagged with its metrics, BuildId, BuildUri, the
experiment name and the training run id, and becomes the `production` alias.

A build id starting with "scheduled-" (the scheduled pipelines of docs/monitoring.md, which run
again and again under one name) is made unique by the training run's id; a CI build's id is its own.
When the train step trained nothing (no drift breach, monitoring/gate.py) nothing is registered.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import mlflow

from ..monitoring.gate import skipped_reason
from ..util import tracking

SCHEDULED_BUILD_PREFIX = "scheduled-"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model-input", required=True, help="folder of the MLflow model")
    parser.add_argument("--metrics-input", required=True, help="folder with metrics.json (and run.json)")
    parser.add_argument("--decision-input", help="folder with decision.json (none when RUN_EVALUATION=false)")
    parser.add_argument("--model-name", required=True)
    parser.add_argument("--build-id", required=True)
    parser.add_argument("--build-uri", required=True)
    parser.add_argument("--experiment-name", required=True)
    parser.add_argument("--output", required=True, help="folder for model.json")
    return parser.parse_args(argv)


def registration_tags(metrics: dict[str, Any], tag_metrics: list[str], args: argparse.Namespace, run_id: str) -> dict:
    tags = {name: str(metrics[name]) for name in tag_metrics if name in metrics}
    tags.update(BuildId=args.build_id, BuildUri=args.build_uri, experiment_name=args.experiment_name, run_id=run_id)
    return tags


def register(args: argparse.Namespace) -> dict[str, Any]:
    result: dict[str, Any] = {"registered": False, "name": args.model_name, "version": None}
    skipped = skipped_reason(args.metrics_input)
    if skipped:
        return {**result, "reason": skipped}
    metrics_input = Path(args.metrics_input)
    metrics = json.loads((metrics_input / "metrics.json").read_text())
    run_file = metrics_input / "run.json"
    run_id = json.loads(run_file.read_text())["run_id"] if run_file.is_file() else ""
    if args.build_id.startswith(SCHEDULED_BUILD_PREFIX):  # one registration per scheduled run, not per schedule
        args = argparse.Namespace(**{**vars(args), "build_id": f"{args.build_id}-{run_id}"})
    decision = (
        json.loads((Path(args.decision_input) / "decision.json").read_text())
        if args.decision_input
        else {"register": True, "reason": "evaluation is switched off (RUN_EVALUATION=false)"}
    )
    parameters = json.loads((Path(__file__).resolve().parents[1] / "parameters.json").read_text())
    tag_metrics = parameters.get("registration", {}).get("tags", ["mse"])

    client = tracking.configure(args.experiment_name)
    existing = tracking.version_for_build(client, args.model_name, args.build_id)
    if existing is not None:
        return {
            **result,
            "version": str(existing.version),
            "reason": f"build {args.build_id} already registered version {existing.version}",
        }
    if not decision["register"]:
        return {**result, "reason": decision["reason"]}

    tags = registration_tags(metrics, tag_metrics, args, run_id)
    with mlflow.start_run(run_name="register") as run:
        mlflow.log_artifacts(args.model_input, artifact_path="model")
        version = mlflow.register_model(f"runs:/{run.info.run_id}/model", args.model_name, tags=tags)
    tracking.set_production(client, args.model_name, str(version.version))
    return {**result, "registered": True, "version": str(version.version), "reason": decision["reason"]}


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    result = register(args)
    output = Path(args.output)
    output.mkdir(parents=True, exist_ok=True)
    (output / "model.json").write_text(json.dumps(result, indent=2) + "\n")
    if result["registered"]:
        print(f"Registered {result['name']} version {result['version']} as production: {result['reason']}")
    else:
        print(f"Model was not registered for this run: {result['reason']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
