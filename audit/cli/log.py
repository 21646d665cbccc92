"""`verify-log`: prove the audit log was not changed, or name the first entry that was."""

from __future__ import annotations

from pathlib import Path

import click

from audit.cli.group import cli, db_option, operator
from audit.model import Role
from audit.services.administration import (
    check_audit_log,
    check_invariants,
    rebuild_ledger_tables,
    rebuild_verification_queue,
)
from audit.services.database import Database, is_lake, open_database


def open_existing(db_path: str) -> Database:
    """Open for reading only, saying plainly when there is no database at that path."""
    if not is_lake(db_path) and not Path(db_path).exists():
        raise click.ClickException(
            f"There is no database at {db_path}. Create it with: python -m audit init --db {db_path}"
        )
    return open_database(db_path, read_only=True)


def _anchor(_ctx, _param, values: tuple[str, ...]) -> dict[int, str]:
    anchors = {}
    for value in values:
        seq, _, digest = value.partition(":")
        if not seq.isdigit() or len(digest) != 64:
            raise click.BadParameter(f"'{value}' is not SEQ:HASH as printed by verify-log.")
        anchors[int(seq)] = digest.lower()
    return anchors


@cli.command("verify-log")
@db_option
@click.option(
    "--anchor",
    "anchors",
    multiple=True,
    callback=_anchor,
    metavar="SEQ:HASH",
    help="A head printed by an earlier verify-log; checks the log was not rewritten since.",
)
def verify_log(db_path: str, anchors: dict[int, str]) -> None:
    """Check every audit-log entry against its hash and the entry before it, and every audited
    row (findings, events, inspections, answers, users, sites, photos) against the hash its
    latest entry recorded."""
    database = open_existing(db_path)
    try:
        result = check_audit_log(database, operator(Role.ADMIN), anchors)
    finally:
        database.close()
    if result.bad_seq is not None:
        click.echo(
            f"Audit log entry {result.bad_seq} does not verify: {result.reason}. "
            f"{result.checked} entries before it are intact.",
            err=True,
        )
    for problem in result.rows:
        click.echo(f"Not as logged: {problem}.", err=True)
    if not result.ok:
        raise SystemExit(1)
    click.echo(
        f"Audit log intact: {result.checked} entries checked; {result.rows_checked} rows match the hashes it recorded."
    )
    if result.checked:
        click.echo(f"Head: {result.checked}:{result.last_hash}  (keep it; check later with --anchor)")


@cli.command("check")
@db_option
@click.option(
    "--repair", is_flag=True, help="Make derived tables (fixes to verify, search texts, ledger counts) again first."
)
def check(db_path: str, repair: bool) -> None:
    """Check what must hold however many servers write: one account per username, one finding per
    number, one audit-log entry per seq and none missing, one task per visit, and the queue of fixes
    awaiting verification, the search texts and the ledger's counts as the findings say."""
    if repair:
        database = open_database(db_path)
        try:
            differing = rebuild_verification_queue(database, operator(Role.ADMIN))
            search = rebuild_ledger_tables(database, operator(Role.ADMIN))
        finally:
            database.close()
        click.echo(f"Queue of fixes awaiting verification made again: it differed for {differing} findings.")
        click.echo(f"Search texts and ledger counts made again from the findings: {search} rows of them differed.")
    database = open_existing(db_path)
    try:
        problems = check_invariants(database, operator(Role.ADMIN))
    finally:
        database.close()
    for problem in problems:
        click.echo(f"Broken: {problem}.", err=True)
    if problems:
        raise SystemExit(1)
    click.echo(
        "Invariants hold: usernames, finding numbers, audit-log entries and tasks are each unique; "
        "the queue of fixes awaiting verification, the search texts and the ledger's counts agree with the findings."
    )
