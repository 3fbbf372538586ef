"""No ml_service module does network or credential work when imported."""

from __future__ import annotations

import importlib
import os
import pkgutil
import socket
import subprocess
import sys

import azure.identity

from ml_service.settings import EXAMPLE_VALUES

ML_SERVICE = "ml_service"


def _refuse(*args, **kwargs):
    raise AssertionError("network, credential or process work at import time")


def _ml_service_modules() -> dict[str, object]:
    return {name: module for name, module in sys.modules.items() if name.split(".")[0] == ML_SERVICE}


def test_every_module_imports_without_settings_network_or_credentials(tmp_path, monkeypatch) -> None:
    """Every ml_service module imported afresh, with no settings, sockets, processes or credentials."""
    for key in list(os.environ):
        if key in EXAMPLE_VALUES or key.startswith(("AZURE_", "DATABRICKS_", "MSI_", "IDENTITY_")):
            monkeypatch.delenv(key)
    monkeypatch.setenv("ML_SERVICE_DOTENV", str(tmp_path / "missing.env"))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(socket.socket, "connect", _refuse)
    monkeypatch.setattr(socket, "create_connection", _refuse)
    monkeypatch.setattr(subprocess, "run", _refuse)
    monkeypatch.setattr(subprocess, "Popen", _refuse)
    monkeypatch.setattr(azure.identity, "DefaultAzureCredential", _refuse)
    already_imported = _ml_service_modules()
    for name in already_imported:
        del sys.modules[name]
    try:
        package = importlib.import_module(ML_SERVICE)
        names = [info.name for info in pkgutil.walk_packages(package.__path__, f"{ML_SERVICE}.")]
        for name in names:
            importlib.import_module(name)
    finally:
        # The fresh modules hold the refusing stand-ins: later tests get the modules they had.
        for name in _ml_service_modules():
            del sys.modules[name]
        sys.modules.update(already_imported)
    assert len(names) >= 10
