"""Promotion: the model dev trained and registered is shared into the Azure ML registry, and the
other environments deploy that very version from there (never one of their own, never retrained).

    python -m ml_service.promote --model-json model.json --output promoted/model.json

Runs with dev's settings (its workspace); writes model.json naming the registry, which the deploy
modules of the next environment read (`--model-json promoted/model.json`): their deployments then
reference `azureml://registries/<AML_REGISTRY_NAME>/models/<name>/versions/<version>`.
"""

from __future__ import annotations

import argparse
import importlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ml_service.cli import run
from ml_service.deploy.endpoints import targets
from ml_service.deploy.model import RegisteredModel, read_model_json
from ml_service.settings import Settings, load_settings


def promoted(settings: Settings, model: RegisteredModel) -> RegisteredModel:
    """The same name and version, held by the registry."""
    return RegisteredModel(model.name, model.version, registry=settings.aml_registry_name)


def registry(settings: Settings) -> Any:
    """The registry as azure-ai-ml describes it (the IaC creates it; this is what it must be)."""
    from azure.ai.ml.entities import Registry, RegistryRegionDetails

    return Registry(
        name=settings.aml_registry_name,
        location=settings.location,
        replication_locations=[RegistryRegionDetails(location=settings.location)],
    )


def in_registry(settings: Settings, model: RegisteredModel) -> bool:
    """Whether the registry already holds this name and version (an earlier release promoted it)."""
    from azure.core.exceptions import ResourceNotFoundError

    from ml_service.workspace import registry_client

    try:
        registry_client(settings.aml_registry_name).models.get(name=model.name, version=model.version)
    except ResourceNotFoundError:
        return False
    return True


def share(settings: Settings, model: RegisteredModel) -> RegisteredModel:
    """Copy the workspace's model version into the registry under the same name and version,
    unless it is there already: redeploying an earlier version (a rollback) promotes it again,
    and a registry version cannot be overwritten."""
    from ml_service.workspace import workspace_client

    if in_registry(settings, model):
        print(f"{model.name} {model.version} is in the registry {settings.aml_registry_name} already: not shared again")
        return promoted(settings, model)
    workspace_client(settings).models.share(
        name=model.name,
        version=model.version,
        share_with_name=model.name,
        share_with_version=model.version,
        registry_name=settings.aml_registry_name,
    )
    return promoted(settings, model)


def deployable(module: Any, model: RegisteredModel) -> RegisteredModel:
    """The model as a target's deployments reference it: the registry's, or for a target whose
    deployments cannot (REGISTRY_MODELS = False) the workspace copy its deploy_model makes first
    (ml_service.deploy.model.in_workspace)."""
    return model if getattr(module, "REGISTRY_MODELS", True) else RegisteredModel(model.name, model.version)


def dry_run(settings: Settings, model: RegisteredModel) -> Iterator[tuple[str, Any]]:
    """The registry, and each online deployment as the next environment creates it from the
    promoted model (`deployable`)."""
    yield f"registries/{settings.aml_registry_name}.yml", registry(settings)
    from_registry = promoted(settings, model)
    for target in targets():
        module = importlib.import_module(f"ml_service.deploy.{target}")
        if hasattr(module, "deployment"):
            deployment = module.deployment(settings, deployable(module, from_registry))
            yield f"promotion/{target}-{deployment.name}.yml", deployment


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model-json", type=Path, required=True, help="model.json written by run_training")
    parser.add_argument("--output", type=Path, required=True, help="model.json for the next environment")
    args = parser.parse_args(argv)

    def _main() -> int:
        model = read_model_json(args.model_json)
        args.output.parent.mkdir(parents=True, exist_ok=True)
        if model is None:  # passed on as it is: the next environment's deploy steps then deploy nothing
            args.output.write_text(args.model_json.read_text(encoding="utf-8"), encoding="utf-8")
            print(f"Nothing to promote: {args.model_json} says no model was registered by this build")
            return 0
        shared = share(load_settings(), model)
        document = {"registered": True, "name": shared.name, "version": shared.version, "registry": shared.registry}
        args.output.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
        print(f"Promoted {shared.name} {shared.version} into the registry {shared.registry}: {shared.reference}")
        return 0

    return run(_main)


if __name__ == "__main__":
    raise SystemExit(main())
