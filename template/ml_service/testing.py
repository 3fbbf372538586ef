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
