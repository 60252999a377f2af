"""The README's command table and the CLI agree, so the documentation cannot drift."""

from __future__ import annotations

import re

import click

from survey_app.cli import main

from tests.conftest import ROOT


def _cli_commands(group: click.Group, prefix: str = "") -> set[str]:
    names = set()
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            names |= _cli_commands(command, f"{prefix}{name} ")
        else:
            names.add(f"{prefix}{name}")
    return names


def test_every_command_is_documented_and_every_documented_command_exists() -> None:
    readme = (ROOT / "README.md").read_text()
    documented = set(re.findall(r"^\| `survey-app ([a-z -]+?)` \|", readme, flags=re.MULTILINE))
    assert documented == _cli_commands(main)


def test_the_readme_gives_the_two_commands() -> None:
    readme = (ROOT / "README.md").read_text()
    assert "make run" in readme and "make test" in readme
