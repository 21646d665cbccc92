"""The command group every command module registers on, and the options they share.

Kept apart from `audit.cli` (which imports every command module) so that no command
module imports the package that imports it.
"""

from __future__ import annotations

import functools
import os
import sys
import tempfile
import traceback

import click

from audit import settings
from audit.command_line import command_line_actor
from audit.errors import AuditError
from audit.model import Role, User


class UnexpectedError(click.ClickException):
    """Anything that is not an AuditError is a bug: one line for the user, the traceback in a file."""

    exit_code = 2

    def __init__(self, error: Exception):
        super().__init__(
            f"unexpected {type(error).__name__} (a bug in the audit tracker, not a mistake of yours). "
            f"{_write_details()}"
        )


def _write_details() -> str:
    try:
        handle, path = tempfile.mkstemp(prefix="audit-error-", suffix=".txt")  # readable by this user only
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(f"python -m audit {' '.join(sys.argv[1:])}\n\n{traceback.format_exc()}")
    except OSError as error:
        return f"The details could not be written ({error.strerror}); run the command again to see if it recurs."
    return f"The details are in {path}; please send that file with a report."


class AuditGroup(click.Group):
    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except AuditError as error:
            raise click.ClickException(str(error)) from error
        except (click.ClickException, click.exceptions.Abort, click.exceptions.Exit):
            raise
        except Exception as error:
            raise UnexpectedError(error) from error


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
        help=f"DuckDB file, or a lake as ducklake:postgres:... [default: AUDIT_DB, else {settings.DEFAULT_DATABASE}].",
    )
    @functools.wraps(command)
    def wrapper(*args, db_path: str | None, **kwargs):
        return command(*args, db_path=str(settings.load(db=db_path).database_path), **kwargs)

    return wrapper


def operator(role: Role = Role.SUPERVISOR) -> User:
    """Whoever can run the CLI can read the database file itself, so it acts with a supervisor's reach."""
    name = command_line_actor()
    return User(id=name, username=name, display_name=name, role=role)
