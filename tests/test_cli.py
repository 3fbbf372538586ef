"""The command line: options listing and the check command on good and broken renderings."""

from __future__ import annotations

import json

from mlops_scaffold.cli import main
from mlops_scaffold.options import QUESTIONS


def test_options_json_lists_every_question(capsys):
    assert main(["options", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [row["name"] for row in rows] == [question.name for question in QUESTIONS]
    assert all(row["help"] for row in rows)


def test_options_table_shows_defaults(capsys):
    assert main(["options"]) == 0
    out = capsys.readouterr().out
    assert "base_name" in out and "centralus" in out


def test_check_passes_on_a_fresh_rendering(render, capsys, project_venv):
    assert main(["check", str(render())]) == 0, capsys.readouterr().out


def test_check_names_file_and_line_of_a_leftover_jinja_marker(render_copy, capsys, project_venv):
    project = render_copy()
    readme = project / "README.md"
    readme.write_text(readme.read_text() + "\nHello {{ name }}\n")
    assert main(["check", str(project)]) == 1
    out = capsys.readouterr().out.splitlines()
    line_number = len(readme.read_text().splitlines())
    assert f"README.md:{line_number}: leftover Jinja marker" in out


def test_check_ignores_github_expressions(render_copy, capsys, project_venv):
    project = render_copy()
    (project / "workflow.yml").write_text("run: echo ${{ vars.BASE_NAME }}\n")
    assert main(["check", str(project)]) == 0, capsys.readouterr().out


def test_check_reports_a_variable_missing_from_the_docs(render_copy, capsys, project_venv):
    project = render_copy()
    env = project / ".env.example"
    env.write_text("\n".join(line for line in env.read_text().splitlines() if not line.startswith("BASE_NAME=")))
    assert main(["check", str(project)]) == 1
    assert ".env.example: does not list the variable BASE_NAME" in capsys.readouterr().out


def test_check_of_a_missing_directory_is_a_usage_error(tmp_path, capsys):
    assert main(["check", str(tmp_path / "nope")]) == 2
    assert "no such directory" in capsys.readouterr().err


def test_check_of_a_folder_that_is_not_a_generated_project_is_one_line(tmp_path, capsys):
    (tmp_path / "notes.md").write_text("hello\n")
    assert main(["check", str(tmp_path)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1 and "not a generated project" in captured.err
