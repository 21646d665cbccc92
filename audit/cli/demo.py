"""`demo`: fill a database with realistic inspections and findings to try the app on."""

from pathlib import Path

import click

from audit.checklists import load_checklists as read_checklists
from audit.cli.group import cli, db_option
from audit.command_line import command_line_actor
from audit.leftovers import PARTIAL, remove_abandoned
from audit.services import accounts as accounts_service
from audit.services.database import open_database
from audit.settings import settings


def load_checklists(directory: Path) -> list:
    """The valid checklists; a broken file is reported and skipped, as the app does."""
    result = read_checklists(directory)
    for problem in result.problems:
        click.echo(f"Skipped: {problem}", err=True)
    if not result.checklists:
        raise click.ClickException(f"No valid checklist in {directory}: nothing to inspect against.")
    return result.checklists


def create_demo_accounts(db_path: str) -> None:
    """Demo logins, one per role; their passwords are shown only here."""
    database = open_database(db_path)
    try:
        accounts = accounts_service.create_demo_accounts(database)
    finally:
        database.close()
    click.echo("Demo accounts (shown once, write them down):")
    for username, role, password in accounts:
        click.echo(f"  {username:<16} {role!s:<12} {password}")


@cli.command()
@click.option(
    "--findings",
    type=click.IntRange(min=0),
    default=50_000,
    show_default=True,
    help="How many findings to make (about a third as many inspections).",
)
@click.option(
    "--sites",
    type=click.IntRange(min=0),
    default=0,
    help="At least this many sites: beyond the shipped registry, sites are generated over the province.",
)
@click.option("--seed", type=int, default=2020, show_default=True, help="Same seed, same data.")
@click.option("--accounts", is_flag=True, help="Also create demo accounts and print their passwords.")
@click.option(
    "--checklists",
    "checklists_dir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Folder of checklist YAML files [default: the AUDIT_CHECKLISTS setting].",
)
@db_option
def demo(findings: int, sites: int, seed: int, accounts: bool, checklists_dir: Path | None, db_path: str) -> None:
    """Add demo sites, inspections and findings to the database (created if missing)."""
    from audit.demo import generate_file  # numpy and Arrow load only for this command

    checklists = load_checklists(checklists_dir or settings().checklists)
    for leftover in remove_abandoned(db_path, PARTIAL):
        click.echo(
            f"Removed {leftover.path}, left by an interrupted demo run (process {leftover.pid} is no longer running)."
        )
    with click.progressbar(length=1000, label="Generating demo data", show_eta=False) as bar:

        def progress(stage: str, done: float) -> None:
            bar.label = f"Demo: {stage}"
            bar.update(int(done * 1000) - bar.pos)

        report = generate_file(
            db_path,
            checklists,
            findings=findings,
            sites=sites,
            seed=seed,
            progress=progress,
            actor=command_line_actor(),
        )
    click.echo(
        f"{db_path}: {report.findings} findings from {report.inspections} inspections at "
        f"{report.sites} sites ({report.responses} answers, {report.events} rectification events)."
    )
    if accounts:
        create_demo_accounts(db_path)
