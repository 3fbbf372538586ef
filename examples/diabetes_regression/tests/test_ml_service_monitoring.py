"""Retraining in production: the training pipeline on RETRAIN_CRON, ending at the evaluate gate.
(Each monitored target's collector and monitor are tested with the target.)"""

from __future__ import annotations

from pathlib import Path

from ml_service.dry_run import write_entities
from ml_service.monitoring import schedules
from ml_service.settings import EXAMPLE_VALUES
from ml_service.testing import dry_run_files, example_settings, load_entity


def test_retraining_is_the_training_pipeline_on_the_retrain_cron(tmp_path: Path) -> None:
    written = write_entities(tmp_path, schedules(example_settings("monitoring"), []))
    assert dry_run_files(tmp_path, written) == {"jobs/retraining_pipeline.yml", "schedules/retraining.yml"}
    schedule = load_entity(tmp_path / "schedules" / "retraining.yml")
    assert schedule.trigger.expression == EXAMPLE_VALUES.of("monitoring")["RETRAIN_CRON"]
    assert list(schedule.create_job.jobs) == ["train", "evaluate", "register"]  # it ends at the evaluate gate


def test_with_environments_dev_retrains_and_production_only_watches(tmp_path: Path) -> None:
    """The scopes the CD uses with environments: `retraining` in dev, `monitors` in production."""
    settings = example_settings("monitoring")
    dev = write_entities(tmp_path / "dev", schedules(settings, [], "retraining"))
    assert dry_run_files(tmp_path / "dev", dev) == {"jobs/retraining_pipeline.yml", "schedules/retraining.yml"}
    assert list(write_entities(tmp_path / "prod", schedules(settings, [], "monitors"))) == []
