"""The admin command line: `python -m audit ...`.

Every command takes `--db PATH` (or the AUDIT_DB environment variable) and turns the
project's own errors into one plain line on stderr with exit code 1; anything else is a bug,
said in one line (exit code 2) with the traceback written to a file, never on the screen.
"""

from __future__ import annotations

import functools
import os
import sys
import tempfile
import traceback
from importlib import import_module

import click

from audit.errors import AuditError

COMMAND_MODULES = ["base", "checklists", "sites", "demo", "users", "log", "export", "import_ledger", "backup", "bulletin", "plan"]


class UnexpectedError(click.ClickException):
    """Anything that is not an AuditError is a bug: one line for the user, the traceback in a file."""

    exit_code = 2

    def __init__(self, error: Exception):
        super().__init__(f"unexpected {type(error).__name__} (a bug in the audit tracker, not a mistake of yours). "
                         f"{_write_details()}")


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
            raise click.ClickException(error.message) from error
        except (click.ClickException, click.exceptions.Abort, click.exceptions.Exit):
            raise
        except Exception as error:
            raise UnexpectedError(error) from error


@click.group(cls=AuditGroup)
def cli() -> None:
    """Inspection audit tracker administration."""


def db_option(command):
    """`--db PATH`, falling back to AUDIT_DB, then data/audit.duckdb."""

    @click.option(
        "--db",
        "db_path",
        envvar="AUDIT_DB",
        type=click.Path(dir_okay=False),
        default="data/audit.duckdb",
        show_default=True,
        help="DuckDB file to use (also the AUDIT_DB environment variable).",
    )
    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        return command(*args, **kwargs)

    return wrapper


for _name in COMMAND_MODULES:
    import_module(f"audit.cli.{_name}")


def main() -> None:
    cli(prog_name="python -m audit")
