"""Running the run tier: each distinct (unit, key) once, every combination mapped to its keys.

Combinations whose run-relevant files are all equal share a task outright. A task first looks
for an earlier run of its unit whose recorded dependencies have the same values in its own
rendering; only when none matches does it render its combination and run the unit, recording
what that run read. Passing results persist in the cache directory across invocations.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from mlops_scaffold.matrix.combinations import Combination, full_answers
from mlops_scaffold.matrix.run_tier import index as run_index
from mlops_scaffold.matrix.run_tier.units import Unit, units_for
from mlops_scaffold.render import render_project
from mlops_scaffold.venvs import ensure_venv, shared_requirements, site_packages

RECORDER = Path(__file__).with_name("_mlops_scaffold_recorder.py")
RUN_TIMEOUT = 20 * 60
_TAIL_LINES = 40


@dataclass(frozen=True)
class Task:
    unit: Unit
    combination: Combination  # the first of the combinations that share this task
    index: dict[str, str]


@dataclass
class RunResult:
    key: str
    unit: str
    combination: str  # the combination it ran in
    passed: bool
    seconds: float
    failures: list[str] = field(default_factory=list)  # failing tests or the failing command
    log_tail: str = ""
    cached: bool = False  # passed in an earlier invocation (the cache directory)


def install_recorder(venv: Path) -> None:
    """Put the recorder and its .pth file into the venv's site-packages (idempotent)."""
    site = site_packages(venv)
    if (site / RECORDER.name).is_file() and (site / RECORDER.name).read_bytes() == RECORDER.read_bytes():
        return
    shutil.copyfile(RECORDER, site / RECORDER.name)
    (site / "_mlops_scaffold_recorder.pth").write_text("import _mlops_scaffold_recorder\n")


def environment_fingerprint(python_version: str) -> str:
    """What outside the project can change a run: interpreter, recorder, this tier's code, Rscript."""
    rscript = shutil.which("Rscript")
    r_version = subprocess.run([rscript, "--version"], capture_output=True, text=True).stderr if rscript else "none"
    digest = hashlib.sha256()
    for part in (python_version, RECORDER.read_text(), r_version, *_tier_sources()):
        digest.update(part.encode())
        digest.update(b"\0")
    return digest.hexdigest()


def _tier_sources() -> list[str]:
    return [path.read_text() for path in sorted(Path(__file__).parent.glob("*.py"))]


def unit_key(fingerprint: str, unit: Unit, dependencies: Sequence[str], values: Callable[[str], str]) -> str:
    payload = json.dumps([fingerprint, unit.name, unit.command, [[d, values(d)] for d in dependencies]])
    return hashlib.sha256(payload.encode()).hexdigest()


def failing_tests(output: str) -> list[str]:
    """pytest's 'FAILED tests/x.py::test - reason' and 'ERROR ...' lines, or make's error line."""
    found = re.findall(r"^(?:FAILED|ERROR) (\S+)", output, re.MULTILINE)
    found += re.findall(r"^make: \*\*\* .*$", output, re.MULTILINE)
    return found


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _clean_environment(venv: Path, project: Path, log: Path) -> dict[str, str]:
    """The caller's environment without anything of its own Python, pytest or coverage."""
    inherited = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PYTHON", "PYTEST", "COV_CORE", "VIRTUAL_ENV", "MLOPS_SCAFFOLD", "MLFLOW", "AZURE"))
    }
    return {
        **inherited,
        "PATH": f"{venv / 'bin'}{os.pathsep}{os.environ.get('PATH', '/usr/bin:/bin')}",
        "VIRTUAL_ENV": str(venv),
        "PYTHONDONTWRITEBYTECODE": "1",  # so imports read sources, which the recorder keys by
        "MLOPS_SCAFFOLD_RECORD": str(log),
        "MLOPS_SCAFFOLD_RECORD_ROOT": str(project),
    }


def execute(unit: Unit, project: Path, venv: Path) -> tuple[bool, str, list[str]]:
    """Run the unit in `project`; (passed, output, recorded dependencies)."""
    log = project.parent / f"{project.name}.reads"
    log.unlink(missing_ok=True)
    command = [part.replace(run_index.VENV_PLACEHOLDER, str(venv)) for part in unit.command]
    if command[0] == "python":
        command[0] = str(venv / "bin" / "python")
    environment = _clean_environment(venv, project, log)
    if command[0] == "make":
        command.append(f"PORT={_free_port()}")
    else:  # pytest: temporary folders of this run only, none of another's to clean up
        environment["PYTEST_ADDOPTS"] = f"--basetemp={project.parent / (project.name + '.tmp')}"
    try:
        result = subprocess.run(
            command,
            cwd=project,
            env=environment,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=RUN_TIMEOUT,
        )
        passed, output = result.returncode == 0, result.stdout
    except subprocess.TimeoutExpired as timeout:
        passed, output = False, f"{timeout.output or ''}\ntimed out after {RUN_TIMEOUT} s"
    recorded = sorted(set(log.read_text().splitlines())) if log.is_file() else []
    return passed, output, recorded


class RunTier:
    """One run tier over `combinations` (with their content indexes from the render tier)."""

    def __init__(
        self, template_dir: Path, workdir: Path, cache_dir: Path, jobs: int = 2, venv_cache: Path | None = None
    ) -> None:
        self.template_dir, self.workdir, self.jobs = template_dir, workdir, jobs
        self.venv_cache = venv_cache
        self.cache_dir = cache_dir
        self.lock = threading.Lock()
        self.render_lock = threading.Lock()
        self.dependencies: dict[str, list[list[str]]] = self._load("dependencies.json", {})
        self.results: dict[str, RunResult] = {}
        self.in_flight: dict[str, int] = {}
        self.fingerprints: dict[str, str] = {}
        self.venvs: dict[str, Path] = {}

    # -- persistence: passing runs only, so a flaky failure is never remembered
    def _load(self, name: str, default):
        path = self.cache_dir / name
        return json.loads(path.read_text()) if path.is_file() else default

    def _cached_pass(self, key: str) -> RunResult | None:
        path = self.cache_dir / "passed" / f"{key}.json"
        return RunResult(**{**json.loads(path.read_text()), "cached": True}) if path.is_file() else None

    def _save(self, result: RunResult) -> None:
        if result.passed:
            (self.cache_dir / "passed").mkdir(parents=True, exist_ok=True)
            (self.cache_dir / "passed" / f"{result.key}.json").write_text(json.dumps(result.__dict__))
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        temporary = self.cache_dir / "dependencies.json.tmp"
        temporary.write_text(json.dumps(self.dependencies))
        temporary.replace(self.cache_dir / "dependencies.json")

    def venv(self, python_version: str) -> Path:
        with self.render_lock:
            if python_version not in self.venvs:
                requirements = shared_requirements(self.template_dir / "template", self.venv_cache, python_version)
                # compiled: the runs are under PYTHONDONTWRITEBYTECODE (_clean_environment)
                venv = ensure_venv(python_version, requirements, self.venv_cache, compiled=True)
                install_recorder(venv)
                self.venvs[python_version] = venv
                self.fingerprints[python_version] = environment_fingerprint(python_version)
        return self.venvs[python_version]

    def lookup(self, unit: Unit, python_version: str, values: Callable[[str], str]) -> RunResult | None:
        """A finished run of `unit` whose recorded dependencies have these values (lock held)."""
        fingerprint = self.fingerprints[python_version]
        for dependencies in self.dependencies.get(unit.name, []):
            key = unit_key(fingerprint, unit, dependencies, values)
            found = self.results.get(key) or self._cached_pass(key)
            if found is not None:
                self.results[key] = found
                return found
        return None

    def run_task(self, task: Task) -> RunResult:
        """The task's result: an earlier run whose recorded dependencies match, or a new run."""
        python_version = task.combination.answers["python_version"]
        venv = self.venv(python_version)
        listing = run_index.directories(task.index, task.unit.not_collected)

        @functools.cache  # the recorded runs of a unit share most of their dependencies
        def values(dependency: str) -> str:
            return run_index.dependency_value(dependency, task.index, listing)

        with self.lock:
            found = self.lookup(task.unit, python_version, values)
            if found is not None:
                return found
            self.in_flight[task.unit.name] = self.in_flight.get(task.unit.name, 0) + 1
        try:
            return self._run(task.unit, task.combination, task.index, venv, values)
        finally:
            with self.lock:
                self.in_flight[task.unit.name] -= 1

    def next_task(self, pending: list[Task]) -> Task | None:
        """The first pending task whose unit is not running now: a running one may record the
        dependencies that let this task reuse it. With every unit running, the first task."""
        with self.lock:
            for position, task in enumerate(pending):
                if not self.in_flight.get(task.unit.name):
                    return pending.pop(position)
            return pending.pop(0) if pending else None

    def _run(self, unit: Unit, combination: Combination, index: dict, venv: Path, values) -> RunResult:
        started = time.perf_counter()
        project = self.workdir / f"run-{combination.id}-{unit.name.replace(' ', '_')}"
        with self.render_lock:
            shutil.rmtree(project, ignore_errors=True)
            render_project(project, full_answers(combination), template=self.template_dir)
        passed, output, recorded = execute(unit, project, venv)
        failures = failing_tests(output)
        irrelevant = sorted(
            path
            for kind, _, path in (line.partition(" ") for line in recorded)
            if kind == "R" and run_index.is_run_irrelevant(path)
        )
        if irrelevant:
            passed = False
            failures.append(f"reads {', '.join(irrelevant)}, which the run tier keys as irrelevant (RUN_IRRELEVANT)")
        if passed and not failures and "passed" not in output and unit.command[0] != "make":
            passed, failures = False, ["no test passed"]
        declared = ["R requirements.txt", *([f"R {run_index.MAKE_PLAN}"] if unit.command[0] == "make" else [])]
        dependencies = sorted({*recorded, *declared})
        with self.lock:
            key = unit_key(self.fingerprints[combination.answers["python_version"]], unit, dependencies, values)
            if dependencies not in self.dependencies.setdefault(unit.name, []):
                self.dependencies[unit.name].append(dependencies)
            tail = "\n".join(output.splitlines()[-_TAIL_LINES:])
            result = RunResult(key, unit.name, combination.id, passed, time.perf_counter() - started, failures, tail)
            self.results[key] = result
            self._save(result)
        shutil.rmtree(project, ignore_errors=True)
        shutil.rmtree(project.parent / f"{project.name}.tmp", ignore_errors=True)
        (project.parent / f"{project.name}.reads").unlink(missing_ok=True)
        return result


@dataclass
class CombinationRuns:
    id: str
    reproduce: str
    runs: dict[str, str] = field(default_factory=dict)  # unit -> key
    error: str | None = None


def _pre_key(unit: Unit, combination: Combination, index: dict[str, str]) -> str:
    """Equal for combinations whose every run-relevant input is equal: they share a task outright."""
    relevant = sorted((path, digest) for path, digest in index.items() if not run_index.is_run_irrelevant(path))
    payload = json.dumps([unit.name, unit.command, combination.answers["python_version"], relevant])
    return hashlib.sha256(payload.encode()).hexdigest()


def plan_tasks(
    combinations: Sequence[Combination], indexes: dict[str, dict[str, str] | None]
) -> tuple[list[Task], dict[str, list[tuple[str, str]]], dict[str, CombinationRuns]]:
    """The distinct tasks, interleaved by unit, and for each task's pre-key the (combination, unit)
    pairs it answers."""
    tasks: list[Task] = []
    answers: dict[str, list[tuple[str, str]]] = {}
    per_combination: dict[str, CombinationRuns] = {}
    for combination in combinations:
        runs = per_combination[combination.id] = CombinationRuns(combination.id, reproduce_command(combination))
        index = indexes.get(combination.id)
        if index is None:
            runs.error = "not run: the combination did not render"
            continue
        for unit in units_for(index):
            pre_key = _pre_key(unit, combination, index)
            if pre_key not in answers:
                answers[pre_key] = []
                tasks.append(Task(unit, combination, index))
            answers[pre_key].append((combination.id, unit.name))
    return tasks, answers, per_combination


def reproduce_command(combination: Combination) -> str:
    return f"{combination.new_command()} && make -C /tmp/{combination.id} install test train smoke-test"


def run_run_tier(
    combinations: Sequence[Combination],
    indexes: dict[str, dict[str, str] | None],
    template_dir: Path,
    workdir: Path,
    cache_dir: Path,
    jobs: int = 2,
    on_result: Callable[[Task, RunResult], None] | None = None,
    venv_cache: Path | None = None,
) -> tuple[dict[str, CombinationRuns], dict[str, RunResult]]:
    """Run every combination's units, each distinct one once; (runs per combination, results by key)."""
    tasks, answers, per_combination = plan_tasks(combinations, indexes)
    tier = RunTier(template_dir, workdir, cache_dir, jobs, venv_cache)
    pending = list(tasks)
    errors: list[BaseException] = []

    def worker() -> None:
        while not errors:
            task = tier.next_task(pending)
            if task is None:
                return
            try:
                result = tier.run_task(task)
            except KeyboardInterrupt as error:
                errors.append(error)
                return
            except Exception as error:  # a crash in one task (a failed render) is that task's failure
                message = f"{type(error).__name__}: {error}".strip().splitlines()[-1]
                result = RunResult(
                    f"error-{task.combination.id}-{task.unit.name}",
                    task.unit.name,
                    task.combination.id,
                    False,
                    0.0,
                    [message],
                )
                with tier.lock:
                    tier.results[result.key] = result
            with tier.lock:
                for combination_id, unit_name in answers[_pre_key(task.unit, task.combination, task.index)]:
                    per_combination[combination_id].runs[unit_name] = result.key
            if on_result:
                on_result(task, result)

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(max(jobs, 1))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return per_combination, tier.results
