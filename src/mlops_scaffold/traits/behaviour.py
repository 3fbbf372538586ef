"""What option values *do* in the generated CI/CD, as data next to the options model.

The behaviour check (checks/behaviour.py) reads each pipeline's commands and maps them to effects
with these tables; a new deployment target or canary step adds a row here, not code there.
An effect is (kind, target): kind is one of EFFECT_KINDS, target a deployment_targets value or None.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from mlops_scaffold import targets
from mlops_scaffold.options import DEPLOYMENT_TARGETS
from mlops_scaffold.traits.values import TRAITS

EFFECT_KINDS = (
    "iac-plan",
    "iac-apply",
    "iac-destroy",
    "azure-change",
    "train",
    "batch-score",
    "deploy",
    "smoke-test",
    "traffic",
    "promote",
    "share",
    "rollback",
    "monitor",
    "retrain",
)


@dataclass(frozen=True)
class TargetTraits:
    """The commands that deploy and smoke-test one deployment target, and whether deploying it
    changes what production users are served (the staging target's deploy does not)."""

    deploy: str  # a regex matched against one command line
    smoke_test: str
    production: bool


TARGET_TRAITS: dict[str, TargetTraits] = {
    target: TargetTraits(
        deploy=rf"\bpython3? -m ml_service\.deploy\.{target}\b",
        smoke_test=rf"\bpython3? -m ml_service\.smoke_test\b.*--target[ =]{target}\b",
        production=not TRAITS[("deployment_targets", target)].staging,
    )
    for target in DEPLOYMENT_TARGETS
}

# canary_release: ml_service.deploy.canary steps the first chosen of these endpoints.
CANARY_MODULE = r"\bpython3? -m ml_service\.deploy\.canary\b"
CANARY_TARGET_PREFERENCE = tuple(
    targets.value(module) for module in sorted(targets.with_attribute("CANARY_RANK"), key=lambda m: m.CANARY_RANK)
)
# --step value -> (effect kind, changes production)
CANARY_STEPS: dict[str, tuple[str, bool]] = {
    "blue": ("deploy", False),  # the new model with no traffic
    "50": ("traffic", True),
    "100": ("traffic", True),
    "promote": ("promote", True),
    "rollback": ("rollback", True),
}

# Production monitoring: ml_service.monitoring creates the model monitor of each --target and the
# retraining schedule (docs/monitoring.md in a generated repo). Both change what runs in production.
# With environments, `--scope monitors` only watches and `--scope retraining` only retrains.
MONITORING_MODULE = r"\bpython3? -m ml_service\.monitoring\b"
MONITORING_SCOPES: dict[str, tuple[bool, bool]] = {  # --scope value -> (monitors, retrains)
    "all": (True, True),
    "monitors": (True, False),
    "retraining": (False, True),
}

# Commands whose effect does not depend on a target: (regex, effect kind, changes production).
COMMAND_EFFECTS: tuple[tuple[str, str, bool], ...] = (
    (r"\bterraform\s+plan\b", "iac-plan", False),
    (r"\baz\s+deployment\s+group\s+what-if\b", "iac-plan", False),
    (r"\bterraform\s+apply\b", "iac-apply", True),
    (r"\baz\s+deployment\s+group\s+create\b", "iac-apply", True),
    # removing resources: destroy, any `az ... delete` (also `az rest --method delete`)
    (r"\bterraform\s+(?:destroy|apply\b.*\s-destroy)\b", "iac-destroy", True),
    (r"\baz\s+(?:[\w-]+\s+){1,3}(?:delete|purge)\b", "iac-destroy", True),
    # other changes to what production runs with: role assignments, recovered vaults
    (r"\baz\s+role\s+assignment\s+(?:create|update)\b", "azure-change", True),
    (r"\baz\s+keyvault\s+recover\b", "azure-change", True),
    (r"\bpython3? -m ml_service\.pipelines\.run_(?:r_)?training\b", "train", False),
    (r"\bpython3? -m ml_service\.pipelines\.run_batch_scoring\b", "batch-score", False),
    # dev's registered version shared into the registry, for the later environments (ADR 28)
    (r"\bpython3? -m ml_service\.promote\b", "share", False),
)

# Environments whose jobs wait for a reviewer (docs/getting_started.md has users set that up)
# and the environment of the pre-production checks.
GATED_ENVIRONMENTS = frozenset({"production"})
STAGING_ENVIRONMENTS = frozenset({"staging"})


def canary_target(chosen: list[str] | tuple[str, ...]) -> str | None:
    return next((target for target in CANARY_TARGET_PREFERENCE if target in chosen), None)


def command_effects(command: str, chosen: list[str] | tuple[str, ...]) -> list[tuple[str, str | None, bool]]:
    """The effects of one command line: (kind, target, changes production)."""
    effects: list[tuple[str, str | None, bool]] = []
    for target, traits in TARGET_TRAITS.items():
        if re.search(traits.deploy, command):
            effects.append(("deploy", target, traits.production))
        if re.search(traits.smoke_test, command):
            effects.append(("smoke-test", target, False))
    if re.search(CANARY_MODULE, command):
        step = re.search(r"--step[ =](\w+)", command)
        kind, production = CANARY_STEPS.get(step.group(1) if step else "", ("deploy", True))
        effects.append((kind, canary_target(chosen), production))
    if re.search(MONITORING_MODULE, command):
        scope = re.search(r"--scope[ =](\w+)", command)
        monitors, retrains = MONITORING_SCOPES.get(scope.group(1) if scope else "all", (True, True))
        if monitors:
            effects += [("monitor", target, True) for target in re.findall(r"--target[ =](\w+)", command)]
        if retrains:
            effects.append(("retrain", None, True))
    for pattern, kind, production in COMMAND_EFFECTS:
        if re.search(pattern, command):
            effects.append((kind, None, production))
    return effects
