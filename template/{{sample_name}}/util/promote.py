"""Promotes a registered model from dev into the registry the other environments deploy from: the
same artifact bytes, tagged with where they came from, and no training.

Locally two MLflow stores stand in for Azure (docs/local_loop.md): MLFLOW_TRACKING_URI is the dev
workspace, where `make train` trains, evaluates and registers; --registry-uri is the Azure ML
registry. The version promoted last becomes the registry's `production` alias, which
`make production-model ENVIRONMENT=prod` serves.

Usage: python -m <package>.util.promote --model-name NAME --registry-uri URI --registry-artifacts DIR
       [--version N]   (default: the version dev's `production` alias points to)
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import shutil
import sys
import tempfile
from pathlib import Path

import mlflow
from mlflow.exceptions import MlflowException
from mlflow.tracking import MlflowClient

from . import tracking

SOURCE_MODEL_TAG = "promoted_from"  # name:version in dev: a version is promoted once
DIGEST_TAG = "artifact_sha256"


def artifact_digest(folder: Path) -> str:
    """SHA-256 over the model's files (relative path and content), whatever store holds them."""
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(path.relative_to(folder).as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def download(uri: str, model_name: str, version: str, dest: Path) -> Path:
    """The version's files from the store at `uri`, into `dest` (MLflow's global URIs untouched)."""
    location = MlflowClient(tracking_uri=uri, registry_uri=uri).get_model_version_download_uri(model_name, version)
    return Path(mlflow.artifacts.download_artifacts(artifact_uri=location, dst_path=str(dest), tracking_uri=uri))


def promoted_version(registry: MlflowClient, model_name: str, source: str):
    """The registry's version promoted from `source` (name:version in dev), if any."""
    try:
        versions = registry.search_model_versions(f"name = '{model_name}'")
    except MlflowException:
        return None
    return next((version for version in versions if version.tags.get(SOURCE_MODEL_TAG) == source), None)


def _copy(model: Path, destination: Path) -> None:
    shutil.rmtree(destination, ignore_errors=True)  # left by a promotion that failed half-way
    shutil.copytree(model, destination)


def _files_intact(version, expected: str) -> bool:
    folder = Path(version.source)
    return folder.is_dir() and artifact_digest(folder) == expected


def promote(model_name: str, registry_uri: str, registry_artifacts: Path, version: str | None = None) -> dict:
    """Copy one dev version into the registry; returns what was promoted. Promoting a version again
    adds nothing, but restores its files if they went missing from the registry's folder."""
    dev = tracking.configure()
    dev_uri = mlflow.get_tracking_uri()
    if version is None:
        production = tracking.production_version(dev, model_name)
        if production is None:
            raise LookupError(f"{model_name} has no production version in dev yet; run `make train` first")
        version = str(production.version)
    dev_version = dev.get_model_version(model_name, version)
    source = f"{model_name}:{version}"
    registry = MlflowClient(tracking_uri=registry_uri, registry_uri=registry_uri)
    existing = promoted_version(registry, model_name, source)
    if existing is not None and _files_intact(existing, existing.tags[DIGEST_TAG]):
        tracking.set_production(registry, model_name, str(existing.version))
        return {"source": source, "version": str(existing.version), "sha256": existing.tags[DIGEST_TAG], "new": False}

    with tempfile.TemporaryDirectory(prefix="promote-") as scratch:
        model = download(dev_uri, model_name, version, Path(scratch) / "model")
        sha256 = artifact_digest(model)
        if existing is not None:  # the registry lists it but its files are gone or changed
            if sha256 != existing.tags[DIGEST_TAG]:
                raise LookupError(f"dev's {source} no longer hashes as the registry recorded; promote a new version")
            _copy(model, Path(existing.source))
            tracking.set_production(registry, model_name, str(existing.version))
            restored = {"source": source, "version": str(existing.version), "sha256": sha256, "new": False}
            return {**restored, "restored": True}
        with contextlib.suppress(MlflowException):  # registered by an earlier promotion
            registry.create_registered_model(model_name)
        number = 1 + max((int(v.version) for v in registry.search_model_versions(f"name = '{model_name}'")), default=0)
        # relative to the project, like the registry store itself (sqlite:///registry.db): a copied or
        # moved project keeps reading its own files
        destination = registry_artifacts / model_name / str(number)
        _copy(model, destination)
    tags = {**dev_version.tags, SOURCE_MODEL_TAG: source, DIGEST_TAG: sha256, "source_store": dev_uri}
    promoted = registry.create_model_version(model_name, source=str(destination), tags=tags)
    tracking.set_production(registry, model_name, str(promoted.version))
    return {"source": source, "version": str(promoted.version), "sha256": sha256, "new": True}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model-name", required=True)
    parser.add_argument("--registry-uri", required=True, help="the MLflow store that stands in for the registry")
    parser.add_argument("--registry-artifacts", required=True, help="folder the registry keeps model files in")
    parser.add_argument("--version", help="the dev version to promote (default: dev's production alias)")
    args = parser.parse_args(argv)
    try:
        result = promote(args.model_name, args.registry_uri, Path(args.registry_artifacts), args.version)
    except (LookupError, MlflowException) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    verb = "Promoted" if result["new"] else "Restored the files of" if result.get("restored") else "Already promoted:"
    print(f"{verb} {result['source']} (dev) as registry version {result['version']}, sha256 {result['sha256']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
