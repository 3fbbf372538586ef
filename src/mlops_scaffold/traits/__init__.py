"""What option values *do*, as data next to the options model (src/mlops_scaffold/options.py).

One module per trait, each a table keyed by option value:
- `vocabulary`: the words only a chosen value may bring into a rendering (checks/leaks.py).
- `behaviour`: the commands that deploy and smoke-test each target, canary steps, gated
  environments: how the CI/CD behaviour check (checks/behaviour.py) reads pipelines.
The identity needs (who must hold which role on what) are in `mlops_scaffold.access`.
A new option value adds rows to these tables, not code to the checks.
"""

from mlops_scaffold.traits.behaviour import (
    CANARY_STEPS,
    COMMAND_EFFECTS,
    EFFECT_KINDS,
    GATED_ENVIRONMENTS,
    STAGING_ENVIRONMENTS,
    TARGET_TRAITS,
    TargetTraits,
    canary_target,
    command_effects,
)
from mlops_scaffold.traits.vocabulary import TRAITS, Traits, find_words, is_chosen, unchosen_words

__all__ = [
    "CANARY_STEPS",
    "COMMAND_EFFECTS",
    "EFFECT_KINDS",
    "GATED_ENVIRONMENTS",
    "STAGING_ENVIRONMENTS",
    "TARGET_TRAITS",
    "TRAITS",
    "TargetTraits",
    "Traits",
    "canary_target",
    "command_effects",
    "find_words",
    "is_chosen",
    "unchosen_words",
]
