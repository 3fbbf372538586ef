"""The model a deployment serves: read from the CI pipeline's model.json artifact."""

from __future__ import annotations

import argparse
import json
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ml_service.cli import run


@dataclass(frozen=True)
class RegisteredModel:
    name: str
    version: str
    registry: str = ""  # set once promoted: the Azure ML registry that holds it, not the workspace

    @property
    def reference(self) -> str:
        """How jobs and deployments point at the registered model."""
        if self.registry:
            return f"azureml://registries/{self.registry}/models/{self.name}/versions/{self.version}"
        return f"azureml:{self.name}:{self.version}"


def in_workspace(ml_client: Any, model: RegisteredModel) -> RegisteredModel:
    """`model` for a deployment that cannot reference a registry (a Kubernetes one): a registry
    version is first copied into the workspace of `ml_client` under the same name and version, with
    the same files, tagged with the reference it came from; a workspace model is returned as is."""
    if not model.registry:
        return model
    from azure.ai.ml.constants import AssetTypes
    from azure.ai.ml.entities import Model

    from ml_service.workspace import registry_client

    with tempfile.TemporaryDirectory(prefix="registry-model-") as folder:
        registry_client(model.registry).models.download(name=model.name, version=model.version, download_path=folder)
        found = sorted(Path(folder).rglob("MLmodel"))
        if not found:
            raise FileNotFoundError(f"{model.reference} has no MLmodel file")
        copy = Model(
            name=model.name,
            version=model.version,
            path=str(found[0].parent),
            type=AssetTypes.MLFLOW_MODEL,
            tags={"promoted_from": model.reference},
        )
        ml_client.models.create_or_update(copy)
    return RegisteredModel(model.name, model.version)


def read_model_json(path: Path) -> RegisteredModel | None:
    """The model named in model.json, or None when the build registered no model."""
    data = json.loads(path.read_text(encoding="utf-8"))
    if not data.get("registered", True) or not data.get("version"):
        return None
    return RegisteredModel(name=str(data["name"]), version=str(data["version"]), registry=str(data.get("registry", "")))


def deploy_main(
    description: str,
    deploy: Callable[[RegisteredModel, argparse.Namespace], int],
    argv: list[str] | None = None,
    extra: Callable[[argparse.ArgumentParser], None] | None = None,
) -> int:
    """The command line every deploy module shares: `--model-json model.json`."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--model-json", type=Path, required=True, help="model.json written by run_training")
    if extra is not None:
        extra(parser)
    args = parser.parse_args(argv)
    model = read_model_json(args.model_json)
    if model is None:
        print(f"Nothing to deploy: {args.model_json} says no model was registered by this build")
        return 0
    return run(lambda: deploy(model, args))
