"""No ml_service module does network or credential work when imported: here the modules every
project has; each option's test module checks its own (ml_service.testing.imports_quietly).

The list is explicit rather than discovered: listing ml_service/ would make this test depend on
which options were chosen, and the scaffold's own tests check that every module is covered."""

from __future__ import annotations

from ml_service.testing import imports_quietly

CORE_MODULES = [
    "ml_service.cli",
    "ml_service.compute",
    "ml_service.data",
    "ml_service.deploy.endpoints",
    "ml_service.deploy.model",
    "ml_service.deploy.online",
    "ml_service.dry_run",
    "ml_service.environments",
    "ml_service.pipelines.run_training",
    "ml_service.pipelines.training",
    "ml_service.settings",
    "ml_service.smoke_test",
    "ml_service.testing",
    "ml_service.workspace",
]


def test_the_core_modules_import_without_settings_network_or_credentials(tmp_path, monkeypatch) -> None:
    imports_quietly(CORE_MODULES, tmp_path, monkeypatch)
