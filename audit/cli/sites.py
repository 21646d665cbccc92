"""`sites import FILE`: load or update the site registry from CSV."""

import click

from audit.cli.group import cli, db_option
from audit.command_line import command_line_actor
from audit.services.database import open_database
from audit.services.sites import import_sites_csv


@cli.group()
def sites() -> None:
    """The site registry (district → subdistrict → community → site)."""


@sites.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@db_option
def import_command(file: str, db_path: str) -> None:
    """Import FILE (CSV, UTF-8), updating sites with the same code; all rows or none."""
    database = open_database(db_path)
    try:
        report = import_sites_csv(database, file, actor=command_line_actor())
    finally:
        database.close()
    click.echo(
        f"Imported {report.rows} sites: {report.inserted} new, {report.updated} updated, {report.unchanged} unchanged."
    )
