"""The admin command line: `python -m audit ...`.

Every command takes `--db PATH` (or the AUDIT_DB environment variable) and turns the
project's own errors into one plain line on stderr with exit code 1.
"""

from __future__ import annotations

import functools
from importlib import import_module

import click

from audit.errors import AuditError

COMMAND_MODULES = ["base", "checklists", "sites", "demo", "users", "log", "export", "import_ledger", "backup", "bulletin", "plan"]


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
