"""The `kb` command as a whole: help text, examples, and errors without tracebacks."""

from __future__ import annotations

import click
from click.testing import CliRunner

from kb.cli.main import cli


def all_commands(group: click.Group, prefix: tuple[str, ...] = ()):
    for name, command in group.commands.items():
        yield (*prefix, name), command
        if isinstance(command, click.Group):
            yield from all_commands(command, (*prefix, name))


def test_every_command_has_help_with_an_example():
    runner = CliRunner()
    commands = list(all_commands(cli))
    assert len(commands) >= 12
    for path, _command in commands:
        result = runner.invoke(cli, [*path, "--help"])
        assert result.exit_code == 0, path
        assert "Example" in result.output, f"kb {' '.join(path)} --help has no example"


def test_command_names_are_kebab_case():
    for path, _command in all_commands(cli):
        for part in path:
            assert part == part.lower() and "_" not in part, path


def test_unwritable_database_is_a_clear_error(tmp_path):
    runner = CliRunner()
    result = runner.invoke(cli, ["--db", str(tmp_path / "missing-dir" / "kb.db"), "init"])
    assert result.exit_code == 1
    assert result.output.startswith("Error:") and "does not exist" in result.output
    assert "Traceback" not in result.output
