"""What a generated repo's CI/CD *does*: each pipeline read into a graph of jobs (Azure DevOps
stages/jobs/step templates, GitHub Actions jobs/needs/local actions) with the commands their steps
run; commands mapped to effects by the option traits (mlops_scaffold.traits); invariants checked
over that graph. The invariants are rows of INVARIANTS: a new stage or target adds rows, not code.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

from mlops_scaffold import traits, yamlio
from mlops_scaffold.checks.base import Finding, reads
from mlops_scaffold.deployment_environments import (
    SINGLE,
    Environment,
    ci_environments,
    environments_of,
    non_production_ci_environments,
    per_environment_name,
)
from mlops_scaffold.deployment_environments import previous as previous_environment
from mlops_scaffold.project_files import Project, recorded_answers, text_of
from mlops_scaffold.traits.paths import ENVIRONMENT_INPUTS

PIPELINE_FILES = (
    ".pipelines/*.yml",
    "environment_setup/*.yml",
    ".github/workflows/*.yml",
    ".github/actions/*/action.yml",
    ".copier-answers.yml",
)
# a GitHub Actions condition that also asks for a failed direct dependency (failure() alone sees every ancestor)
DIRECT_FAILURE = r"\bcontains\(\s*needs\.\*\.result\s*,\s*'failure'\s*\)"
PARAMETER = re.compile(r"\$\{\{\s*(?:parameters|inputs)\.([\w-]+)\s*\}\}")


# --- YAML with line numbers ---------------------------------------------------------------------


class Text(str):
    line: int = 0
    block: bool = False  # a literal/folded block: its content starts on the next line


class Mapping(dict):
    line: int = 0


def _build(node: yaml.Node) -> Any:
    if isinstance(node, yaml.MappingNode):
        mapping = Mapping()
        mapping.line = node.start_mark.line + 1
        for key, value in node.value:
            mapping[str(key.value)] = _build(value)
        return mapping
    if isinstance(node, yaml.SequenceNode):
        return [_build(item) for item in node.value]
    text = Text(node.value)
    text.line = node.start_mark.line + 1
    text.block = node.style in ("|", ">")
    return text


def load(path: Path) -> Any:
    """The file's YAML with line numbers (shared by text across projects: read it, never change it)."""
    return _load_text(text_of(path))


@functools.lru_cache(maxsize=2048)  # the matrix's pipelines repeat across combinations
def _load_text(text: str) -> Any:
    try:
        node = yamlio.compose(text)
    except yaml.YAMLError:
        return None  # checks/pipelines/schemas.py reports unparsable YAML
    return _build(node) if node is not None else None


# --- the graph ----------------------------------------------------------------------------------


@dataclass
class Command:
    line: int
    text: str


@dataclass
class Job:
    file: str
    name: str
    line: int
    environment: str | None
    needs: list[str]
    condition: str
    commands: list[Command] = field(default_factory=list)
    # failure() in GitHub Actions sees every ancestor job (unless the condition also asks that a direct
    # dependency failed, DIRECT_FAILURE); failed() in Azure DevOps only the direct dependencies (a
    # skipped stage is not a failed one).
    failure_sees_ancestors: bool = False
    # Azure DevOps variable groups it reads (pipeline, stage and job level): whose names it uses
    groups: list[str] = field(default_factory=list)


def _groups(variables: Any) -> list[str]:
    """The variable groups of an Azure DevOps `variables:` list."""
    if not isinstance(variables, list):
        return []
    return [str(entry["group"]) for entry in variables if isinstance(entry, dict) and "group" in entry]


def script_commands(script: Any, line: int | None = None, parameters: dict[str, Any] | None = None) -> list[Command]:
    """One Command per shell command line (continuations joined), parameters substituted."""
    if not isinstance(script, str):
        return []
    first = line if line is not None else getattr(script, "line", 0) + (1 if getattr(script, "block", False) else 0)
    commands: list[Command] = []
    pending: Command | None = None
    for offset, raw in enumerate(str(script).splitlines()):
        text, where = raw.strip(), first if line is not None else first + offset
        for name in PARAMETER.findall(text):
            value = (parameters or {}).get(name)
            if isinstance(value, str):
                text = text.replace(PARAMETER.search(text).group(0), str(value), 1)
                where = getattr(value, "line", where)
        if pending is not None:
            pending.text += " " + text.rstrip("\\").strip()
        elif text and not text.startswith("#"):
            pending = Command(where, text.rstrip("\\").strip())
        if pending is not None and not text.endswith("\\"):
            commands.append(pending)
            pending = None
    if pending is not None:
        commands.append(pending)
    return commands


def _ado_steps(project: Path, path: Path, steps: Any, parameters: dict[str, Any] | None = None) -> list[Command]:
    commands: list[Command] = []
    for step in steps if isinstance(steps, list) else []:
        if not isinstance(step, dict):
            continue
        for key in ("script", "bash"):
            commands += script_commands(step.get(key), parameters=parameters)
        inputs = step.get("inputs")
        if isinstance(inputs, dict):
            commands += script_commands(inputs.get("inlineScript"), parameters=parameters)
        if isinstance(step.get("template"), str):
            template = path.parent / str(step["template"])
            data = load(template) if template.is_file() else None
            if isinstance(data, dict):
                given = _template_parameters(data, step.get("parameters"))
                for command in _ado_steps(project, template, data.get("steps"), given):
                    # a command written in the template is reported at the step that uses it
                    inside = not any(command.line == getattr(value, "line", -1) for value in given.values())
                    commands.append(Command(step.line if inside else command.line, command.text))
    return commands


def _template_parameters(data: dict[str, Any], given: Any) -> dict[str, Any]:
    """A template's parameter defaults (as plain text: no line of their own) overridden by the caller's."""
    defaults = {
        str(item["name"]): str(item["default"])
        for item in data.get("parameters") or []
        if isinstance(item, dict) and "name" in item and isinstance(item.get("default"), str)
    }
    return {**defaults, **(given if isinstance(given, dict) else {})}


def _expand_job_templates(path: Path, jobs: Any) -> list[tuple[Path, Any, int | None]]:
    """A stage's jobs as (file, job, line to report at): a `- template:` entry in `jobs:` is replaced
    by the template's jobs, their steps read from the template's folder, commands reported at the
    entry that uses it (like a step template's)."""
    expanded: list[tuple[Path, Any, int | None]] = []
    for job in jobs if isinstance(jobs, list) else []:
        if isinstance(job, dict) and isinstance(job.get("template"), str) and "job" not in job:
            template = path.parent / str(job["template"])
            data = load(template) if template.is_file() else None
            if isinstance(data, dict):
                expanded += [(template, inner, job.line) for inner in data.get("jobs") or []]
        else:
            expanded.append((path, job, None))
    return expanded


def _names(value: Any) -> list[str]:
    if isinstance(value, str):
        return [str(value)]
    return [str(item) for item in value] if isinstance(value, list) else []


def _environment(value: Any) -> str | None:
    if isinstance(value, dict):
        value = value.get("name")
    return str(value).split(".")[0] if isinstance(value, str) else None


def ado_jobs(project: Path, path: Path, data: Any) -> list[Job]:
    rel = str(path.relative_to(project))
    stages = data.get("stages")
    if not isinstance(stages, list):
        stages = [Mapping(stage="", jobs=data["jobs"])] if isinstance(data.get("jobs"), list) else []
        if not stages and isinstance(data.get("steps"), list):
            stages = [Mapping(stage="", jobs=[Mapping(job="", steps=data["steps"])])]
    jobs: list[Job] = []
    stage_jobs: dict[str, list[str]] = {}
    pipeline_groups = _groups(data.get("variables"))
    previous: str | None = None
    for stage in stages:
        if not isinstance(stage, dict) or "stage" not in stage:
            continue
        name = str(stage["stage"])
        depends = _names(stage["dependsOn"]) if "dependsOn" in stage else ([previous] if previous is not None else [])
        needs = [job for upstream in depends for job in stage_jobs.get(upstream, [])]
        stage_jobs[name] = []
        for source, job, used_at in _expand_job_templates(path, stage.get("jobs")):
            if not isinstance(job, dict):
                continue
            job_name = f"{name}.{job.get('deployment') or job.get('job') or ''}".strip(".")
            steps = job.get("steps")
            strategy = job.get("strategy")
            if steps is None and isinstance(strategy, dict):
                steps = ((strategy.get("runOnce") or {}).get("deploy") or {}).get("steps")
            condition = str(stage.get("condition", "")) + " " + str(job.get("condition", ""))
            jobs.append(
                Job(
                    rel,
                    job_name or "(single job)",
                    used_at or getattr(job, "line", 0),
                    _environment(job.get("environment")),
                    needs,
                    condition.strip(),
                    [Command(used_at or command.line, command.text) for command in _ado_steps(project, source, steps)],
                    groups=pipeline_groups + _groups(stage.get("variables")) + _groups(job.get("variables")),
                )
            )
            stage_jobs[name].append(job_name or "(single job)")
        previous = name
    return jobs


def _github_steps(project: Path, steps: Any) -> list[Command]:
    commands: list[Command] = []
    for step in steps if isinstance(steps, list) else []:
        if not isinstance(step, dict):
            continue
        commands += script_commands(step.get("run"))
        uses = step.get("uses")
        if isinstance(uses, str) and uses.startswith("./"):
            action = project / uses / "action.yml"
            data = load(action) if action.is_file() else None
            runs = data.get("runs") if isinstance(data, dict) else None
            given = step.get("with") if isinstance(step.get("with"), dict) else {}
            if isinstance(runs, dict):
                for command in _github_steps(project, runs.get("steps")):
                    commands.append(Command(uses.line, _substitute(command.text, given)))
    return commands


def _substitute(text: str, given: dict[str, Any]) -> str:
    """`${{ inputs.x }}` of a local action replaced by the caller's `with:` value."""
    return PARAMETER.sub(lambda match: str(given.get(match.group(1), match.group(0))), text)


def github_jobs(project: Path, path: Path, data: Any) -> list[Job]:
    rel = str(path.relative_to(project))
    jobs: list[Job] = []
    for name, job in (data.get("jobs") or {}).items() if isinstance(data.get("jobs"), dict) else []:
        if not isinstance(job, dict):
            continue
        commands = _github_steps(project, job.get("steps"))
        uses = job.get("uses")
        if isinstance(uses, str) and uses.startswith("./") and (project / uses).is_file():
            called = load(project / uses)
            if isinstance(called, dict):
                for inner in github_jobs(project, project / uses, called):
                    commands += [Command(uses.line, command.text) for command in inner.commands]
        jobs.append(
            Job(
                rel,
                str(name),
                job.line,
                _environment(job.get("environment")),
                _names(job.get("needs")),
                str(job.get("if", "")),
                commands,
                failure_sees_ancestors=not re.search(DIRECT_FAILURE, str(job.get("if", ""))),
            )
        )
    return jobs


def pipeline_graphs(project: Path) -> dict[str, list[Job]]:
    """Every pipeline file's jobs; step templates are read where they are used, not on their own."""
    opened = Project.of(project)
    ado = sorted({*opened.glob(".pipelines/*.yml"), *opened.glob("environment_setup/*.yml")})
    loaded = {path: load(path) for path in ado}
    used_as_template = {
        (path.parent / str(match)).resolve()
        for path in ado
        for match in re.findall(r"^\s*-?\s*template:\s*(\S+)", text_of(path), re.MULTILINE)
    }
    graphs: dict[str, list[Job]] = {}
    for path, data in loaded.items():
        if isinstance(data, dict) and path.resolve() not in used_as_template:
            graphs[str(path.relative_to(project))] = ado_jobs(project, path, data)
    for path in opened.glob(".github/workflows/*.yml"):
        data = load(path)
        if isinstance(data, dict):
            graphs[str(path.relative_to(project))] = github_jobs(project, path, data)
    return graphs


# --- effects and invariants ---------------------------------------------------------------------


@dataclass(frozen=True)
class Effect:
    kind: str
    target: str | None
    production: bool
    job: Job
    line: int
    index: int  # position of the command in its job, to order steps


@dataclass(frozen=True)
class Invariant:
    """One row: effects of `kind` (production ones only if `production_only`) must satisfy `rule`,
    a predicate of this module (RULES), with `argument`; `message` is the finding."""

    kind: str
    rule: str
    argument: str
    message: str
    production_only: bool = False
    # only in a project with environments (ADR 28), whose rules read which environment a job is in
    environments_only: bool = False


TARGETED = ("deploy", "smoke-test", "traffic", "promote", "rollback", "monitor")
INVARIANTS: tuple[Invariant, ...] = (
    *(Invariant(kind, "chosen-target", "", "touches {target}, which this project did not choose") for kind in TARGETED),
    Invariant(
        "smoke-test",
        "after-same-target",
        "deploy",
        "smoke-tests {target}, but nothing before it deploys {target} (an earlier step or a job it depends on)",
    ),
    Invariant(
        "traffic", "after-same-target", "deploy", "moves traffic on {target} before a job it depends on deploys it"
    ),
    Invariant("promote", "after-same-target", "traffic", "promotes on {target} before traffic moved there"),
    *(
        Invariant(
            kind,
            "gated",
            "",
            "changes production outside an approval-gated environment (runs in {environment})",
            production_only=True,
        )
        for kind in ("deploy", "traffic", "promote", "iac-apply", "iac-destroy", "azure-change", "monitor", "retrain")
    ),
    *(
        Invariant(
            kind,
            "after-staging",
            "",
            "changes production without depending on the staging job {argument}",
            production_only=True,
        )
        for kind in ("deploy", "traffic", "promote")
    ),
    Invariant(
        "monitor",
        "after-same-target",
        "deploy",
        "schedules monitoring of {target} before anything deploys {target} (an earlier step or a job it depends on)",
    ),
    Invariant(
        "retrain",
        "targets-chosen",
        "",
        "creates the retraining schedule, but this project has no deployment target to retrain for",
    ),
    Invariant("rollback", "ungated", "", "rolls back in {environment}, behind the approval it is meant to undo"),
    Invariant("rollback", "on-failure", "", "rolls back whatever happened: its condition must be failed() / failure()"),
    Invariant(
        "rollback",
        "own-failures-only",
        "",
        "rolls back after any failure before it, also one before the canary started (failure() sees every "
        "ancestor job, {argument}): add contains(needs.*.result, 'failure')",
    ),
    Invariant(
        "rollback",
        "after-every-in-dependency",
        "traffic",
        "does not depend on job {argument}, so a failure there cannot trigger the rollback",
    ),
    Invariant(
        "iac-apply",
        "after-in-dependency",
        "iac-plan",
        "applies infrastructure without a plan/what-if job before it whose output a reviewer can see",
    ),
    # Environments (ADR 28): dev trains; the others deploy only what dev promoted, in order.
    Invariant(
        "deploy",
        "promoted-first",
        "",
        "deploys in {environment} a model.json that no job before it wrote by promoting the model into "
        "the registry: only dev's registered version may leave dev",
        environments_only=True,
    ),
    Invariant("train", "trains-here", "", "trains in {environment}: only dev trains", environments_only=True),
    Invariant(
        "retrain",
        "trains-here",
        "",
        "creates retraining schedules in {environment}: only dev trains (--scope monitors watches without training)",
        environments_only=True,
    ),
    Invariant(
        "deploy",
        "after-previous-environment",
        "",
        "deploys in {environment} without depending on the smoke test of job {argument}, in the environment before",
        environments_only=True,
    ),
)
# A chosen target must be deployed and smoke-tested by some pipeline: (effect kind, message).
COVERAGE: tuple[tuple[str, str], ...] = (
    ("deploy", "no pipeline deploys the chosen target {target}"),
    ("smoke-test", "no pipeline smoke-tests the chosen target {target}"),
    ("monitor", "no pipeline creates the monitoring and retraining schedules of the chosen target {target}"),
)


def effects_of(jobs: list[Job], chosen: list[str], elsewhere: frozenset[str] = frozenset()) -> list[Effect]:
    """Each command's effects; a job in one of the CI environments `elsewhere` (dev's, test's) changes
    that environment, not production, whatever it runs."""
    return [
        Effect(kind, target, production and job.environment not in elsewhere, job, command.line, index)
        for job in jobs
        for index, command in enumerate(job.commands)
        for kind, target, production in traits.command_effects(command.text, chosen)
    ]


def _ancestors(jobs: dict[str, Job], name: str) -> set[str]:
    seen: set[str] = set()
    todo = list(jobs[name].needs) if name in jobs else []
    while todo:
        current = todo.pop()
        if current not in seen:
            seen.add(current)
            todo += jobs[current].needs if current in jobs else []
    return seen


def _before(effect: Effect, other: Effect, ancestors: set[str]) -> bool:
    return other.job.name in ancestors or (other.job is effect.job and other.index < effect.index)


def _path_argument(effect: Effect, option: str) -> str | None:
    """The file an option of the effect's command names, as its last two path parts (the folders
    above differ by platform: $(Pipeline.Workspace)/promoted/model.json, promoted/model.json)."""
    found = re.search(rf"{option}[ =]\"?([^\s\"]+)", effect.job.commands[effect.index].text)
    return "/".join(found.group(1).split("/")[-2:]) if found else None


def _violation(
    row: Invariant,
    effect: Effect,
    effects: list[Effect],
    jobs: dict[str, Job],
    chosen: list[str],
    environments: tuple[Environment, ...] = (),
) -> str | None:
    """The argument of the message when `effect` breaks `row`, else None ("" for no argument)."""
    ancestors = _ancestors(jobs, effect.job.name)
    if row.rule == "chosen-target":
        return "" if effect.target is not None and effect.target not in chosen else None
    if row.rule == "after-same-target":
        found = any(
            other.kind == row.argument and other.target == effect.target and _before(effect, other, ancestors)
            for other in effects
        )
        return None if found else ""
    if row.rule == "after-in-dependency":
        return None if any(o.kind == row.argument and o.job.name in ancestors for o in effects) else ""
    if row.rule == "after-every-in-dependency":
        watched = ancestors if effect.job.failure_sees_ancestors else set(effect.job.needs)
        missing = sorted(
            {other.job.name for other in effects if other.kind == row.argument and other.target == effect.target}
            - watched
        )
        return missing[0] if missing else None
    if row.rule == "targets-chosen":
        return None if chosen else ""
    if row.rule == "own-failures-only":
        earlier = sorted(ancestors - set(effect.job.needs)) if effect.job.failure_sees_ancestors else []
        return f"e.g. {earlier[0]}" if earlier else None
    if row.rule == "on-failure":
        return None if re.search(r"\bfail(?:ed|ure)\(\)", effect.job.condition) else ""
    if row.rule == "gated":
        return None if effect.job.environment in traits.GATED_ENVIRONMENTS else ""
    if row.rule == "ungated":
        return "" if effect.job.environment in traits.GATED_ENVIRONMENTS else None
    if row.rule == "after-staging":
        staging = sorted(
            {o.job.name for o in effects if o.kind == "smoke-test" and o.job.environment in traits.STAGING_ENVIRONMENTS}
        )
        missing = [name for name in staging if name not in ancestors and name != effect.job.name]
        return missing[0] if missing else None
    here = ci_environments(environments).get(effect.job.environment or "")
    if row.rule == "promoted-first":
        if here is None or here.trains:
            return None  # dev's own deployments, or a job the environment findings already name
        # the model.json it deploys is one a promotion before it wrote (`--output`), not dev's own
        deployed = _path_argument(effect, "--model-json")
        shares = [o for o in effects if o.kind == "share" and _before(effect, o, ancestors)]
        written = {_path_argument(o, "--output") for o in shares}
        return None if deployed in written - {None} else ""
    if row.rule == "trains-here":
        return "" if here is not None and not here.trains else None
    if row.rule == "after-previous-environment":
        before = previous_environment(here, environments) if here is not None else None
        if before is None or before.trains:
            return None  # the first environment deploys after the promotion, which promoted-first checks
        smoke = sorted(
            {o.job.name for o in effects if o.kind == "smoke-test" and o.job.environment == before.ci_environment}
        )
        missing = [name for name in smoke if name not in ancestors]
        return missing[0] if missing else (None if smoke else "(none)")
    raise ValueError(f"unknown invariant rule {row.rule!r}")


def _belongs_to(answers: dict[str, Any], environment: Environment) -> re.Pattern[str]:
    """What names one environment in a pipeline, on its own: its IaC input files and its variable group."""
    names = [PurePosixPath(path.format(environment=environment.name)).name for _, path in ENVIRONMENT_INPUTS]
    if "variable_group_name" in answers:
        names.append(per_environment_name(str(answers["variable_group_name"]), environment))
    return re.compile(rf"(?<![\w.-])({'|'.join(map(re.escape, names))})(?![\w.-])")


def environment_findings(file: str, job_list: list[Job], answers: dict[str, Any]) -> list[Finding]:
    """With environments (ADR 28) the model reads which environment a job changes from its CI
    environment, so that must be the truth: a job runs in one of the environments' CI environments,
    and names no other environment's variable group or IaC inputs (it would change that environment
    behind this one's approvals)."""
    chosen = environments_of(str(answers.get("environments", SINGLE)))
    if not chosen:
        return []
    by_ci = ci_environments(chosen)
    belonging = {environment: _belongs_to(answers, environment) for environment in chosen}
    findings = []
    for job in job_list:
        serving = by_ci.get(job.environment or "")
        if job.environment and serving is None:
            known = ", ".join(by_ci)
            message = f"job {job.name}: runs in {job.environment}, none of the environments' ({known})"
            findings.append(Finding(file, job.line, message))
        if serving is None:
            continue
        texts = [*job.groups, *(command.text for command in job.commands)]
        for other, pattern in belonging.items():
            if other is serving:
                continue
            for name in sorted({match for text in texts for match in pattern.findall(text)}):
                message = f"runs in {job.environment} ({serving.name}) but uses {other.name}'s {name}"
                findings.append(Finding(file, job.line, f"job {job.name}: {message}"))
    return findings


@reads(*PIPELINE_FILES)
def check_behaviour(project: Path) -> list[Finding]:
    answers = recorded_answers(project)
    chosen = list(answers.get("deployment_targets") or [])
    environments = environments_of(str(answers.get("environments", SINGLE)))
    elsewhere = non_production_ci_environments(str(answers.get("environments", SINGLE)))
    findings: list[Finding] = []
    seen: set[tuple[str, str | None]] = set()
    cd_file = ".copier-answers.yml"
    for file, job_list in pipeline_graphs(project).items():
        jobs = {job.name: job for job in job_list}
        findings += environment_findings(file, job_list, answers)
        effects = effects_of(job_list, chosen, elsewhere)
        seen |= {(effect.kind, effect.target) for effect in effects}
        if any(effect.kind == "deploy" for effect in effects) and cd_file == ".copier-answers.yml":
            cd_file = file
        for effect in effects:
            for row in INVARIANTS:
                if row.kind != effect.kind or (row.production_only and not effect.production):
                    continue
                if row.environments_only and not environments:
                    continue
                argument = _violation(row, effect, effects, jobs, chosen, environments)
                if argument is not None:
                    environment = effect.job.environment or "no environment"
                    message = row.message.format(target=effect.target, environment=environment, argument=argument)
                    findings.append(Finding(file, effect.line, f"job {effect.job.name}: {message}"))
    for target in chosen:
        for kind, message in COVERAGE:
            if (kind, target) not in seen:
                findings.append(Finding(cd_file, None, message.format(target=target)))
    return sorted(set(findings), key=lambda finding: (finding.path, finding.line or 0, finding.message))


CHECKS = [check_behaviour]
