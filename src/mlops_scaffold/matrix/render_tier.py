"""Rendering and checking combinations: the render tier of the matrix, shared by
`mlops-scaffold matrix --run` and the test suite.

For each combination: render with copier, compare the file set with the manifest, run every
check of `mlops_scaffold.checks` (slow ones cached by content), ruff check and format --check.
"""

from __future__ import annotations

import functools
import os
import shutil
import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

from mlops_scaffold.checks import (
    ALL_CHECKS,
    Check,
    Finding,
    aml,
    cache_file,
    pipelines,
    read_cached,
    rendering,
    run_checks,
    write_cached,
)
from mlops_scaffold.manifest import expected_files
from mlops_scaffold.matrix import render_passes
from mlops_scaffold.matrix.combinations import Combination, full_answers
from mlops_scaffold.matrix.run_tier.index import content_index
from mlops_scaffold.options import QUESTIONS_BY_NAME
from mlops_scaffold.project_files import Project, iter_files
from mlops_scaffold.render import CHECKOUT_ROOT, render_project
from mlops_scaffold.venvs import InterpreterNotFound, ensure_venv, find_python, shared_requirements


def snapshot_template(source: Path, dest: Path) -> Path:
    """Copy the template (working tree, uncommitted changes included) outside git, so copier
    reads it directly instead of cloning it for every rendering."""
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    shutil.copy2(source / "copier.yml", dest / "copier.yml")
    for folder in ("template", "hooks", "jinja"):
        if (source / folder).is_dir():  # bytecode left by a run would change render_passes' key
            shutil.copytree(source / folder, dest / folder, ignore=shutil.ignore_patterns("__pycache__"))
    return dest


def manifest_findings(project: Path, template_dir: Path, answers: dict) -> list[Finding]:
    expected = expected_files(template_dir / "template", answers)
    actual = {str(path.relative_to(project)) for path in iter_files(project)}
    return [Finding(path, None, "rendered but not expected by the manifest") for path in sorted(actual - expected)] + [
        Finding(path, None, "expected by the manifest but not rendered") for path in sorted(expected - actual)
    ]


def check_combination(
    combination: Combination,
    template_dir: Path,
    dest: Path,
    cache_dir: Path | None,
    checks: Sequence[Check] = ALL_CHECKS,
) -> list[Finding]:
    """Render one combination into `dest` and return every finding of `checks` (empty: it passes)."""
    answers = full_answers(combination)
    render_project(dest, answers, template=template_dir)
    findings = manifest_findings(dest, template_dir, answers)
    findings += run_checks(dest, checks, cache_dir=cache_dir)
    return findings


# Checks that cost seconds per project in a process of their own (the Azure ML dry run imports
# azure-ai-ml; check-jsonschema loads its schemas). The render tier runs each once per distinct
# input (its cache key), many projects per process, with the batch function beside it.
DEFERRED: dict[Check, Callable[[list[Path]], dict[Path, list[Finding]]]] = {
    aml.dry_run_loads: aml.dry_run_many,
    pipelines.check_schemas: pipelines.schema_findings,
    rendering.ruff_clean: rendering.ruff_many,
}
IMMEDIATE_CHECKS = tuple(check for check in ALL_CHECKS if check not in DEFERRED)


@dataclass
class Outcome:
    id: str
    answers: dict
    reproduce: str
    seconds: float
    findings: list[str] = field(default_factory=list)
    error: str | None = None
    pending: dict[str, str] = field(default_factory=dict)  # deferred check -> its cache file, yet to run
    index: dict[str, str] | None = None  # content hashes of the rendering, for the run tier
    reused: bool = False  # passed in an earlier invocation with the same inputs (render_passes)

    @property
    def passed(self) -> bool:
        return not self.findings and self.error is None


def _run_one(combination: Combination, template_dir: Path, workdir: Path, cache_dir: Path) -> Outcome:
    """Render and check one combination; the rendering stays when its dry run is still pending."""
    started = time.perf_counter()
    dest = workdir / combination.id
    outcome = Outcome(combination.id, dict(combination.answers), combination.new_command(), 0.0)
    try:
        with Project.opened(dest):  # read once (lazily, after rendering) for checks, index and keys
            findings = check_combination(combination, template_dir, dest, cache_dir, IMMEDIATE_CHECKS)
            outcome.index = content_index(dest)
            cache_files = {check: cache_file(check, dest, cache_dir) for check in DEFERRED}
        for check in DEFERRED:
            cached = cache_files[check]
            if cached is None:  # its tool is missing: run it here, uncached, to report that
                findings += check(dest)
                continue
            deferred = read_cached(cached)
            if deferred is None:
                outcome.pending[check.__name__] = str(cached)
            else:
                findings += deferred
        outcome.findings = [str(finding) for finding in findings]
    except Exception as error:  # a crash in one combination is that combination's failure
        outcome.error = f"{type(error).__name__}: {str(error).strip().splitlines()[-1] if str(error).strip() else ''}"
    if not outcome.pending:
        shutil.rmtree(dest, ignore_errors=True)
    outcome.seconds = time.perf_counter() - started
    return outcome


def project_python(template_dir: Path, venv_cache: Path | None = None) -> str:
    """The interpreter with the generated projects' requirements, for the Azure ML dry run:
    MLOPS_SCAFFOLD_PROJECT_PYTHON when set, else the shared venv (built on first use) of the
    default Python version, with its superset lock (every combination's lock is within it)."""
    configured = os.environ.get("MLOPS_SCAFFOLD_PROJECT_PYTHON")
    if configured:
        return configured
    question = QUESTIONS_BY_NAME["python_version"]
    versions = [str(question.default)] + [str(choice) for choice in question.choices if choice != question.default]
    version = next((v for v in versions if _has_python(v)), versions[0])  # versions[0]: its error says what to install
    print(f"project venv: Python {version} with the generated requirements (built once, cached)", file=sys.stderr)
    venv = ensure_venv(version, shared_requirements(template_dir / "template", venv_cache, version), venv_cache)
    return str(venv / "bin" / "python")


def _has_python(version: str) -> bool:
    try:
        find_python(version)
    except InterpreterNotFound:
        return False
    return True


def _run_deferred(
    outcomes: Sequence[Outcome], workdir: Path, jobs: int, python: Callable[[], str] | None = None
) -> None:
    """The pending deferred checks: each once per distinct cache key, split over `jobs` processes.
    `python` gives the project's interpreter for the dry run, asked only when one is pending."""
    for check, batch in DEFERRED.items():
        by_key: dict[str, list[Outcome]] = {}
        for outcome in outcomes:
            if check.__name__ in outcome.pending:
                by_key.setdefault(outcome.pending[check.__name__], []).append(outcome)
        representatives = {key: workdir / group[0].id for key, group in by_key.items()}
        keys = list(representatives)
        if keys:  # minutes of work after the progress bar is full: say what it is
            print(f"{check.__name__}: {len(keys)} distinct inputs, in {jobs} processes", file=sys.stderr, flush=True)
        if keys and check is aml.dry_run_loads and python is not None:
            batch = functools.partial(aml.dry_run_many, python=python())
        chunks = [keys[index::jobs] for index in range(jobs) if keys[index::jobs]]
        with ThreadPoolExecutor(max_workers=max(len(chunks), 1)) as pool:
            results = pool.map(lambda chunk: batch([representatives[key] for key in chunk]), chunks)  # noqa: B023
            for chunk, found in zip(chunks, results, strict=True):
                for key in chunk:
                    findings = found[representatives[key]]
                    write_cached(Path(key), findings)
                    for outcome in by_key[key]:
                        outcome.findings += [str(finding) for finding in findings]
    for outcome in outcomes:
        if outcome.pending:
            shutil.rmtree(workdir / outcome.id, ignore_errors=True)
            outcome.pending = {}


def run_render_tier(
    combinations: Sequence[Combination],
    workdir: Path,
    jobs: int = 2,
    source: Path = CHECKOUT_ROOT,
    cache_dir: Path | None = None,
    on_outcome: Callable[[Outcome], None] | None = None,
    venv_cache: Path | None = None,
) -> list[Outcome]:
    """Render and check every combination with `jobs` processes; outcomes in combination order.
    The dry run's interpreter comes from `project_python` (venv_cache: where its venv lives)."""
    cache_dir = cache_dir or workdir / "_cache"
    template_dir = snapshot_template(source, workdir / "_template")
    key = render_passes.tier_key(template_dir)
    outcomes: dict[str, Outcome] = {}
    for combination in combinations:
        index = render_passes.remembered(cache_dir, key, combination)
        if index is not None:
            outcomes[combination.id] = Outcome(
                combination.id, dict(combination.answers), combination.new_command(), 0.0, index=index, reused=True
            )
    if outcomes:
        print(
            f"{len(outcomes)} of {len(combinations)} combinations passed before with this template, code and "
            f"tools: not rendered again (delete {cache_dir / render_passes.FOLDER} to check them again)",
            file=sys.stderr,
            flush=True,
        )
        for outcome in outcomes.values():
            if on_outcome:
                on_outcome(outcome)
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        todo = [combination for combination in combinations if combination.id not in outcomes]
        futures = [pool.submit(_run_one, c, template_dir, workdir, cache_dir) for c in todo]
        for future in as_completed(futures):
            outcome = future.result()
            outcomes[outcome.id] = outcome
            if on_outcome:
                on_outcome(outcome)
    ordered = [outcomes[combination.id] for combination in combinations]
    _run_deferred(ordered, workdir, jobs, lambda: project_python(template_dir, venv_cache))
    for combination, outcome in zip(combinations, ordered, strict=True):
        if outcome.passed and not outcome.reused and outcome.index is not None:
            render_passes.remember(cache_dir, key, combination, outcome.index)
    return ordered
