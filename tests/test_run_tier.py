"""The run tier's keys: what a run records, how a recorded run is matched in another rendering."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import textwrap
from pathlib import Path

from mlops_scaffold.matrix.run_tier import index as run_index
from mlops_scaffold.matrix.run_tier.runner import RECORDER, failing_tests, unit_key
from mlops_scaffold.matrix.run_tier.units import Unit, units_for


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _index(files: dict[str, str]) -> dict[str, str]:
    return {path: _digest(text) for path, text in files.items()}


def _key(index: dict[str, str], dependencies: list[str], unit: Unit | None = None, hidden=frozenset()) -> str:
    unit = unit or Unit("ml tests", ("python", "-m", "pytest", "tests/test_a.py"))
    listing = run_index.directories(index, hidden)
    return unit_key("env", unit, dependencies, lambda d: run_index.dependency_value(d, index, listing))


def test_a_run_is_reused_only_where_what_it_read_is_equal():
    first = _index({"pkg/train.py": "a", "settings.py": "targets: aci", "data.csv": "1,2"})
    same_reads = _index({"pkg/train.py": "a", "settings.py": "targets: aks", "data.csv": "1,2"})
    other_reads = _index({"pkg/train.py": "b", "settings.py": "targets: aci", "data.csv": "1,2"})
    recorded = ["R pkg/train.py", "R data.csv"]
    assert _key(first, recorded) == _key(same_reads, recorded)
    assert _key(first, recorded) != _key(other_reads, recorded)


def test_a_file_read_as_absent_keys_its_absence():
    without = _index({"a.py": "x"})
    with_it = _index({"a.py": "x", "optional.py": "y"})
    assert _key(without, ["R a.py", "R optional.py"]) != _key(with_it, ["R a.py", "R optional.py"])
    package = _index({"pkg/a.py": "x"})
    assert run_index.dependency_value("R pkg", package, run_index.directories(package)) == run_index.DIRECTORY
    assert run_index.dependency_value("R nothing", package, run_index.directories(package)) == run_index.ABSENT


def test_listings_key_run_relevant_entries_only():
    base = _index({"ml_service/a.py": "x", "ml_service/README.md": "docs"})
    more_docs = _index({"ml_service/a.py": "x", "ml_service/README.md": "other docs"})
    more_code = _index({"ml_service/a.py": "x", "ml_service/b.py": "y", "ml_service/README.md": "docs"})
    assert _key(base, ["L ml_service"]) == _key(more_docs, ["L ml_service"])
    assert _key(base, ["L ml_service"]) != _key(more_code, ["L ml_service"])


def test_test_modules_of_other_units_are_hidden_from_listings():
    index = _index({"tests/test_a.py": "a", "tests/conftest.py": "c"})
    with_other = {**index, **_index({"tests/test_ml_service_x.py": "x"})}
    hidden = frozenset({"tests/test_ml_service_x.py"})
    assert _key(index, ["L tests"]) == _key(with_other, ["L tests"], hidden=hidden)
    assert _key(index, ["L tests"]) != _key(with_other, ["L tests"])


def test_pipelines_iac_and_docs_are_run_irrelevant_but_code_is_not():
    for path in (".pipelines/ci.yml", ".github/workflows/ci.yml", "environment_setup/main.tf", "docs/a.md"):
        assert run_index.is_run_irrelevant(path), path
    for path in ("ml_service/settings.py", "tests/test_a.py", "Makefile", "environments/train.yml"):
        assert not run_index.is_run_irrelevant(path), path


def test_units_split_the_tests_and_add_the_local_loop():
    index = {
        **_index(
            {
                "tests/test_train.py": "t",
                "tests/test_batch_score.py": "b",
                "tests/test_ml_service_aci.py": "x",
                "tests/test_ml_service_settings.py": "s",
                "tests/conftest.py": "c",
            }
        ),
        run_index.LOCAL_LOOP: "train production-model smoke-test batch-score",
    }
    units = {unit.name: unit for unit in units_for(index)}
    assert units["ml tests"].command[-1:] == ("tests/test_train.py",)
    others = {"tests/test_batch_score.py", "tests/test_ml_service_aci.py", "tests/test_ml_service_settings.py"}
    assert units["ml tests"].not_collected == others
    assert units["ml_service core tests"].command[-1:] == ("tests/test_ml_service_settings.py",)
    assert "tests/test_train.py" in units["ml_service core tests"].not_collected
    # An option's test modules (the ones some rendering leaves out) are units of their own.
    assert units["ml_service aci"].command[-1:] == ("tests/test_ml_service_aci.py",)
    assert units["ml batch_score"].command[-1:] == ("tests/test_batch_score.py",)
    assert units["local loop"].command[:5] == ("make", "train", "production-model", "smoke-test", "batch-score")


def test_the_local_loop_targets_follow_the_makefile():
    assert run_index.local_loop_targets("train:\n\tx\nbatch-score:\n\ty\n")[-1] == "batch-score"
    assert "batch-score" not in run_index.local_loop_targets("train:\n\tx\n")


def test_failing_tests_are_named():
    make_error = "make: *** [Makefile:3: t] Error 1"
    output = f"x\nFAILED tests/test_a.py::test_b - AssertionError\nERROR tests/test_c.py\n{make_error}\n"
    assert failing_tests(output) == ["tests/test_a.py::test_b", "tests/test_c.py", make_error]


def test_the_recorder_logs_reads_listings_and_program_arguments(tmp_path):
    project = tmp_path / "project"
    (project / "pkg").mkdir(parents=True)
    (project / "data.csv").write_text("1\n")
    (project / "script.r").write_text("x <- 1\n")
    (project / "pkg" / "mod.py").write_text("VALUE = 1\n")
    (project / "scratch" / "deep").mkdir(parents=True)
    program = textwrap.dedent(
        """
        import os, shutil, subprocess, sys
        sys.path.insert(0, ".")
        import _mlops_scaffold_recorder
        open("data.csv").read()
        os.listdir("pkg")
        from pkg import mod
        subprocess.run(["true", "script.r"], check=True)
        shutil.rmtree("scratch")
        open(os.path.join(os.path.dirname(os.getcwd()), "outside.txt"), "w").close()
        """
    )
    log = tmp_path / "reads.log"
    environment = {
        **os.environ,
        "PYTHONPATH": str(RECORDER.parent),
        "PYTHONDONTWRITEBYTECODE": "1",
        "MLOPS_SCAFFOLD_RECORD": str(log),
        "MLOPS_SCAFFOLD_RECORD_ROOT": str(project),
    }
    subprocess.run([sys.executable, "-c", program], cwd=project, env=environment, check=True)
    recorded = set(log.read_text().splitlines())
    assert {"R data.csv", "L pkg", "R pkg/mod.py", "R script.r"} <= recorded
    assert not [line for line in recorded if "scratch" in line or "outside" in line or line == "L ."]


def test_the_recorder_is_idle_without_its_environment(tmp_path):
    environment = {key: value for key, value in os.environ.items() if not key.startswith("MLOPS_SCAFFOLD_RECORD")}
    environment["PYTHONPATH"] = str(RECORDER.parent)
    result = subprocess.run(
        [sys.executable, "-c", "import sys, _mlops_scaffold_recorder; print(len(sys._getframe().f_globals))"],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert not list(Path(tmp_path).iterdir())


def test_core_runs_that_are_not_shared_within_an_environment_are_reported():
    from mlops_scaffold.matrix.run_tier.sharing import core_runs_by_environment, unshared

    lock, other_lock = {"requirements.txt": "a" * 64}, {"requirements.txt": "b" * 64}
    versions = {"one": "3.11", "two": "3.11", "three": "3.12", "four": "3.11"}
    indexes = {"one": lock, "two": lock, "three": lock, "four": other_lock}
    shared = {
        cid: {"ml_service core tests": f"key-{versions[cid]}-{indexes[cid]['requirements.txt'][0]}"} for cid in versions
    }
    assert unshared(core_runs_by_environment(versions, indexes, shared, "ml_service core tests")) == []

    planted = {**shared, "two": {"ml_service core tests": "key-of-an-option-dependent-run"}}
    (line,) = unshared(core_runs_by_environment(versions, indexes, planted, "ml_service core tests"))
    assert line.startswith("Python 3.11, requirements.txt aaaaaaaaaaaa: 2 runs instead of 1")
    assert "one vs two" in line
