"""Azure ML environments from the pinned files under environments/.

An environment's version is a digest of what it is built from, so a changed conda file or
Docker build context yields a new version and an unchanged one reuses the existing environment.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import TYPE_CHECKING

from azure.ai.ml.entities import BuildContext, Environment
from azure.core.exceptions import ResourceNotFoundError

from ml_service.settings import PROJECT_ROOT, Settings

if TYPE_CHECKING:
    from azure.ai.ml import MLClient

ENVIRONMENTS_DIR = PROJECT_ROOT / "environments"
# Azure ML base image (Ubuntu 22.04 with conda); the conda files add Python and the packages.
# Pinned to a dated tag, never latest, so an environment rebuilds from the image that was tested.
# To bump it, pick a newer tag from the release notes of
# https://github.com/Azure/AzureML-Containers/blob/master/images/openmpi4.1.0-ubuntu22.04/release-notes.md
# and set it here and as BASE_IMAGE_TAG in the Dockerfiles under environments/ (a test checks they agree).
BASE_IMAGE_REPOSITORY = "mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu22.04"
BASE_IMAGE_TAG = "20250701.v1"
TRAINING_IMAGE = f"{BASE_IMAGE_REPOSITORY}:{BASE_IMAGE_TAG}"
SCORING_IMAGE = f"{BASE_IMAGE_REPOSITORY}:{BASE_IMAGE_TAG}"


def content_version(*parts: Path | str) -> str:
    """A short digest of files (every file under a directory) and strings."""
    digest = hashlib.sha256()
    for part in parts:
        if isinstance(part, Path):
            files = sorted(p for p in part.rglob("*") if p.is_file()) if part.is_dir() else [part]
            for file in files:
                digest.update(file.relative_to(part.parent).as_posix().encode())
                digest.update(file.read_bytes())
        else:
            digest.update(part.encode())
    return digest.hexdigest()[:12]


def conda_environment(name: str, conda_file: Path, image: str, description: str) -> Environment:
    return Environment(
        name=name,
        version=content_version(conda_file, image),
        description=description,
        image=image,
        conda_file=str(conda_file),
    )


def docker_environment(name: str, build_context: Path, description: str) -> Environment:
    """An environment Azure ML builds from a Docker build context into the workspace registry."""
    return Environment(
        name=name,
        version=content_version(build_context),
        description=description,
        build=BuildContext(path=str(build_context)),
    )


def training_environment(settings: Settings) -> Environment:
    return conda_environment(
        settings.aml_env_name,
        ENVIRONMENTS_DIR / "train.yml",
        TRAINING_IMAGE,
        "Training, evaluation and registration steps (environments/train.yml)",
    )


def scoring_environment(settings: Settings) -> Environment:
    return conda_environment(
        f"{settings.sources_dir_train}_scoring_env",
        ENVIRONMENTS_DIR / "score.yml",
        SCORING_IMAGE,
        "Online and batch scoring (environments/score.yml)",
    )


def reference(environment: Environment) -> str:
    """The `azureml:name:version` a job or deployment uses to point at a registered environment."""
    return f"azureml:{environment.name}:{environment.version}"


def get_or_create_environment(ml_client: MLClient, environment: Environment) -> Environment:
    """The registered environment with this name and version, registered from `environment` when missing."""
    try:
        return ml_client.environments.get(environment.name, version=environment.version)
    except ResourceNotFoundError:
        print(f"Registering environment {environment.name}:{environment.version}")
        return ml_client.environments.create_or_update(environment)
