"""No ml_service module does network or credential work when imported: here the modules every
project has; each option's test module checks its own (ml_service.testing.imports_quietly)."""

from __future__ import annotations

import pkgutil

import ml_service
from ml_service.testing import imports_quietly

# Top-level modules plus the training path's: what every project has.
CORE_MODULES = ["ml_service.pipelines.training", "ml_service.pipelines.run_training", "ml_service.deploy.model"]


def test_the_core_modules_import_without_settings_network_or_credentials(tmp_path, monkeypatch) -> None:
    top_level = [f"ml_service.{info.name}" for info in pkgutil.iter_modules(ml_service.__path__) if not info.ispkg]
    assert len(top_level) >= 8
    imports_quietly([*top_level, *CORE_MODULES], tmp_path, monkeypatch)
