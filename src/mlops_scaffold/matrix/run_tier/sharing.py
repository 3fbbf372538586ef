"""Whether the run tier shares what it promises to share: the core units (the ML package's tests,
the ml_service core tests) read no option's files, so each runs once per environment (Python
version and locked requirements), not once per combination. A core test that starts listing a
folder an option fills (ml_service/deploy, environments/) or reading a file whose text names an
option is keyed per option set: the matrix stays correct but runs that unit dozens of times. This
is how that shows up (ADR 20).
"""

from __future__ import annotations

from collections.abc import Mapping

ENVIRONMENT_FILE = "requirements.txt"  # the locked requirements every run declares it reads


def environment_of(python_version: str, index: Mapping[str, str]) -> str:
    return f"Python {python_version}, {ENVIRONMENT_FILE} {index.get(ENVIRONMENT_FILE, 'absent')[:12]}"


def core_runs_by_environment(
    python_versions: Mapping[str, str],
    indexes: Mapping[str, Mapping[str, str] | None],
    runs: Mapping[str, Mapping[str, str]],
    unit: str,
) -> dict[str, dict[str, list[str]]]:
    """{environment: {run key: [combinations answered by it]}} for `unit`, over the combinations
    (`python_versions`: id -> version; `runs`: id -> {unit: key})."""
    found: dict[str, dict[str, list[str]]] = {}
    for combination_id, version in python_versions.items():
        index, key = indexes.get(combination_id), runs.get(combination_id, {}).get(unit)
        if index is None or key is None:
            continue
        found.setdefault(environment_of(version, index), {}).setdefault(key, []).append(combination_id)
    return found


def unshared(by_environment: Mapping[str, Mapping[str, list[str]]]) -> list[str]:
    """One line per environment where the unit ran more than once, naming two combinations that
    did not share a run (compare what their runs read to find the option-dependent read)."""
    return [
        f"{environment}: {len(keys)} runs instead of 1 (e.g. {' vs '.join(ids[0] for ids in list(keys.values())[:2])})"
        for environment, keys in sorted(by_environment.items())
        if len(keys) > 1
    ]
