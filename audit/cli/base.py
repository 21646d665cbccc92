"""`init`: create or upgrade the database."""

import click

from audit.cli.group import cli, db_option
from audit.services.database import open_database


@cli.command()
@db_option
def init(db_path: str) -> None:
    """Create the database (or bring its schema up to date): a file, or a lake (`--db ducklake:postgres:...`
    with AUDIT_LAKE_DATA), as a deploy step before its servers start."""
    database = open_database(db_path)
    database.close()
    click.echo(f"Database ready: {db_path}")
