"""`import-ledger`: bring an office's existing Excel rectification ledger into the database."""

from __future__ import annotations

from pathlib import Path

import click

from audit.cli.group import cli, db_option, operator
from audit.services.database import open_database
from audit.services.ledger_import import LedgerImportError, import_ledger


@cli.command("import-ledger")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Check everything and report, but store nothing.")
@db_option
def import_ledger_command(file: Path, dry_run: bool, db_path: str) -> None:
    """Import FILE.xlsx; if any row is wrong, every problem is listed and nothing is imported."""
    database = open_database(db_path)
    try:
        report = import_ledger(database, file, actor=operator().username, dry_run=dry_run)
    except LedgerImportError as error:
        for problem in error.problems:
            click.echo(problem, err=True)
        raise click.ClickException(f"{len(error.problems)} problem(s) in {file.name}: nothing was imported.") from error
    finally:
        database.close()
    for note in report.warnings + report.site_differences:
        click.echo(f"Note: {note}", err=True)
    verb = "Would import" if dry_run else "Imported"
    sites = f", creating {len(report.sites_created)} site(s)" if report.sites_created else ""
    click.echo(f"{verb} {report.findings:,} findings from {file.name}{sites}.")
