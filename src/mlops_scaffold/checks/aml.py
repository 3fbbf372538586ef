"""Checks of a generated repo's Azure ML orchestration (ml_service/), all offline.

The dry run (`python -m ml_service.dry_run`) writes every entity the project creates; each YAML
must carry its $schema line and load with the matching azure.ai.ml loader, and each JSON request
must have the shape of an ARM template or a REST request. Both run in a Python with the project's
requirements (azure-ai-ml, databricks-sdk): `MLOPS_SCAFFOLD_PROJECT_PYTHON`, else the project's
.venv once `make install` has filled it, else a shared venv built from its requirements.txt.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

from mlops_scaffold import targets, yamlio
from mlops_scaffold.checks.base import Finding, content_key, keyed_by
from mlops_scaffold.project_files import Project, recorded_answers, text_of
from mlops_scaffold.traits.paths import Flag
from mlops_scaffold.traits.values import SCORING_IMAGE

DRY_RUN_OUTPUT = "build/aml"  # what `make aml-dry-run` writes; the check writes to a temporary folder
SCHEMA_ROOT = "https://azuremlschemas.azureedge.net/latest/"
LOADERS = {
    "pipelineJob": "load_job",
    "commandJob": "load_job",
    "environment": "load_environment",
    "amlCompute": "load_compute",
    "data": "load_data",
    "azureBlob": "load_datastore",
    **targets.collect_map("AML_LOADERS"),  # the endpoints of the deployment targets, from their modules
    # Production monitoring and retraining (ml_service/monitoring.py).
    "monitorSchedule": "load_schedule",
    "schedule": "load_schedule",
    # The registry between the environments' workspaces (ml_service/promote.py, ADR 28).
    "registry": "load_registry",
}
ARM_SCHEMA_PREFIX = "https://schema.management.azure.com/schemas/"


def project_python(project: Path) -> str:
    """The interpreter that has the project's requirements: MLOPS_SCAFFOLD_PROJECT_PYTHON, else the
    project's .venv once `make install` has put azure-ai-ml in it, else an environment of our own
    built from the project's requirements.txt (shared and cached, see mlops_scaffold.venvs)."""
    configured = os.environ.get("MLOPS_SCAFFOLD_PROJECT_PYTHON")
    if configured:
        return configured
    venv = project / ".venv" / "bin" / "python"
    if venv.is_file() and _has_azure_ai_ml(str(venv)):
        return str(venv)
    return own_python(project)


def _has_azure_ai_ml(python: str) -> bool:
    probe = "import importlib.util, sys; sys.exit(importlib.util.find_spec('azure.ai.ml') is None)"
    return subprocess.run([python, "-c", probe], capture_output=True, timeout=120).returncode == 0


class NoProjectPython(RuntimeError):
    """No interpreter with the project's requirements can be had; str() is the one-line reason."""


def _covering_requirements(requirements: Path, python_version: str) -> Path:
    """The template's superset requirements (mlops_scaffold.venvs.shared_requirements) when they pin
    every line of the project's, so every project of this template version shares one venv, as the
    test suite and the matrix do; else the project's own (another template version, user edits)."""
    import jinja2

    from mlops_scaffold.venvs import shared_requirements

    wanted = {line.strip() for line in requirements.read_text(encoding="utf-8").splitlines() if line.strip()}
    try:
        shared = shared_requirements(python_version=python_version)
    except (OSError, jinja2.TemplateError):  # no template beside this package (an installed wheel)
        return requirements
    pinned = {line.strip() for line in shared.read_text(encoding="utf-8").splitlines() if line.strip()}
    return shared if wanted <= pinned else requirements


def own_python(project: Path) -> str:
    """The shared venv with the project's requirements.txt, for its Python version; built on first
    use (minutes, so it says so on stderr), then reused by every project with the same requirements."""
    from mlops_scaffold.venvs import InterpreterNotFound, ensure_venv

    requirements = project / "requirements.txt"
    if not requirements.is_file():
        raise NoProjectPython("requirements.txt is missing: no environment for azure-ai-ml can be built")
    running = f"{sys.version_info.major}.{sys.version_info.minor}"
    version = str(recorded_answers(project).get("python_version") or running)

    def progress(message: str) -> None:
        print(f"mlops-scaffold check: {message}", file=sys.stderr, flush=True)

    try:
        venv = ensure_venv(version, _covering_requirements(requirements, version), progress=progress)
    except InterpreterNotFound as error:
        raise NoProjectPython(str(error)) from error
    except subprocess.CalledProcessError as error:
        raise NoProjectPython(f"building the environment failed: {' '.join(map(str, error.cmd))[:200]}") from error
    return str(venv / "bin" / "python")


# Runs in the project's Python. For each job [project, output, dotenv]: the project's dry run into
# output (skipped when project is ""), then every YAML there loaded with its azure.ai.ml loader.
# One process for many projects: azure.ai.ml is imported once, and each project's own modules
# (ml_service, its ML package) are dropped from sys.modules before the next one.
_BATCH_SCRIPT = """
import contextlib, io, json, os, sys, traceback, warnings
from pathlib import Path
warnings.simplefilter("ignore")
import yaml
import azure.ai.ml as aml
import azure.ai.ml.entities._load_functions as aml_loaders  # load_schedule is not exported by azure.ai.ml
jobs, loaders = json.loads(Path(sys.argv[1]).read_text()), json.loads(sys.argv[2])
installed = tuple(os.path.join(os.path.realpath(p), "") for p in {sys.prefix, sys.base_prefix, sys.exec_prefix})
def _own(file, project):
    # the project's modules (ml_service, its ML package), never an installed package: a project's
    # .venv lives under the project, and purging azure.ai.ml's modules breaks its schemas
    file = os.path.realpath(file) if file else ""
    return file.startswith(os.path.join(project, "")) and not file.startswith(installed)
report = {}
for project, output, dotenv in jobs:
    results, error = {}, None
    if project:
        for name in [n for n, m in list(sys.modules.items()) if _own(getattr(m, "__file__", None) or "", project)]:
            del sys.modules[name]
        sys.path.insert(0, project)
        os.chdir(project)
        os.environ["ML_SERVICE_DOTENV"] = dotenv
        said = io.StringIO()  # the dry run's own one-line error, if it stops with one
        try:
            from ml_service.dry_run import main
            with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(said):
                code = main(["--output", output])
            if code:
                error = f"dry run exited {code}"
        except SystemExit as exit_:
            error = f"dry run exited {exit_.code}"
        except Exception:
            error = traceback.format_exc().strip().splitlines()[-1]
        finally:
            sys.path.remove(project)
        lines = [line for line in said.getvalue().splitlines() if line.strip()]
        if error and lines:
            error = lines[-1]
    if error is None:
        for path in sorted(Path(output).rglob("*.yml")):
            name, kind = path.relative_to(output).as_posix(), ""
            try:
                schema = yaml.safe_load(path.read_text(encoding="utf-8")).get("$schema", "")
                kind = schema.rsplit("/", 1)[-1].split(".")[0]
                if kind not in loaders:
                    results[name] = f"no azure.ai.ml loader for $schema {schema!r}"
                    continue
                (getattr(aml, loaders[kind], None) or getattr(aml_loaders, loaders[kind]))(path)
                results[name] = None
            except Exception as exc:
                detail = " ".join(str(exc).split())[:400]
                results[name] = f"{loaders.get(kind, 'load')} failed: {type(exc).__name__}: {detail}"
    report[output] = {"error": error, "results": results}
print(json.dumps(report))
"""


def _run_batch(jobs: list[tuple[Path | None, Path]], python: str) -> dict[Path, list[Finding]]:
    """Run the batch script over (project or None, output) jobs; findings per output folder."""
    with tempfile.TemporaryDirectory(prefix="aml-batch-") as folder:
        rows = []
        for index, (project, output) in enumerate(jobs):
            dotenv = Path(folder) / f"{index}.env"
            if project is not None:
                dotenv.write_text(dry_run_settings(project), encoding="utf-8")
            rows.append([str(project.resolve()) if project else "", str(output.resolve()), str(dotenv)])
        (Path(folder) / "jobs.json").write_text(json.dumps(rows))
        environ = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
        result = subprocess.run(
            [python, "-c", _BATCH_SCRIPT, str(Path(folder) / "jobs.json"), json.dumps(LOADERS)],
            env=environ,
            capture_output=True,
            text=True,
            timeout=3600,
        )
    if result.returncode != 0:
        line = _last_line(result.stderr or result.stdout)
        return {output: [Finding("ml_service/dry_run.py", None, f"dry run failed: {line}")] for _, output in jobs}
    report = json.loads(result.stdout.strip().splitlines()[-1])
    findings = {}
    for _, output in jobs:
        entry = report[str(output.resolve())]
        if entry["error"]:
            findings[output] = [Finding("ml_service/dry_run.py", None, f"dry run failed: {entry['error']}")]
            continue
        found = [*_schema_lines(output), *_json_shapes(output), *_retraining_gate(output)]
        found += [Finding(f"{DRY_RUN_OUTPUT}/{name}", None, error) for name, error in entry["results"].items() if error]
        if not entry["results"]:
            found.append(Finding(DRY_RUN_OUTPUT, None, "the dry run wrote no YAML"))
        findings[output] = found
    return findings


def _missing_dry_run(project: Path) -> list[Finding]:
    if (project / "ml_service" / "dry_run.py").is_file():
        return []
    return [Finding("ml_service/dry_run.py", None, "missing: `make aml-dry-run` has nothing to run")]


def _no_python(error: NoProjectPython) -> list[Finding]:
    return [Finding("requirements.txt", None, f"cannot run the Azure ML dry run: {error}")]


def dry_run_many(projects: list[Path], python: str | None = None) -> dict[Path, list[Finding]]:
    """dry_run_loads for many projects in one interpreter (the matrix's fast path)."""
    findings = {project: _missing_dry_run(project) for project in projects}
    runnable = [project for project in projects if not findings[project]]
    if not runnable:
        return findings
    try:
        python = python or project_python(runnable[0])
    except NoProjectPython as error:
        return {**findings, **{project: _no_python(error) for project in runnable}}
    with tempfile.TemporaryDirectory(prefix="aml-dry-run-") as folder:
        outputs = {project: Path(folder) / f"out{index}" for index, project in enumerate(runnable)}
        found = _run_batch([(project, output) for project, output in outputs.items()], python)
        for project, output in outputs.items():
            findings[project] = found[output]
    return findings


def dry_run_settings(project: Path) -> str:
    """The generated values (.env.example, never a developer's .env) that ml_service reads: lines
    with a value whose name its code mentions. Values nothing reads cannot change the dry run, so
    they stay out of it and out of its cache key; nor can an empty one (`NAME=''`), which the
    generated settings read as unset (tests/test_aml.py proves it)."""
    opened = Project.of(project)
    code = "".join(text_of(path) for path in opened.glob("ml_service/**/*.py"))
    lines = text_of(project / ".env.example").splitlines() if opened.is_file(".env.example") else []
    words = set(_WORD.findall(code))  # `\bNAME\b` matches exactly when a whole word of the code is NAME
    kept = []
    for line in lines:
        name, separator, value = line.partition("=")
        if not separator or not value.strip().strip("'\"") or name.startswith("#"):
            continue
        if name in words if _WORD.fullmatch(name) else re.search(rf"\b{re.escape(name)}\b", code):
            kept.append(line)
    return "\n".join(kept) + "\n"


_WORD = re.compile(r"\w+")


# What the dry run reads: its code, the environments and data it registers, the step scripts.
DRY_RUN_INPUTS = ("ml_service/**/*.py", "environments/**/*", "data/**/*", "*/*.json", "*/*/*.py", "*/training/R/*")


def dry_run_key(project: Path) -> str:
    return content_key(project, DRY_RUN_INPUTS, salt=dry_run_settings(project))


def _last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    last = lines[-1] if lines else "no output"
    if "ModuleNotFoundError" in last:
        return f"{last} (run it with the project's Python: `make install`, or set MLOPS_SCAFFOLD_PROJECT_PYTHON)"
    return last


def entry_points(project: Path) -> list[Finding]:
    """The ml_service modules the CI/CD pipelines call exist for the options chosen."""
    answers = recorded_answers(project)
    expected = ["ml_service/dry_run.py", "ml_service/pipelines/run_training.py", "ml_service/deploy/endpoints.py"]
    expected += [f"ml_service/deploy/{target}.py" for target in answers.get("deployment_targets", [])]
    if answers.get("canary_release"):
        expected.append("ml_service/deploy/canary.py")
    if answers.get("batch_scoring"):
        expected.append("ml_service/pipelines/run_batch_scoring.py")
    if answers.get("r_training", "none") != "none":
        expected.append("ml_service/pipelines/run_r_training.py")
    if answers.get("r_training") == "aml":
        expected.append("environments/r/Dockerfile")
    if Flag("deployment_targets", SCORING_IMAGE).holds(answers):
        expected.append("environments/scoring-image/Dockerfile")
    missing = [path for path in expected if not (project / path).is_file()]
    return [Finding(path, None, "missing: the CI/CD pipelines call it") for path in missing]


def dry_run_output(project: Path, output: Path, python: str | None = None) -> list[Finding]:
    """Run the project's dry run into `output` and check every file it writes."""
    missing = _missing_dry_run(project)
    if missing:
        return missing
    try:
        python = python or project_python(project)
    except NoProjectPython as error:
        return _no_python(error)
    return _run_batch([(project, output)], python)[output]


def written_files(project: Path, output: Path, python: str | None = None) -> list[Finding]:
    """Every file of a dry run's `output`: $schema lines, loading with azure.ai.ml, JSON shapes."""
    try:
        python = python or project_python(project)
    except NoProjectPython as error:
        return _no_python(error)
    return _run_batch([(None, output)], python)[output]


def _schema_lines(output: Path) -> list[Finding]:
    findings = []
    for path in sorted(output.rglob("*.yml")):
        first = path.read_text(encoding="utf-8").split("\n", 1)[0]
        if not first.startswith(f"$schema: {SCHEMA_ROOT}"):
            name = f"{DRY_RUN_OUTPUT}/{path.relative_to(output).as_posix()}"
            findings.append(Finding(name, 1, f"first line must be the $schema line, not {first!r}"))
    return findings


RETRAINING_GATE = "the scheduled retraining does not end at the evaluate gate (register without evaluate's decision)"
DRIFT_GATE = "the drift-retraining pipeline trains whatever its monitor finds (train without the monitor's breach)"


def _retraining_gate(output: Path) -> list[Finding]:
    """A scheduled pipeline that trains (the retraining of docs/monitoring.md) ends at the evaluate
    gate: its register step takes the evaluate step's decision, so a retrained model is registered only if better.
    One that monitors first (the drift retraining) trains only on a breach: its train step takes the monitor's."""
    findings = []
    for path in sorted(output.glob("schedules/*.yml")):
        create_job = (yamlio.load(path.read_text(encoding="utf-8")) or {}).get("create_job")
        if not isinstance(create_job, dict) or create_job.get("type") != "pipeline":
            continue
        job_file = path.parent / str(create_job.get("job", ""))
        pipeline = yamlio.load(job_file.read_text(encoding="utf-8")) if job_file.is_file() else None
        jobs = (pipeline or {}).get("jobs") or {}
        if "register" not in jobs and "evaluate" not in jobs:  # registers nothing: a monitor alone, no gate
            continue
        name = f"{DRY_RUN_OUTPUT}/{path.relative_to(output).as_posix()}"
        decision = str(((jobs.get("register") or {}).get("inputs") or {}).get("decision_input", ""))
        if "evaluate" not in jobs or "parent.jobs.evaluate.outputs" not in decision:
            findings.append(Finding(name, None, RETRAINING_GATE))
        drift = str(((jobs.get("train") or {}).get("inputs") or {}).get("drift_input", ""))
        if "monitor" in jobs and "parent.jobs.monitor.outputs" not in drift:
            findings.append(Finding(name, None, DRIFT_GATE))
    return findings


def _json_shapes(output: Path) -> list[Finding]:
    """ARM templates ($schema, resources) or REST requests (method, path, body)."""
    findings = []
    for path in sorted(output.rglob("*.json")):
        name = f"{DRY_RUN_OUTPUT}/{path.relative_to(output).as_posix()}"
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as error:
            findings.append(Finding(name, error.lineno, f"not JSON: {error.msg}"))
            continue
        is_arm = str(document.get("$schema", "")).startswith(ARM_SCHEMA_PREFIX) and isinstance(
            document.get("resources"), list
        )
        is_request = {"method", "path", "body"} <= set(document) and isinstance(document["body"], dict)
        if not (is_arm or is_request):
            findings.append(Finding(name, None, "neither an ARM template nor a {method, path, body} request"))
    return findings


@keyed_by(dry_run_key)
def dry_run_loads(project: Path) -> list[Finding]:
    """`make aml-dry-run` succeeds offline and every file it writes loads (check entry point)."""
    with tempfile.TemporaryDirectory(prefix="aml-dry-run-") as folder:
        return dry_run_output(project, Path(folder) / "aml")


CHECKS = [entry_points, dry_run_loads]
