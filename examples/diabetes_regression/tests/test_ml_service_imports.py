"""No ml_service module does network or credential work when imported."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

from ml_service.settings import EXAMPLE_VALUES, PROJECT_ROOT

GUARDED_IMPORT = textwrap.dedent(
    """
    import importlib, pkgutil, socket, subprocess
    import azure.identity

    def refuse(*args, **kwargs):
        raise AssertionError("network, credential or process work at import time")

    socket.socket.connect = refuse
    socket.create_connection = refuse
    subprocess.run = refuse
    subprocess.Popen = refuse
    azure.identity.DefaultAzureCredential = refuse

    import ml_service
    names = [info.name for info in pkgutil.walk_packages(ml_service.__path__, "ml_service.")]
    for name in names:
        importlib.import_module(name)
    print(len(names))
    """
)


def test_every_module_imports_without_settings_network_or_credentials(tmp_path) -> None:
    environ = {
        key: value
        for key, value in os.environ.items()
        if key not in EXAMPLE_VALUES and not key.startswith(("AZURE_", "DATABRICKS_", "MSI_", "IDENTITY_"))
    }
    environ["ML_SERVICE_DOTENV"] = str(tmp_path / "missing.env")
    environ["PYTHONPATH"] = str(PROJECT_ROOT)
    result = subprocess.run(
        [sys.executable, "-c", GUARDED_IMPORT],
        cwd=tmp_path,
        env=environ,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stderr
    assert int(result.stdout.split()[-1]) >= 10
