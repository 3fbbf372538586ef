"""Checks of the generated ML project (issue 3): the step scripts of the contract are where the
pipelines call them, the Makefile has the local-loop targets, and every environment is pinned."""

from __future__ import annotations

import contextlib
import functools
import io
import json
import re
import types
from pathlib import Path

import yaml

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

from mlops_scaffold import yamlio
from mlops_scaffold.checks.base import Finding, reads
from mlops_scaffold.model import PROMOTES
from mlops_scaffold.project_files import recorded_answers
from mlops_scaffold.traits.paths import Flag

ANSWERS_FILE = ".copier-answers.yml"
_PIN = re.compile(r"^[A-Za-z0-9_.\[\],-]+==[^=\s;]+(\s*;.*)?$")


@reads(ANSWERS_FILE, "*/training/**", "*/evaluate/**", "*/register/**", "*/scoring/**", "*/parameters.json", "data/**")
def contract_files(project: Path) -> list[Finding]:
    """The files other areas and the pipelines call, for these answers."""
    answers = recorded_answers(project)
    sample = answers.get("sample_name", "diabetes_regression")
    expected = [
        f"{sample}/training/train.py",
        f"{sample}/training/train_step.py",
        f"{sample}/evaluate/evaluate_step.py",
        f"{sample}/register/register_step.py",
        f"{sample}/scoring/score.py",
        f"{sample}/parameters.json",
        "ml_service/smoke_test.py",
        "data/diabetes.csv",
    ]
    if answers.get("batch_scoring", True):
        expected += [f"{sample}/scoring/batch_score.py", f"{sample}/scoring/copy_output.py"]
    if answers.get("r_training", "none") != "none":
        expected += [f"{sample}/training/R/r_train.r", "data/weight_data.csv"]
    findings = [Finding(path, None, "missing (the pipelines and Makefile call it)") for path in expected]
    findings = [finding for finding in findings if not (project / finding.path).is_file()]
    parameters = project / sample / "parameters.json"
    if parameters.is_file():
        try:
            alpha = json.loads(parameters.read_text())["training"]["alpha"]
            if not isinstance(alpha, (int, float)):
                findings.append(Finding(f"{sample}/parameters.json", None, "training.alpha must be a number"))
        except (ValueError, KeyError, TypeError):
            findings.append(Finding(f"{sample}/parameters.json", None, "needs JSON with training.alpha"))
    return findings


@reads(ANSWERS_FILE, "Makefile")
def makefile_targets(project: Path) -> list[Finding]:
    """The local-loop targets, and VENV overridable (test harnesses point it at a shared venv)."""
    path = project / "Makefile"
    if not path.is_file():
        return [Finding("Makefile", None, "missing")]
    text = path.read_text()
    answers = recorded_answers(project)
    targets = ["install", "lint", "test", "train", "serve", "smoke-test", "monitor", "retrain-if-drift"]
    if answers.get("batch_scoring", True):
        targets.append("batch-score")
    if answers.get("r_training", "none") != "none":
        targets.append("train-r")
    if Flag("environments", PROMOTES).holds(answers):
        targets.append("promote")
    findings = [
        Finding("Makefile", None, f"no `{target}` target")
        for target in targets
        if not re.search(rf"^{re.escape(target)}:", text, re.MULTILINE)
    ]
    if not re.search(r"^VENV \?= ", text, re.MULTILINE):
        findings.append(Finding("Makefile", None, "VENV must be overridable (`VENV ?= .venv`)"))
    return findings


@reads(ANSWERS_FILE, "requirements.txt", "environments/*.yml")
def environments_pinned(project: Path) -> list[Finding]:
    """requirements.txt (the lock exported for pip) pins every package (==) with its hashes; the
    conda environments pin every package and the answered Python."""
    findings = []
    requirements = project / "requirements.txt"
    if requirements.is_file():
        entries: list[tuple[int, str, int]] = []  # line, requirement, hashes
        for number, line in enumerate(requirements.read_text().splitlines(), start=1):
            line = line.strip().removesuffix("\\").strip()
            if line.startswith("--hash=") and entries:
                entries[-1] = (entries[-1][0], entries[-1][1], entries[-1][2] + 1)
            elif line and not line.startswith("#"):
                entries.append((number, line, 0))
        for number, line, hashes in entries:
            if not _PIN.match(line):
                findings.append(Finding("requirements.txt", number, f"not pinned with ==: {line}"))
            elif not hashes:
                findings.append(Finding("requirements.txt", number, f"no --hash (run make lock): {line}"))
    else:
        findings.append(Finding("requirements.txt", None, "missing"))
    python_version = str(recorded_answers(project).get("python_version", ""))
    for name in ("train.yml", "score.yml"):
        relative = f"environments/{name}"
        path = project / relative
        if not path.is_file():
            findings.append(Finding(relative, None, "missing"))
            continue
        try:
            dependencies = (yamlio.load(path.read_text()) or {}).get("dependencies", [])
        except yaml.YAMLError as error:
            findings.append(Finding(relative, None, f"not valid YAML: {error}"))
            continue
        pythons = [item for item in dependencies if isinstance(item, str) and item.startswith("python=")]
        if python_version and pythons != [f"python={python_version}"]:
            findings.append(Finding(relative, None, f"must pin python={python_version}, has {pythons}"))
        for item in dependencies:
            for package in item.get("pip", []) if isinstance(item, dict) else []:
                if not _PIN.match(package):
                    findings.append(Finding(relative, None, f"pip package not pinned with ==: {package}"))
    return findings


def _normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


@reads("uv.lock", "environments/*.yml")
def environments_match_lock(project: Path) -> list[Finding]:
    """Azure ML runs what the local loop and CI run: every package an environment pins is in uv.lock
    (azureml-mlflow, which only Azure ML needs, is locked as the `azureml` group) at a version the
    lock holds."""
    lock = project / "uv.lock"
    if not lock.is_file():
        return [Finding("uv.lock", None, "missing: run make lock")]
    try:
        packages = tomllib.loads(lock.read_text(encoding="utf-8")).get("package", [])
    except tomllib.TOMLDecodeError as error:
        return [Finding("uv.lock", None, f"not valid TOML: {error}")]
    locked: dict[str, set[str]] = {}
    for package in packages:
        locked.setdefault(_normalized(package["name"]), set()).add(str(package.get("version")))
    findings = []
    for path in sorted((project / "environments").glob("*.yml")):
        relative = str(path.relative_to(project))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            match = re.match(r"^\s*-\s*([A-Za-z0-9_.-]+)==([^\s;#]+)", line)
            if match and _normalized(match[1]) not in locked:
                findings.append(Finding(relative, number, f"{match[1]}=={match[2]}, but uv.lock does not lock it"))
            elif match and match[2] not in locked[_normalized(match[1])]:
                versions = ", ".join(sorted(locked[_normalized(match[1])]))
                findings.append(Finding(relative, number, f"{match[1]}=={match[2]}, but uv.lock locks {versions}"))
    return findings


REGISTRY_GUARD = "ml_service/deploy/registry_guard.py"


# ml_service/deploy/registry_guard.py's GUARDED_FOLDERS (itself included)
@reads("ml_service/**/*", "environment_setup/**/*", ".pipelines/**/*", ".github/**/*")
def registry_guard_passes(project: Path) -> list[Finding]:
    """`make lint`'s registry guard (standard library only), where the project has one: the
    project's own guard, run in this process (a subprocess per combination cost the matrix 50 ms)."""
    guard = project / REGISTRY_GUARD
    if not guard.is_file():
        return []
    namespace = {"__name__": "registry_guard", "__file__": str(guard)}  # it skips its own file
    exec(_compiled(guard.read_text(encoding="utf-8")), namespace)
    errors = io.StringIO()
    with contextlib.redirect_stderr(errors):
        code = namespace["main"]([str(project)])
    if code == 0:
        return []
    lines = errors.getvalue().strip().splitlines() or [f"exit code {code}"]
    return [Finding(REGISTRY_GUARD, None, f"the registry guard fails: {line}") for line in lines]


@functools.lru_cache(maxsize=16)
def _compiled(source: str) -> types.CodeType:
    return compile(source, REGISTRY_GUARD, "exec")


CHECKS = [contract_files, makefile_targets, environments_pinned, environments_match_lock, registry_guard_passes]
