"""The R model trained on Azure ML compute: a command job running r_train.r with Rscript in an
R environment that Azure ML builds from the Docker build context environments/r/.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from azure.ai.ml import Input, Output
from azure.ai.ml.constants import AssetTypes
from azure.ai.ml.entities import CommandJob, Environment

from ml_service.compute import cluster, get_or_create_compute
from ml_service.data import R_SAMPLE_DATA
from ml_service.environments import ENVIRONMENTS_DIR, docker_environment, get_or_create_environment, reference
from ml_service.settings import PROJECT_ROOT, Settings

if TYPE_CHECKING:
    from azure.ai.ml import MLClient
    from azure.ai.ml.entities import Job

R_BUILD_CONTEXT = ENVIRONMENTS_DIR / "r"
R_TRAIN = "Rscript {package}/training/R/r_train.r --data ${{inputs.data}} --output ${{outputs.model}}"


def r_environment(settings: Settings) -> Environment:
    return docker_environment(
        f"{settings.sources_dir_train}_r_env", R_BUILD_CONTEXT, "R training (Docker build context environments/r/)"
    )


def build_r_training_job(settings: Settings) -> CommandJob:
    """The command job, ready to hand to MLClient.jobs.create_or_update."""
    package = settings.sources_dir_train
    return CommandJob(
        display_name=f"{package}-r-training",
        description="Train the R model with Rscript on Azure ML compute",
        experiment_name=f"{settings.experiment_name}-r",
        command=R_TRAIN.replace("{package}", package),
        code=str(PROJECT_ROOT),
        inputs={"data": Input(type=AssetTypes.URI_FILE, path=str(R_SAMPLE_DATA))},
        outputs={"model": Output(type=AssetTypes.URI_FOLDER)},
        environment=reference(r_environment(settings)),
        compute=settings.aml_compute_cluster_name,
        tags={"Language": "R"},
    )


def submit_r_training(ml_client: MLClient, settings: Settings) -> Job:
    """Make sure compute and the R environment exist, then submit the job (it uploads the R sample data)."""
    get_or_create_compute(ml_client, cluster(settings.training_cluster))
    get_or_create_environment(ml_client, r_environment(settings))
    job = build_r_training_job(settings)
    return ml_client.jobs.create_or_update(job, experiment_name=job.experiment_name)


def run_r_training(ml_client: MLClient, settings: Settings) -> int:
    submitted = submit_r_training(ml_client, settings)
    print(f"Submitted R training job {submitted.name}: {submitted.studio_url}")
    ml_client.jobs.stream(submitted.name)
    return 0
