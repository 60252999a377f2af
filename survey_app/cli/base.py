"""The `survey-app` group and what every command shares: settings, the database, keys, output."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from survey_app.config import Settings

DEFAULT_KEY_FILE = Path("var/keys/kek.key")
DEFAULT_CASE_KEY_FILE = Path("var/keys/case.key")

format_option = click.option(
    "--format", "output_format", type=click.Choice(["text", "json"]), default="text", show_default=True
)


def emit(output_format: str, data: Any, text: Callable[[], str]) -> None:
    if output_format == "json":
        click.echo(json.dumps(data, indent=2, default=str))
    else:
        click.echo(text())


def fail(message: str) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(1)


class Context:
    """What a command needs, made on first use: settings, the database, the wave key store."""

    def __init__(self) -> None:
        self.settings = Settings.from_env()

    @property
    def engine(self):  # type: ignore[no-untyped-def]
        from survey_app.storage.database import engine_for

        return engine_for(self.settings.database_url)

    def key_store(self):  # type: ignore[no-untyped-def]
        from survey_app.keys import WaveKeyStore

        return WaveKeyStore(self.settings.key_file)

    def case_secret(self) -> bytes:
        from survey_app.keys import read_secret_file

        return read_secret_file(self.settings.case_key_file, "SURVEY_CASE_KEY_FILE")


# Commands that run without the key-encryption key: the web process, the key commands (which make
# it, or check it themselves), migrations (a deployment's migrate job should not hold it) and
# invitation codes (their hashes are keyed by the case key).
WITHOUT_KEK = {"serve", "keys", "db", "invitations"}


class KeyCheckingGroup(click.Group):
    """A wrong key-encryption key is one line, `error: ...`, and exit code 2: never a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        from survey_app.keys import WrongKeyError

        try:
            return super().invoke(ctx)
        except WrongKeyError as error:
            click.echo(f"error: {error}", err=True)
            sys.exit(2)


@click.group(cls=KeyCheckingGroup)
@click.pass_context
def main(click_context: click.Context) -> None:
    """Anonymous NHS staff survey: operator commands."""
    context = Context()
    click_context.obj = context
    if click_context.invoked_subcommand not in WITHOUT_KEK and not click_context.resilient_parsing:
        context.key_store().check()
