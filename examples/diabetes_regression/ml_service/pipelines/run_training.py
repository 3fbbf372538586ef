"""Build and submit the training pipeline, wait for it, and write model.json for the CD pipeline.

Usage: python -m ml_service.pipelines.run_training --build-id ID --build-uri URI --output model.json
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ml_service.cli import run
from ml_service.compute import cluster, get_or_create_compute
from ml_service.data import ensure_training_data
from ml_service.environments import get_or_create_environment, training_environment
from ml_service.pipelines.training import build_training_pipeline
from ml_service.settings import Settings, load_settings
from ml_service.workspace import workspace_client

if TYPE_CHECKING:
    from azure.ai.ml import MLClient
    from azure.ai.ml.entities import Job

NOT_REGISTERED = {"registered": False}


def submit_training(ml_client: MLClient, settings: Settings, build_id: str, build_uri: str) -> Job:
    """Make sure compute, environment and data exist, then submit the training pipeline."""
    get_or_create_compute(ml_client, cluster(settings.training_cluster))
    get_or_create_environment(ml_client, training_environment(settings))
    ensure_training_data(ml_client, settings)
    job = build_training_pipeline(settings, build_id, build_uri)
    return ml_client.jobs.create_or_update(job, experiment_name=settings.experiment_name)


def registration_result(ml_client: MLClient, job_name: str) -> dict[str, Any]:
    """The register step's model.json, downloaded from the pipeline's `registration` output.

    A pipeline the evaluate step canceled (ALLOW_RUN_CANCEL) registered nothing."""
    status = getattr(ml_client.jobs.get(job_name), "status", None)
    if status == "Canceled":
        reason = f"pipeline {job_name} was canceled (ALLOW_RUN_CANCEL: the model is not better)"
        return {**NOT_REGISTERED, "reason": reason}
    with tempfile.TemporaryDirectory() as folder:
        ml_client.jobs.download(job_name, download_path=folder, output_name="registration")
        found = sorted(Path(folder).rglob("model.json"))
        if not found:
            return {**NOT_REGISTERED, "reason": f"job {job_name} wrote no model.json"}
        return json.loads(found[0].read_text(encoding="utf-8"))


def main(argv: list[str] | None = None, ml_client: MLClient | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build-id", required=True, help="CI build id, tagged on the run and the model")
    parser.add_argument("--build-uri", required=True, help="CI build URL, tagged on the run and the model")
    parser.add_argument("--output", type=Path, default=Path("model.json"), help="where to write model.json")
    args = parser.parse_args(argv)

    def _main() -> int:
        settings = load_settings()
        client = ml_client or workspace_client(settings)
        submitted = submit_training(client, settings, args.build_id, args.build_uri)
        print(f"Submitted training pipeline {submitted.name}: {submitted.studio_url}")
        client.jobs.stream(submitted.name)
        result = registration_result(client, submitted.name)
        args.output.parent.mkdir(parents=True, exist_ok=True)
        if result.get("registered"):
            args.output.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
            print(f"Registered model {result['name']} version {result['version']}; wrote {args.output}")
        else:
            args.output.write_text(json.dumps(NOT_REGISTERED) + "\n", encoding="utf-8")
            print(f"Model was not registered for this run: {result.get('reason', 'no reason given')}")
        return 0

    return run(_main)


if __name__ == "__main__":
    raise SystemExit(main())
