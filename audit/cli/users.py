"""`users add | list | disable | enable | reset-password | unlock | link-sso | unlink-sso | sign-out`: accounts from
the command line.

Passwords are typed twice at a hidden prompt or read from stdin, never given as arguments
(they would stay in the shell history and in the process list).
"""

from __future__ import annotations

import sys

import click

from audit.cli.group import cli, db_option
from audit.cli.log import open_existing
from audit.model import Role
from audit.services import accounts, sessions, sso
from audit.services.database import open_database

ROLES = click.Choice([role.value for role in Role])


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return click.prompt("Password", hide_input=True, confirmation_prompt="Repeat the password")


@cli.group()
def users() -> None:
    """Create, list and disable accounts."""


@users.command("add")
@click.argument("username")
@click.option("--role", type=ROLES, required=True)
@click.option("--unit", help="Responsible unit (required for --role unit).")
@click.option("--display-name", help="Name shown in the app (default: the username).")
@click.option("--email", help="Email that single sign-on may link the account by, once the provider has verified it.")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of stdin.")
@db_option
def add(
    username: str,
    role: str,
    unit: str | None,
    display_name: str | None,
    email: str | None,
    password_stdin: bool,
    db_path: str,
) -> None:
    """Create an account; asks for its password."""
    password = _password(password_stdin)
    database = open_database(db_path)
    try:
        user = accounts.add_user(
            database,
            None,
            username=username,
            role=role,
            password=password,
            display_name=display_name,
            unit=unit,
            email=email,
        )
    finally:
        database.close()
    click.echo(f"Account created: {user.username} ({user.role.value}{', ' + user.unit if user.unit else ''})")


@users.command("list")
@db_option
def list_(db_path: str) -> None:
    """Every account with its role, unit and state."""
    database = open_existing(db_path)
    try:
        people = accounts.list_users(database, None)
    finally:
        database.close()
    if not people:
        click.echo("No accounts yet. Create one with: python -m audit users add NAME --role admin")
    for user in people:
        state = "active" if user.active else "disabled"
        click.echo(f"{user.username}\t{user.role.value}\t{user.unit or '-'}\t{state}\t{user.display_name}")


def _set_active(username: str, db_path: str, active: bool) -> None:
    database = open_database(db_path)
    try:
        accounts.set_active(database, None, username, active)
    finally:
        database.close()
    click.echo(f"Account {username} {'enabled' if active else 'disabled'}.")


@users.command("disable")
@click.argument("username")
@db_option
def disable(username: str, db_path: str) -> None:
    """Stop an account from signing in (its sessions end at their next step)."""
    _set_active(username, db_path, False)


@users.command("enable")
@click.argument("username")
@db_option
def enable(username: str, db_path: str) -> None:
    """Let a disabled account sign in again."""
    _set_active(username, db_path, True)


@users.command("reset-password")
@click.argument("username")
@click.option("--password-stdin", is_flag=True, help="Read the new password from the first line of stdin.")
@db_option
def reset(username: str, password_stdin: bool, db_path: str) -> None:
    """Set a new password and lift a lockout (how a locked-out administrator gets back in)."""
    password = _password(password_stdin)
    database = open_database(db_path)
    try:
        accounts.reset_password(database, None, username, password)
    finally:
        database.close()
    click.echo(f"Password of {username} changed.")


def _run(action, message: str, db_path: str) -> None:
    database = open_database(db_path)
    try:
        action(database)
    finally:
        database.close()
    click.echo(message)


@users.command("unlock")
@click.argument("username")
@db_option
def unlock(username: str, db_path: str) -> None:
    """Lift the sign-in lock after failed attempts; the password stays as it is."""
    _run(lambda database: accounts.unlock(database, None, username), f"Sign-in lock of {username} lifted.", db_path)


@users.command("link-sso")
@click.argument("username")
@click.option("--issuer", required=True, help="The provider's issuer (the iss claim), e.g. https://idp.example.cn")
@click.option("--subject", required=True, help="The person's id at that provider (the sub claim).")
@db_option
def link_sso(username: str, issuer: str, subject: str, db_path: str) -> None:
    """Let this single sign-on user sign in as the account."""
    _run(
        lambda database: sso.link(database, None, username, issuer, subject),
        f"{username} is linked to {subject} at {issuer}.",
        db_path,
    )


@users.command("unlink-sso")
@click.argument("username")
@db_option
def unlink_sso(username: str, db_path: str) -> None:
    """Stop single sign-on for this account until it is linked again."""
    _run(lambda database: sso.unlink(database, None, username), f"Single sign-on of {username} unlinked.", db_path)


@users.command("sign-out")
@click.argument("username")
@db_option
def sign_out(username: str, db_path: str) -> None:
    """End every session of an account on every device (a lost or shared tablet)."""
    database = open_database(db_path)
    try:
        ended = sessions.end_sessions(database, None, username)
    finally:
        database.close()
    click.echo(f"{username} signed out on all devices ({ended} session{'s' if ended != 1 else ''} ended).")
