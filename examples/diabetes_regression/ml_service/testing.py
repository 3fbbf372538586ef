"""Test doubles at the one boundary the tests may not cross: the Azure ML (and Databricks) clients.

The entities handed to these doubles are the real azure-ai-ml objects; the doubles only record
them and answer like the service would, so a test can check that the submit path passes exactly
the entity the builders (and the dry run) produce.
"""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from azure.core.exceptions import ResourceNotFoundError


class _Poller:
    def __init__(self, value: Any) -> None:
        self.value = value

    def result(self) -> Any:
        return self.value


class FakeOperations:
    """One operations group of MLClient (jobs, compute, ...): records every call."""

    def __init__(self, kind: str, existing: dict[str, Any] | None = None) -> None:
        self.kind = kind
        self.existing = dict(existing or {})
        self.calls: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = []
        self.created: list[Any] = []
        self.registration: dict[str, Any] = {"registered": False, "reason": "no registration configured"}
        self.status = "Completed"  # what jobs.get reports for a submitted job

    def _record(self, method: str, *args: Any, **kwargs: Any) -> None:
        self.calls.append((method, args, kwargs))

    def get(self, name: str, *args: Any, **kwargs: Any) -> Any:
        self._record("get", name, *args, **kwargs)
        if self.kind == "jobs" and name in self.existing:
            return SimpleNamespace(name=name, status=self.status, entity=self.existing[name])
        if name not in self.existing:
            raise ResourceNotFoundError(f"{self.kind} {name} not found")
        return self.existing[name]

    def create_or_update(self, entity: Any, **kwargs: Any) -> Any:
        self._record("create_or_update", entity, **kwargs)
        self.created.append(entity)
        name = getattr(entity, "name", None) or f"{self.kind}-{len(self.created)}"
        self.existing[name] = entity
        return SimpleNamespace(name=name, studio_url=f"https://ml.azure.com/{self.kind}/{name}", entity=entity)

    def begin_create_or_update(self, entity: Any, **kwargs: Any) -> _Poller:
        self._record("begin_create_or_update", entity, **kwargs)
        self.created.append(entity)
        self.existing[entity.name] = entity
        scoring_uri = f"https://{entity.name}.centralus.inference.ml.azure.com/score"
        return _Poller(SimpleNamespace(name=entity.name, scoring_uri=scoring_uri, entity=entity))

    def begin_delete(self, **kwargs: Any) -> _Poller:
        self._record("begin_delete", **kwargs)
        self.existing.pop(kwargs.get("name", ""), None)
        return _Poller(None)

    def list(self, **kwargs: Any) -> list[Any]:
        self._record("list", **kwargs)
        return [SimpleNamespace(name=name) for name in self.existing]

    def get_keys(self, name: str) -> Any:
        """Keys for a key-auth endpoint, else a token, as the SDK answers for the endpoint's auth mode."""
        self._record("get_keys", name)
        if getattr(self.existing.get(name), "auth_mode", "key") == "key":
            return SimpleNamespace(primary_key="primary-key", secondary_key="secondary-key")
        return SimpleNamespace(access_token="aml-token", expiry_time_utc=0)

    def stream(self, name: str) -> None:
        self._record("stream", name)

    def share(self, name: str, version: str, **kwargs: Any) -> Any:
        """models.share: copies a workspace's model version into a registry."""
        self._record("share", name, version, **kwargs)
        return SimpleNamespace(name=kwargs.get("share_with_name", name), version=kwargs.get("share_with_version"))

    def download(self, name: str = "", **kwargs: Any) -> None:
        self._record("download", name, **kwargs)
        folder = Path(kwargs["download_path"])
        if self.kind == "jobs":
            output = folder / "named-outputs" / kwargs.get("output_name", "output")
            output.mkdir(parents=True, exist_ok=True)
            (output / "model.json").write_text(json.dumps(self.registration), encoding="utf-8")
        else:
            model = folder / str(kwargs.get("name", name)) / "model"
            model.mkdir(parents=True, exist_ok=True)
            (model / "MLmodel").write_text("flavors: {}\n", encoding="utf-8")


class FakeMLClient:
    """Stands in for azure.ai.ml.MLClient: same operation groups, nothing leaves the process."""

    def __init__(self, registration: dict[str, Any] | None = None) -> None:
        for kind in (
            "jobs",
            "compute",
            "environments",
            "data",
            "datastores",
            "models",
            "online_endpoints",
            "online_deployments",
        ):
            setattr(self, kind, FakeOperations(kind))
        # Every workspace has its file datastore (ACI and App Service collect into its share).
        self.datastores.existing["workspacefilestore"] = SimpleNamespace(
            name="workspacefilestore", account_name="workspacestorage", file_share_name="azureml-filestore-0000"
        )
        if registration is not None:
            self.jobs.registration = registration


class RecordingRunner:
    """Stands in for running Azure CLI commands: keeps each command, the ARM template it deploys
    and the files of the build context it uploads (both are gone once the command returns)."""

    def __init__(self) -> None:
        self.commands: list[list[str]] = []
        self.templates: list[dict[str, Any]] = []
        self.build_contexts: list[set[str]] = []

    def __call__(self, command: Any) -> None:
        command = [str(part) for part in command]
        self.commands.append(command)
        if "--template-file" in command:
            template = Path(command[command.index("--template-file") + 1])
            self.templates.append(json.loads(template.read_text(encoding="utf-8")))
        if command[:3] == ["az", "acr", "build"]:
            context = Path(command[-1])
            self.build_contexts.append({p.relative_to(context).as_posix() for p in context.rglob("*") if p.is_file()})


def check_collects_into_the_file_share(
    target: str, runner: RecordingRunner, environment: list[dict[str, str]], share: dict[str, Any]
) -> None:
    """A deployment of a target Azure ML cannot monitor (ml_service/deploy/collected_logs.py): its
    scoring container's SCORING_COLLECT_LOG (in `environment`) points into the file share (`share`)
    mounted at MOUNT, named by the workspace's file datastore at deploy time, in the folder the
    drift-retraining pipeline reads; the storage key stays in ARM."""
    from ml_service.deploy import collected_logs
    from ml_service.monitoring import collected_inputs, log_monitored

    assert log_monitored([target]) == [target]
    (deploy,) = [command for command in runner.commands if command[:3] == ["az", "deployment", "group"]]
    assert deploy[deploy.index("--parameters") + 1 :] == [
        f"{collected_logs.ACCOUNT}=workspacestorage",
        f"{collected_logs.SHARE}=azureml-filestore-0000",
    ]  # FakeMLClient's workspacefilestore
    (template,) = runner.templates
    assert set(template["parameters"]) == {collected_logs.ACCOUNT, collected_logs.SHARE}
    log = collected_logs.log_path(target)
    assert log.startswith(f"{collected_logs.MOUNT}/{collected_logs.folder(target)}/")
    assert collected_logs.datastore_uri(target).endswith(f"/paths/{collected_logs.folder(target)}/")
    assert collected_inputs(example_settings("monitoring"), target) == collected_logs.datastore_uri(target)
    assert {"name": "SCORING_COLLECT_LOG", "value": log} in environment
    values = " ".join(str(value) for value in share.values())
    assert f"parameters('{collected_logs.SHARE}')" in values
    assert f"parameters('{collected_logs.ACCOUNT}')" in values
    assert "listKeys(" in values  # the key stays in ARM, never in the pipeline


NO_DOTENV = Path("/nonexistent/.env")


def example_environ(*options: str, **overrides: str) -> dict[str, str]:
    """The values this project was generated with (placeholders for the ones you fill in), over the
    core variables and those of `options` only: a test of one option reads no other option's data."""
    from ml_service.settings import EXAMPLE_VALUES

    values = EXAMPLE_VALUES.of(*options).items()
    return {**{name: value or f"<{name}>" for name, value in values}, **overrides}


def example_settings(*options: str, **overrides: str) -> Any:
    """Settings from example_environ(*options, **overrides), with no .env file."""
    from ml_service.settings import load_settings

    return load_settings(environ=example_environ(*options, **overrides), dotenv=NO_DOTENV, options=options)


def load_entity(path: Path) -> Any:
    """A dry-run YAML file loaded with the azure.ai.ml loader its $schema names."""
    import yaml
    from azure.ai.ml import (
        load_compute,
        load_data,
        load_datastore,
        load_environment,
        load_job,
        load_online_deployment,
        load_online_endpoint,
        load_registry,
    )
    from azure.ai.ml.entities._load_functions import load_schedule  # not exported by azure.ai.ml

    loaders = {
        "pipelineJob": load_job,
        "commandJob": load_job,
        "environment": load_environment,
        "amlCompute": load_compute,
        "data": load_data,
        "azureBlob": load_datastore,
        "managedOnlineEndpoint": load_online_endpoint,
        "managedOnlineDeployment": load_online_deployment,
        "kubernetesOnlineEndpoint": load_online_endpoint,
        "kubernetesOnlineDeployment": load_online_deployment,
        "monitorSchedule": load_schedule,
        "schedule": load_schedule,
        "registry": load_registry,
    }
    kind = yaml.safe_load(path.read_text(encoding="utf-8"))["$schema"].rsplit("/", 1)[1].split(".")[0]
    return loaders[kind](path)


def dry_run_files(output: Path, written: list[Path]) -> set[str]:
    """The written files relative to `output`, after checking each YAML starts with its $schema and
    loads with its azure.ai.ml loader."""
    from ml_service.dry_run import SCHEMA_ROOT

    for path in written:
        if path.suffix == ".yml":
            assert path.read_text(encoding="utf-8").startswith(f"$schema: {SCHEMA_ROOT}"), path
            assert load_entity(path) is not None, path
    return {path.relative_to(output).as_posix() for path in written}


def as_run(job: dict) -> str:
    """A pipeline step's command as Azure ML runs it: an optional $[[...]] part stays only when its
    input is bound."""
    import re

    def optional(match: re.Match) -> str:
        names = re.findall(r"inputs\.(\w+)", match.group(1))
        return match.group(1) if all(name in job.get("inputs", {}) for name in names) else ""

    return re.sub(r"\$\[\[(.*?)\]\]", optional, job["component"]["command"])


def cli_help(module: str) -> str:
    """`python -m <module> --help`, run in this process: argparse prints the usage and exits 0."""
    import contextlib
    import io
    import runpy
    import sys
    import warnings

    printed = io.StringIO()
    argv = sys.argv
    sys.argv = [module, "--help"]
    try:
        with contextlib.redirect_stdout(printed), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # runpy: the module was imported before
            runpy.run_module(module, run_name="__main__", alter_sys=True)
    except SystemExit as exited:
        assert exited.code in (0, None), f"{module} --help exited with {exited.code}"
    else:
        raise AssertionError(f"{module} --help did not exit")
    finally:
        sys.argv = argv
    return printed.getvalue()


def step_mismatch(step: str, command: str) -> str | None:
    """What is wrong between a step's command and the script it runs (None: they match): an option
    the script does not have, or one it requires that the command does not pass."""
    import re

    module = command.split()[2]
    help_text = cli_help(module)
    passed = set(re.findall(r"--[a-z][-a-z]*", command))
    unknown = {option for option in passed if option not in help_text}
    if unknown:
        return f"{step}: {module} has no option {sorted(unknown)}"
    usage = help_text.split("\n\n", 1)[0]
    required = set(re.findall(r"--[a-z][-a-z]*", re.sub(r"\[[^\[\]]*\]", "", usage)))
    missing = required - passed
    return f"{step}: {module} requires {sorted(missing)}, which this step does not pass" if missing else None


def check_dockerfile_pins_the_base_image(dockerfile: Path) -> None:
    """A Dockerfile under environments/ builds FROM the base image ml_service.environments pins, at the
    same dated tag (each option's tests check its own Dockerfile, so the core tests list no folder)."""
    import re

    from ml_service.environments import BASE_IMAGE_REPOSITORY, BASE_IMAGE_TAG

    text = dockerfile.read_text(encoding="utf-8")
    (tag,) = re.findall(r"^ARG BASE_IMAGE_TAG=(\S+)$", text, re.MULTILINE)
    assert tag == BASE_IMAGE_TAG, f"{dockerfile}: bump BASE_IMAGE_TAG in ml_service/environments.py too"
    (image,) = re.findall(r"^FROM (\S+)", text, re.MULTILINE)
    assert image == f"{BASE_IMAGE_REPOSITORY}:${{BASE_IMAGE_TAG}}", dockerfile


def imports_quietly(names: list[str], tmp_path: Path, monkeypatch: Any) -> None:
    """Import `names` afresh (with every ml_service module they import) with no settings, sockets,
    processes or credentials: importing must do none of that work. Later tests get their modules back."""
    import importlib
    import os
    import socket
    import subprocess
    import sys

    import azure.identity

    from ml_service.settings import EXAMPLE_VALUES

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("network, credential or process work at import time")

    def ml_service_modules() -> dict[str, Any]:
        return {name: module for name, module in sys.modules.items() if name.split(".")[0] == "ml_service"}

    core = EXAMPLE_VALUES.core()
    for key in list(os.environ):
        if key in core or key.startswith(("AZURE_", "DATABRICKS_", "MSI_", "IDENTITY_")):
            monkeypatch.delenv(key)
    monkeypatch.setenv("ML_SERVICE_DOTENV", str(tmp_path / "missing.env"))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(subprocess, "run", refuse)
    monkeypatch.setattr(subprocess, "Popen", refuse)
    monkeypatch.setattr(azure.identity, "DefaultAzureCredential", refuse)
    already_imported = ml_service_modules()
    for name in already_imported:
        del sys.modules[name]
    try:
        for name in names:
            importlib.import_module(name)
    finally:
        # The fresh modules hold the refusing stand-ins: later tests get the modules they had.
        for name in ml_service_modules():
            del sys.modules[name]
        sys.modules.update(already_imported)
