"""README.md stays true: its questions table is the options model's."""

from conftest import REPO_ROOT

from mlops_scaffold.cli import options_markdown


def test_readme_questions_table_matches_the_options_model():
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    assert options_markdown() in readme, (
        "README.md's questions table is stale: paste `mlops-scaffold options --markdown`"
    )


def test_readme_shows_the_two_setup_commands():
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    assert "make demo" in readme and "make test" in readme
