"""`make aml-dry-run`, the part every project has: the training entities, each file loading with its
azure.ai.ml loader. Each option's entities are tested with the option (tests/test_ml_service_*.py);
the whole dry run of this project is run by `make aml-dry-run` and by the template's own checks."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from ml_service.dry_run import core_entities, scoring_entities, write_entities
from ml_service.settings import EXAMPLE_VALUES, PROJECT_ROOT
from ml_service.testing import dry_run_files, example_settings

SAMPLE = EXAMPLE_VALUES["SOURCES_DIR_TRAIN"]


@pytest.fixture(scope="module")
def dry_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, set[str]]:
    output = tmp_path_factory.mktemp("build") / "aml"
    settings = example_settings()
    written = write_entities(output, [*core_entities(settings), *scoring_entities(settings)])
    return output, dry_run_files(output, written)


def test_the_training_entities_are_written_and_load(dry_run: tuple[Path, set[str]]) -> None:
    _, files = dry_run
    assert files == {
        "compute/train-cluster.yml",
        f"environments/{SAMPLE}_training_env.yml",
        f"environments/{SAMPLE}_scoring_env.yml",
        f"data/{SAMPLE}_ds.yml",
        "jobs/training_pipeline.yml",
    }


def test_paths_are_relative_to_the_project(dry_run: tuple[Path, set[str]]) -> None:
    output, _ = dry_run
    pipeline = yaml.safe_load((output / "jobs" / "training_pipeline.yml").read_text(encoding="utf-8"))
    code = pipeline["jobs"]["train"]["component"]["code"]
    assert not Path(code).is_absolute()
    assert (output / "jobs" / code).resolve() == PROJECT_ROOT
