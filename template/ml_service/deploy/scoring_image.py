"""The scoring image of the targets that run the project's own scoring container.

The Docker build context environments/scoring-image/ (on the Azure ML inference base image) is
staged with the ML package, the registered model and the pip packages of environments/score.yml,
then built and pushed to the workspace container registry by ACR Tasks (`az acr build`), tagged
with the model version only. Deployments run that tag, never a moving one such as `latest`: a
re-run of the IaC keeps the image a target serves, and rolling back is deploying an older version.
`build_request` is that build as its ACR request body, built offline.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from ml_service.deploy.model import RegisteredModel
from ml_service.environments import ENVIRONMENTS_DIR
from ml_service.settings import PROJECT_ROOT, Settings
from ml_service.workspace import registry_client

if TYPE_CHECKING:
    from azure.ai.ml import MLClient

BUILD_CONTEXT = ENVIRONMENTS_DIR / "scoring-image"
SCORE_ENVIRONMENT = ENVIRONMENTS_DIR / "score.yml"
PORT = 5001
ACR_API_VERSION = "2019-06-01-preview"

Runner = Callable[[Sequence[str]], Any]


def run_command(command: Sequence[str]) -> subprocess.CompletedProcess[str]:
    """Run an Azure CLI command, echoing it; raises CalledProcessError when it fails."""
    print("+ " + " ".join(command))
    return subprocess.run(list(command), check=True, text=True)


def registry_name(settings: Settings) -> str:
    """The workspace's container registry, named as environment_setup creates it (<base>amlcr)."""
    return f"{settings.base_name.lower()}amlcr"


def login_server(settings: Settings) -> str:
    return f"{registry_name(settings)}.azurecr.io"


def repository(settings: Settings) -> str:
    return f"{settings.sources_dir_train}-scoring"


def image_tag(settings: Settings, model: RegisteredModel) -> str:
    """repository:tag inside the registry: one image per model version."""
    return f"{repository(settings)}:{model.version}"


def image_tags(settings: Settings, model: RegisteredModel) -> list[str]:
    """Every tag a build pushes: the model version, the one tag deployments reference."""
    return [image_tag(settings, model)]


def image(settings: Settings, model: RegisteredModel) -> str:
    return f"{login_server(settings)}/{image_tag(settings, model)}"


def image_build_entity(target: str, settings: Settings, model: RegisteredModel) -> tuple[str, dict[str, Any]]:
    """The image build as `make aml-dry-run` writes it, in the target's folder."""
    return f"{target}/image_build.json", build_request(settings, model)


def build_request(settings: Settings, model: RegisteredModel) -> dict[str, Any]:
    """The ACR Tasks request that builds and pushes the image (what `az acr build` sends)."""
    return {
        "method": "POST",
        "path": (
            f"/subscriptions/{settings.azure_subscription_id or '<AZURE_SUBSCRIPTION_ID>'}"
            f"/resourceGroups/{settings.resource_group}/providers/Microsoft.ContainerRegistry/registries/"
            f"{registry_name(settings)}/scheduleRun?api-version={ACR_API_VERSION}"
        ),
        "body": {
            "type": "DockerBuildRequest",
            "imageNames": image_tags(settings, model),
            "isPushEnabled": True,
            "dockerFilePath": "Dockerfile",
            "platform": {"os": "Linux", "architecture": "amd64"},
            "sourceLocation": "<the staged build context, uploaded by az acr build>",
        },
    }


def build_command(settings: Settings, model: RegisteredModel, context: Path) -> list[str]:
    """`az acr build` for exactly the request of `build_request`."""
    body = build_request(settings, model)["body"]
    images = [argument for name in body["imageNames"] for argument in ("--image", name)]
    return [
        "az",
        "acr",
        "build",
        "--registry",
        registry_name(settings),
        "--resource-group",
        settings.resource_group,
        *images,
        "--file",
        body["dockerFilePath"],
        "--platform",
        f"{body['platform']['os'].lower()}/{body['platform']['architecture']}",
        str(context),
    ]


def pip_requirements(conda_file: Path) -> list[str]:
    """The pip packages of a conda environment file (the scoring image has its own Python)."""
    spec = yaml.safe_load(conda_file.read_text(encoding="utf-8")) or {}
    for dependency in spec.get("dependencies", []):
        if isinstance(dependency, dict) and "pip" in dependency:
            return [str(requirement) for requirement in dependency["pip"]]
    return []


def stage_build_context(settings: Settings, model_dir: Path, destination: Path) -> Path:
    """The build context: Dockerfile, the ML package, model/ and requirements.txt."""
    shutil.copytree(BUILD_CONTEXT, destination)
    package = settings.sources_dir_train
    shutil.copytree(
        PROJECT_ROOT / package, destination / package, ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "tests")
    )
    shutil.copytree(model_dir, destination / "model")
    requirements = "\n".join(pip_requirements(SCORE_ENVIRONMENT)) + "\n"
    (destination / "requirements.txt").write_text(requirements, encoding="utf-8")
    return destination


def model_folder(downloaded: Path) -> Path:
    """The folder holding the MLflow model (its MLmodel file) inside a model download."""
    found = sorted(downloaded.rglob("MLmodel"))
    return found[0].parent if found else downloaded


def build_and_push(
    ml_client: MLClient, settings: Settings, model: RegisteredModel, runner: Runner = run_command
) -> str:
    """Download the model, stage the build context, build and push; returns the image name."""
    with tempfile.TemporaryDirectory() as folder:
        downloaded = Path(folder) / "download"
        models = registry_client(model.registry).models if model.registry else ml_client.models
        models.download(name=model.name, version=model.version, download_path=str(downloaded))
        context = stage_build_context(settings, model_folder(downloaded), Path(folder) / "context")
        runner(build_command(settings, model, context))
    return image(settings, model)
