"""`checklists check`: find what is wrong with the checklist files before the app loads them."""

from __future__ import annotations

from pathlib import Path

import click

from audit.checklists import load_checklists
from audit.cli.group import cli
from audit.settings import settings


@cli.group("checklists")
def checklists_group() -> None:
    """Checklist files (checklists/*.yaml)."""


@checklists_group.command()
@click.argument("directory", required=False, type=click.Path(file_okay=False, path_type=Path))
@click.pass_context
def check(ctx: click.Context, directory: Path | None) -> None:
    """Validate every checklist file in DIRECTORY (default: the AUDIT_CHECKLISTS setting); one line per problem,
    exit 1 if any."""
    result = load_checklists(directory or settings().checklists)
    for problem in result.problems:
        click.echo(str(problem))
    valid = len(result.checklists)
    summary = f"{valid} checklist{'' if valid == 1 else 's'} valid"
    if result.problems:
        click.echo(f"{summary}, {len(result.problems)} problem{'' if len(result.problems) == 1 else 's'}", err=True)
        ctx.exit(1)
    click.echo(summary)
