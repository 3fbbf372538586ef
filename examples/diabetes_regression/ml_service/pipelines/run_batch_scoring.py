"""Build and submit the batch-scoring pipeline for one model version, and wait for it.

Usage: python -m ml_service.pipelines.run_batch_scoring --model-version VERSION
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from azure.core.exceptions import ResourceNotFoundError

from ml_service.cli import run
from ml_service.compute import cluster, get_or_create_compute
from ml_service.environments import get_or_create_environment, scoring_environment
from ml_service.pipelines.batch_scoring import build_batch_scoring_pipeline, scoring_data_asset, scoring_datastores
from ml_service.settings import Settings, load_settings
from ml_service.workspace import workspace_client

if TYPE_CHECKING:
    from azure.ai.ml import MLClient
    from azure.ai.ml.entities import Job


def submit_batch_scoring(ml_client: MLClient, settings: Settings, model_version: str) -> Job:
    """Make sure compute, environment, datastores and the scoring data exist, then submit."""
    get_or_create_compute(ml_client, cluster(settings.cluster("_scoring")))
    get_or_create_environment(ml_client, scoring_environment(settings))
    for datastore in scoring_datastores(settings):
        ml_client.datastores.create_or_update(datastore)
    asset = scoring_data_asset(settings)
    try:
        ml_client.data.get(asset.name, label="latest")
    except ResourceNotFoundError:
        ml_client.data.create_or_update(asset)
    job = build_batch_scoring_pipeline(settings, model_version)
    return ml_client.jobs.create_or_update(job, experiment_name=job.experiment_name)


def main(argv: list[str] | None = None, ml_client: MLClient | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model-version", required=True, help="version of MODEL_NAME to score with")
    args = parser.parse_args(argv)

    def _main() -> int:
        settings = load_settings(options=("batch_scoring",))  # batch scoring needs no other option's settings
        client = ml_client or workspace_client(settings)
        submitted = submit_batch_scoring(client, settings, args.model_version)
        print(f"Submitted batch-scoring pipeline {submitted.name}: {submitted.studio_url}")
        client.jobs.stream(submitted.name)
        return 0

    return run(_main)


if __name__ == "__main__":
    raise SystemExit(main())
