"""`users add | list | disable | enable | reset-password | sign-out`: accounts from the command line.

Passwords are typed twice at a hidden prompt or read from stdin, never given as arguments
(they would stay in the shell history and in the process list).
"""

from __future__ import annotations

import sys

import click

from audit.cli.group import cli, db_option
from audit.cli.log import open_existing
from audit.model import Role
from audit.services import accounts, sessions
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
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of stdin.")
@db_option
def add(username: str, role: str, unit: str | None, display_name: str | None, password_stdin: bool,
        db_path: str) -> None:
    """Create an account; asks for its password."""
    password = _password(password_stdin)
    database = open_database(db_path)
    try:
        user = accounts.add_user(database, None, username=username, role=role, password=password,
                                 display_name=display_name, unit=unit)
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
