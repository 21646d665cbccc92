"""`backup` and `restore`: a checked copy of the database, and a checked way back from it."""

from pathlib import Path

import click

from audit.cli.group import cli, db_option
from audit.errors import StoreUnavailable
from audit.services import backup as service
from audit.services.database import open_database


def open_for_backup(db_path: str):
    """The database read-only; while the app holds it, say where the backup button is instead."""
    if not Path(db_path).is_file():
        raise click.ClickException(f"There is no database at {db_path}. Check --db or AUDIT_DB.")
    try:
        return open_database(db_path, read_only=True)
    except StoreUnavailable as error:
        if error.reason != "locked":
            raise
        raise click.ClickException(
            f"{error.message}\nWhile the app runs, only the app can read its database: sign in as an "
            "administrator and use the Backup button on the admin page, or stop the app and run this command again."
        ) from error


@cli.command()
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="New (or empty) folder to write the backup into.")
@db_option
def backup(out_dir: Path, db_path: str) -> None:
    """Write a consistent copy of the database (Parquet files and a manifest) to a folder."""
    database = open_for_backup(db_path)
    try:
        manifest = service.backup(database, out_dir)
    finally:
        database.close()
    click.echo(f"Backup of {db_path} written to {out_dir}: {len(manifest.contents.tables)} tables, "
               f"{manifest.rows('findings'):,} findings, {manifest.rows('photos'):,} photos, "
               f"audit log up to entry {manifest.contents.audit_log_seq:,}.")


@cli.command()
@click.option("--from", "source", required=True, type=click.Path(exists=True, path_type=Path),
              help="Backup folder (or the zip downloaded from the admin page).")
@click.option("--db", "db_path", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Database file to create from the backup.")
@click.option("--force", is_flag=True, help="Replace the file at --db if it already exists.")
def restore(source: Path, db_path: Path, force: bool) -> None:
    """Rebuild a database from a backup and check it against the backup's manifest."""
    manifest = service.restore(source, db_path, force=force)
    click.echo(f"Restored {db_path} from {source} (made {manifest.created_at}): all {len(manifest.contents.tables)} "
               f"tables match the manifest's row counts and content hashes, and the audit log verifies "
               f"up to entry {manifest.contents.audit_log_seq:,}.")
