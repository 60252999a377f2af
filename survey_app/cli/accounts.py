"""Staff accounts: EDI leads, FTSU guardians, administrators."""

from __future__ import annotations

import click

from survey_app.cli.base import Context, emit, fail, format_option, main


@main.group()
def user() -> None:
    """Staff accounts: EDI leads, FTSU guardians, administrators."""


@user.command("add")
@click.option("--email", required=True)
@click.option("--role", required=True, type=click.Choice(["edi", "ftsu", "admin"]))
@click.option("--org", "organisations", required=True, multiple=True, help="Organisation slug; repeat for several.")
@format_option
@click.pass_obj
def user_add(context: Context, email: str, role: str, organisations: tuple[str, ...], output_format: str) -> None:
    """Add a staff account; prints its first password once (stored only as an argon2 hash)."""
    from survey_app.accounts import AccountError, add_account
    from survey_app.audit import record_audit

    try:
        with context.engine.begin() as connection:
            password = add_account(connection, email, role, list(organisations))
            record_audit(connection, "cli", "user.add", email=email.lower(), role=role, organisations=list(organisations))
    except AccountError as error:
        fail(str(error))
    emit(
        output_format,
        {"email": email.lower(), "role": role, "password": password},
        lambda: f"added {email.lower()} ({role}); first password, shown once: {password}",
    )


@user.command("password")
@click.option("--email", required=True)
@click.pass_obj
def user_password(context: Context, email: str) -> None:
    """Give an account a new password (and unlock it); prints it once."""
    from survey_app.accounts import AccountError, set_password
    from survey_app.audit import record_audit

    try:
        with context.engine.begin() as connection:
            password = set_password(connection, email)
            record_audit(connection, "cli", "user.password", email=email.lower())
    except AccountError as error:
        fail(str(error))
    click.echo(f"new password for {email.lower()}, shown once: {password}")


@user.command("disable")
@click.option("--email", required=True)
@click.pass_obj
def user_disable(context: Context, email: str) -> None:
    """End an account: it can no longer sign in, and every session it has ends now."""
    from survey_app.accounts import AccountError, disable_account
    from survey_app.audit import record_audit

    try:
        with context.engine.begin() as connection:
            disable_account(connection, email)
            record_audit(connection, "cli", "user.disable", email=email.lower())
    except AccountError as error:
        fail(str(error))
    click.echo(f"disabled {email.lower()}; its sessions have ended")


@user.command("reset-mfa")
@click.option("--email", required=True)
@click.pass_obj
def user_reset_mfa(context: Context, email: str) -> None:
    """Remove an account's second factor (a lost phone and lost recovery codes): it sets one up again
    at its next sign-in. Its sessions end now."""
    from survey_app.audit import record_audit
    from survey_app.staff import mfa

    with context.engine.begin() as connection:
        if not mfa.reset(connection, email):
            fail(f"no account for {email}")
        record_audit(connection, "cli", "user.reset_mfa", email=email.lower())
    click.echo(f"second factor of {email.lower()} removed; they set up a new one when they next sign in; sessions ended")
