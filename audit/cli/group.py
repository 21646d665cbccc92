"""The command group every command module registers on, and the options they share.

Kept apart from `audit.cli` (which imports every command module) so that no command
module imports the package that imports it.
"""

from __future__ import annotations

import functools
import getpass

import click

from audit import settings
from audit.errors import AuditError
from audit.model import Role, User


class AuditGroup(click.Group):
    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except AuditError as error:
            raise click.ClickException(error.message) from error


@click.group(cls=AuditGroup)
def cli() -> None:
    """Inspection audit tracker administration."""


def db_option(command):
    """`--db PATH`, else the AUDIT_DB setting, else data/audit.duckdb: read through `audit.settings`."""

    @click.option(
        "--db",
        "db_path",
        type=click.Path(dir_okay=False),
        default=None,
        help=f"DuckDB file to use [default: AUDIT_DB, else {settings.DEFAULT_DATABASE}].",
    )
    @functools.wraps(command)
    def wrapper(*args, db_path: str | None, **kwargs):
        return command(*args, db_path=str(settings.load(db=db_path).database_path), **kwargs)

    return wrapper


def operator(role: Role = Role.SUPERVISOR) -> User:
    """Whoever can run the CLI can read the database file itself, so it acts with a supervisor's reach."""
    name = f"cli:{getpass.getuser()}"
    return User(id=name, username=name, display_name=name, role=role)
