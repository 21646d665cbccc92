"""`init`: create or upgrade the database."""

import click

from audit.cli.group import cli, db_option
from audit.services.database import open_database
from audit.services.maintenance import maintain_lake


@cli.command()
@db_option
def init(db_path: str) -> None:
    """Create the database (or bring its schema up to date): a file, or a lake (`--db ducklake:postgres:...`
    with AUDIT_LAKE_DATA), as a deploy step before its servers start."""
    database = open_database(db_path)
    database.close()
    click.echo(f"Database ready: {db_path}")


@cli.command()
@db_option
def maintain(db_path: str) -> None:
    """Maintain a lake now (flush small writes, merge files, expire old snapshots, delete unread files),
    unless a server is at it; the servers do it daily by themselves."""
    database = open_database(db_path)
    try:
        if not database.lake:
            raise click.ClickException(f"{db_path} is a DuckDB file: it needs no maintenance.")
        result = maintain_lake(database)
    finally:
        database.close()
    if result is None:
        click.echo("Another server is maintaining the lake now; nothing done.")
    elif result != "ok":
        raise click.ClickException(f"Maintenance stopped at {result}")
    else:
        click.echo("Lake maintained.")
