"""With environments (ADR 28) every environment's resources have names of their own: the
per-environment answers with `-<environment>` appended and the names derived from
`<base_name><environment>`. The names a `single` project would use for them (`mlops-RG`,
`<base>-AML-KV`) then name nothing that exists, so the docs, pipelines and scripts a user follows
must not contain them. (The shared variable group keeps the answer's name: it is not one of them.)
"""

from __future__ import annotations

import re
from pathlib import Path

from mlops_scaffold.checks.base import Finding, reads
from mlops_scaffold.deployment_environments import SINGLE, environments_of
from mlops_scaffold.naming import PER_ENVIRONMENT_DERIVED, derived_names
from mlops_scaffold.options import PER_ENVIRONMENT
from mlops_scaffold.project_files import Project, recorded_answers, text_of

FOLLOWED = (
    "README.md",
    "docs/*.md",
    "ml_service/README.md",
    ".env.example",
    ".pipelines/*.yml",
    "environment_setup/*.yml",
    "environment_setup/*.sh",
    ".github/workflows/*.yml",
)
SHARED = frozenset({"variable_group_name"})  # the shared group is named by the answer itself


def single_names(answers: dict) -> dict[str, str]:
    """name -> what it names, for the names only a `single` project has."""
    names = {str(answers[key]): key for key in PER_ENVIRONMENT if key in answers and key not in SHARED}
    if "base_name" in answers:
        derived = derived_names(str(answers["base_name"]))
        names.update({derived[name.key]: name.key for name in PER_ENVIRONMENT_DERIVED if name.key in derived})
    return names


@reads(*FOLLOWED, ".copier-answers.yml")
def no_single_names(project: Path) -> list[Finding]:
    answers = recorded_answers(project)
    if not environments_of(str(answers.get("environments", SINGLE))):
        return []
    names = single_names(answers)
    if not names:
        return []
    # a name on its own: not the prefix of an environment's (`mlops-RG` in `mlops-RG-dev`)
    alternatives = "|".join(map(re.escape, sorted(names, key=len, reverse=True)))
    pattern = re.compile(rf"(?<![\w.-])({alternatives})(?![\w-])")
    opened = Project.of(project)
    findings = []
    for path in sorted({path for glob in FOLLOWED for path in opened.glob(glob)}):
        for number, line in enumerate(text_of(path).splitlines(), start=1):
            for match in pattern.finditer(line):
                name = match.group(1)
                findings.append(
                    Finding(
                        str(path.relative_to(project)),
                        number,
                        f"names `{name}`, the {names[name]} of a project without environments: "
                        "every environment's is its own (docs/variable_group.md)",
                    )
                )
    return findings


CHECKS = (no_single_names,)
