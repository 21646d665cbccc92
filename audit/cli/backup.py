"""`backup` and `restore`: a checked copy of the database, and a checked way back from it."""

import getpass
import socket
from pathlib import Path

import click

from audit import operations
from audit.cli.group import cli, db_option
from audit.errors import StoreUnavailable
from audit.leftovers import RESTORING, remove_abandoned
from audit.services import backup as service
from audit.services.database import is_lake, open_database


def open_for_backup(db_path: str):
    """The database read-only; while the app holds it, say where the backup button is instead."""
    if not is_lake(db_path) and not Path(db_path).is_file():
        raise click.ClickException(f"There is no database at {db_path}. Check --db or AUDIT_DB.")
    try:
        return open_database(db_path, read_only=True)
    except StoreUnavailable as error:
        if error.reason != "locked":
            raise
        raise StoreUnavailable("backup.error.held_by_app", reason="locked", cause=error) from error


@cli.command()
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="New (or empty) folder to write the backup into.",
)
@db_option
def backup(out_dir: Path, db_path: str) -> None:
    """Write a consistent copy of the database (Parquet files and a manifest) to a folder.

    While the app runs, the app holds the database: the backup is asked of it through its
    local operations route, and the app writes the folder.
    """
    if _backup_through_server(db_path, out_dir):
        return
    database = open_for_backup(db_path)
    try:
        manifest = service.backup(database, out_dir)
    finally:
        database.close()
    click.echo(
        f"Backup of {db_path} written to {out_dir}: {len(manifest.contents.tables)} tables, "
        f"{manifest.rows('findings'):,} findings, {manifest.rows('photos'):,} photos, "
        f"audit log up to entry {manifest.contents.audit_log_seq:,}."
    )


def _backup_through_server(db_path: str, out_dir: Path) -> bool:
    port = operations.running_server(db_path)
    if port is None:
        return False
    by = f"cli:{getpass.getuser()}@{socket.gethostname()}"
    try:
        answer = operations.ask(db_path, port, operations.BACKUP_PATH, {"out": str(out_dir.resolve()), "by": by})
    except OSError:
        return False  # the server has just stopped: back up directly
    if not answer.get("ok"):
        raise click.ClickException(f"The running app refused the backup: {answer.get('error')}")
    click.echo(
        f"Backup of {db_path} written to {answer['folder']} by the running app: {answer['findings']:,} findings."
    )
    return True


@cli.command()
@click.option(
    "--from",
    "source",
    required=True,
    type=click.Path(exists=True, path_type=Path),
    help="Backup folder (or the zip downloaded from the admin page).",
)
@click.option(
    "--db",
    "db_path",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Database file to create from the backup.",
)
@click.option("--force", is_flag=True, help="Replace the file at --db if it already exists.")
@click.option(
    "--key-file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Key file of the server that made the backup (<its database>.key), when restoring on "
    "another machine. Default: AUDIT_SECRET_KEY, or the key files this server holds.",
)
@click.option(
    "--trust-unsigned",
    is_flag=True,
    help="Restore even if the backup's signature does not verify (it may have been edited by hand).",
)
def restore(source: Path, db_path: Path, force: bool, key_file: Path | None, trust_unsigned: bool) -> None:
    """Rebuild a database from a backup and check it against the backup's signed manifest."""
    for leftover in remove_abandoned(db_path, RESTORING):
        click.echo(
            f"Removed {leftover.path}, left by an interrupted restore (process {leftover.pid} is no longer running)."
        )
    manifest = service.restore(source, db_path, force=force, trust_unsigned=trust_unsigned, key_file=key_file)
    if not manifest.signed:
        click.secho(
            f"WARNING: {source} is NOT signed by a key this server holds. It was restored only because "
            "--trust-unsigned was given: its contents are whatever whoever last edited it wrote. "
            "Check them before you use this database.",
            err=True,
            fg="red",
            bold=True,
        )
    click.echo(
        f"Restored {db_path} from {source} (made {manifest.created_at}): every file matches its hash, all "
        f"{len(manifest.contents.tables)} tables match the manifest's row counts and content hashes, and the "
        f"audit log verifies up to entry {manifest.contents.audit_log_seq:,}"
        + ("." if manifest.signed else ", as the unsigned manifest says.")
    )
