"""``retentionkit.cli.app.app_for``: a command runs in an app holding only the top-level
callback and that command (start-up: Click objects for one command, not all). Every command and
group must behave as in the whole app: the same help, the same errors."""

from __future__ import annotations

import pytest
import typer
from typer.main import get_command
from typer.testing import CliRunner

from retentionkit.cli import app as cli_app


def _paths() -> list[list[str]]:
    """Every command and subcommand as the words that name it."""
    root = get_command(cli_app.app)
    out: list[list[str]] = []

    def walk(cmd: object, words: list[str]) -> None:
        sub = getattr(cmd, "commands", None)
        if words:
            out.append(words)
        for name, child in (sub or {}).items():
            walk(child, [*words, name])

    walk(root, [])
    return out


PATHS = _paths()


def test_every_command_is_found() -> None:
    assert len(PATHS) >= 40
    assert {p[0] for p in PATHS} == {cli_app._name(c) for c in cli_app.app.registered_commands} | {
        g.name for g in cli_app.app.registered_groups
    }


@pytest.mark.parametrize("words", PATHS, ids=[" ".join(p) for p in PATHS])
def test_help_and_errors_are_those_of_the_whole_app(words: list[str]) -> None:
    runner = CliRunner()
    for tail in (["--help"], ["--no-such-option"]):
        args = ["--db", "x.duckdb", *words, *tail]
        one = cli_app.app_for(args)
        assert one is not cli_app.app
        whole = runner.invoke(cli_app.app, args, prog_name="retentionkit")
        alone = runner.invoke(one, args, prog_name="retentionkit")
        assert (alone.exit_code, alone.output) == (whole.exit_code, whole.output)


@pytest.mark.parametrize(
    ("args", "name"),
    [
        (["metrics", "--last", "1"], "metrics"),
        (["--db", "metrics", "ingest", "orders", "f.csv"], "ingest"),
        (["--db=w.duckdb", "--debug", "--wait", "5s", "churn", "at-risk"], "churn"),
        (["--config", "x.toml", "rfm"], "rfm"),
        (["--help"], None),
        ([], None),
        (["--version", "metrics"], None),
    ],
)
def test_the_invoked_command(args: list[str], name: str | None) -> None:
    assert cli_app.invoked_command(args) == name


def test_unknown_words_get_the_whole_app() -> None:
    assert cli_app.app_for(["metric"]) is cli_app.app
    assert cli_app.app_for(["--help"]) is cli_app.app


def test_the_global_options_that_take_a_value() -> None:
    callback = get_command(cli_app.app)
    takes_value = {
        opt
        for param in callback.params
        if isinstance(param, typer.core.TyperOption) and not param.is_flag
        for opt in param.opts
    }
    assert takes_value == set(cli_app.GLOBAL_VALUE_OPTIONS)
