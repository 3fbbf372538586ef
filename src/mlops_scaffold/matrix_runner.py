"""Rendering and checking combinations: the render tier of the matrix, shared by
`mlops-scaffold matrix --run` and the test suite.

For each combination: render with copier, compare the file set with the manifest, run every
check of `mlops_scaffold.checks` (slow ones cached by content), ruff check and format --check.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from pathlib import Path

from mlops_scaffold.checks import ALL_CHECKS, Check, Finding, aml, cache_file, read_cached, run_checks, write_cached
from mlops_scaffold.manifest import expected_files
from mlops_scaffold.matrix import Combination, full_answers
from mlops_scaffold.project_files import iter_files
from mlops_scaffold.render import CHECKOUT_ROOT, render_project


def snapshot_template(source: Path, dest: Path) -> Path:
    """Copy the template (working tree, uncommitted changes included) outside git, so copier
    reads it directly instead of cloning it for every rendering."""
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    shutil.copy2(source / "copier.yml", dest / "copier.yml")
    for folder in ("template", "hooks"):
        if (source / folder).is_dir():
            shutil.copytree(source / folder, dest / folder)
    return dest


def manifest_findings(project: Path, template_dir: Path, answers: dict) -> list[Finding]:
    expected = expected_files(template_dir / "template", answers)
    actual = {str(path.relative_to(project)) for path in iter_files(project)}
    return [Finding(path, None, "rendered but not expected by the manifest") for path in sorted(actual - expected)] + [
        Finding(path, None, "expected by the manifest but not rendered") for path in sorted(expected - actual)
    ]


def ruff_findings(project: Path) -> list[Finding]:
    """ruff check and format --check with the generated project's own configuration."""
    findings = []
    check = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--no-cache", "--output-format", "json", "."],
        cwd=project,
        capture_output=True,
        text=True,
    )
    for row in json.loads(check.stdout or "[]"):
        relative = str(Path(row["filename"]).resolve().relative_to(project.resolve()))
        findings.append(Finding(relative, row["location"]["row"], f"ruff {row['code']}: {row['message']}"))
    formatted = subprocess.run(
        [sys.executable, "-m", "ruff", "format", "--no-cache", "--check", "."],
        cwd=project,
        capture_output=True,
        text=True,
    )
    for line in formatted.stdout.splitlines():
        if line.startswith("Would reformat: "):
            findings.append(Finding(line.removeprefix("Would reformat: "), None, "ruff format would reformat it"))
    return findings


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
    findings += ruff_findings(dest)
    return findings


# The Azure ML dry run imports azure-ai-ml: seconds per project. The render tier runs it apart,
# once per distinct input (its cache key) and many projects per interpreter.
DEFERRED_CHECK = aml.dry_run_loads
IMMEDIATE_CHECKS = tuple(check for check in ALL_CHECKS if check is not DEFERRED_CHECK)


@dataclass
class Outcome:
    id: str
    answers: dict
    reproduce: str
    seconds: float
    findings: list[str] = field(default_factory=list)
    error: str | None = None
    pending: str | None = None  # cache file of the deferred dry run, when it has yet to run

    @property
    def passed(self) -> bool:
        return not self.findings and self.error is None


def _worker_init() -> None:
    from mlops_scaffold import fast_jinja

    fast_jinja.enable()


def _run_one(combination: Combination, template_dir: Path, workdir: Path, cache_dir: Path) -> Outcome:
    """Render and check one combination; the rendering stays when its dry run is still pending."""
    started = time.perf_counter()
    dest = workdir / combination.id
    outcome = Outcome(combination.id, dict(combination.answers), combination.new_command(), 0.0)
    try:
        findings = check_combination(combination, template_dir, dest, cache_dir, IMMEDIATE_CHECKS)
        cached = cache_file(DEFERRED_CHECK, dest, cache_dir)
        deferred = read_cached(cached)
        if deferred is None:
            outcome.pending = str(cached)
        else:
            findings += deferred
        outcome.findings = [str(finding) for finding in findings]
    except Exception as error:  # a crash in one combination is that combination's failure
        outcome.error = f"{type(error).__name__}: {str(error).strip().splitlines()[-1] if str(error).strip() else ''}"
    if outcome.pending is None:
        shutil.rmtree(dest, ignore_errors=True)
    outcome.seconds = time.perf_counter() - started
    return outcome


def _run_deferred(outcomes: Sequence[Outcome], workdir: Path, jobs: int) -> None:
    """The pending dry runs: one per distinct cache key, split over `jobs` interpreters."""
    by_key: dict[str, list[Outcome]] = {}
    for outcome in outcomes:
        if outcome.pending:
            by_key.setdefault(outcome.pending, []).append(outcome)
    representatives = {key: workdir / group[0].id for key, group in by_key.items()}
    keys = list(representatives)
    chunks = [keys[index::jobs] for index in range(jobs) if keys[index::jobs]]
    with ThreadPoolExecutor(max_workers=max(len(chunks), 1)) as pool:
        results = pool.map(lambda chunk: aml.dry_run_many([representatives[key] for key in chunk]), chunks)
        for chunk, found in zip(chunks, results, strict=True):
            for key in chunk:
                findings = found[representatives[key]]
                write_cached(Path(key), findings)
                for outcome in by_key[key]:
                    outcome.findings += [str(finding) for finding in findings]
    for outcome in outcomes:
        if outcome.pending:
            shutil.rmtree(workdir / outcome.id, ignore_errors=True)
            outcome.pending = None


class Progress:
    """A one-line progress bar on a terminal; a line per 5% otherwise (CI logs)."""

    def __init__(self, total: int, stream=sys.stderr) -> None:
        self.total, self.done, self.failed = total, 0, 0
        self.stream = stream
        self.started = time.perf_counter()
        self.tty = stream.isatty()
        self._last_percent = -5

    def advance(self, outcome: Outcome) -> None:
        self.done += 1
        self.failed += not outcome.passed
        elapsed = time.perf_counter() - self.started
        eta = elapsed / self.done * (self.total - self.done)
        percent = 100 * self.done // self.total
        bar = "#" * (percent // 4)
        line = (
            f"[{bar:<25}] {self.done}/{self.total} {percent:3d}%  failed {self.failed}  eta {eta:4.0f}s  {outcome.id}"
        )
        if self.tty:
            print("\r" + line[:150].ljust(150), end="", file=self.stream, flush=True)
            if self.done == self.total:
                print(file=self.stream)
        elif percent >= self._last_percent + 5 or self.done == self.total:
            self._last_percent = percent
            print(line, file=self.stream, flush=True)


def run_render_tier(
    combinations: Sequence[Combination],
    workdir: Path,
    jobs: int = 2,
    source: Path = CHECKOUT_ROOT,
    cache_dir: Path | None = None,
    on_outcome: Callable[[Outcome], None] | None = None,
) -> list[Outcome]:
    """Render and check every combination with `jobs` processes; outcomes in combination order."""
    cache_dir = cache_dir or workdir / "_cache"
    template_dir = snapshot_template(source, workdir / "_template")
    outcomes: dict[str, Outcome] = {}
    with ProcessPoolExecutor(max_workers=jobs, initializer=_worker_init) as pool:
        futures = [pool.submit(_run_one, c, template_dir, workdir, cache_dir) for c in combinations]
        for future in as_completed(futures):
            outcome = future.result()
            outcomes[outcome.id] = outcome
            if on_outcome:
                on_outcome(outcome)
    ordered = [outcomes[combination.id] for combination in combinations]
    _run_deferred(ordered, workdir, jobs)
    return ordered


def report(outcomes: Sequence[Outcome], seconds: float) -> dict:
    failed = [outcome for outcome in outcomes if not outcome.passed]
    return {
        "combinations": len(outcomes),
        "passed": len(outcomes) - len(failed),
        "failed": len(failed),
        "seconds": round(seconds, 1),
        "failures": [asdict(outcome) for outcome in failed],
    }
