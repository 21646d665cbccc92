"""`plan add` and `coverage`: plans scripted by an office, and coverage as CSV."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import click

from audit.cli.group import cli, db_option, operator
from audit.errors import InvalidInput
from audit.services import plans as service
from audit.services.database import open_database


def _day(value: str, option: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInput("plan.error.date", field=option, option=option, value=value) from None


@cli.group("plan")
def plan() -> None:
    """Supervision plans (督查计划)."""


@plan.command("add")
@click.option("--name", required=True, help="The plan's name.")
@click.option(
    "--checklist", "checklists", multiple=True, required=True, metavar="ID", help="Checklist id (repeatable)."
)
@click.option("--site", "sites", multiple=True, metavar="CODE", help="A site's code (repeatable).")
@click.option("--site-kind", help="Every active site of this kind (with --subdistrict: of that subdistrict).")
@click.option("--subdistrict", help="Every active site of this subdistrict (街道), in either language.")
@click.option("--every", required=True, help="daily | weekdays:MON,TUE,... | days:N | monthly:N")
@click.option("--from", "start", required=True, metavar="YYYY-MM-DD")
@click.option("--to", "end", required=True, metavar="YYYY-MM-DD")
@click.option("--team", help="Usernames of the inspection team, comma-separated.")
@click.option("--self", "self_inspection", is_flag=True, help="Each site's own unit inspects itself (每日一查一报).")
@db_option
def add(name, checklists, sites, site_kind, subdistrict, every, start, end, team, self_inspection, db_path) -> None:
    """Add a plan; every field is checked and nothing is saved when one is wrong."""
    start_day, end_day = _day(start, "from"), _day(end, "to")
    database = open_database(db_path)
    try:
        made = service.add_plan(
            database,
            operator(),
            name=name,
            checklist_ids=list(checklists),
            site_codes=list(sites),
            site_kind=site_kind,
            subdistrict=subdistrict,
            team=[u for u in (team or "").split(",") if u.strip()],
            self_inspection=self_inspection,
            every=every,
            start=start_day,
            end=end_day,
            now=datetime.now(),
        )
    finally:
        database.close()
    click.echo(f"{made.id}: {made.name}, {made.recurrence.text}, {made.start} to {made.end}")


@cli.command("coverage")
@click.option("--from", "start", required=True, metavar="YYYY-MM-DD")
@click.option("--to", "end", required=True, metavar="YYYY-MM-DD")
@click.option("--out", required=True, type=click.Path(dir_okay=False, writable=True), help="FILE.csv")
@db_option
def coverage(start: str, end: str, out: str, db_path: str) -> None:
    """One row per site, checklist and due day: site_code, checklist_id, due_date, done (UTF-8 with BOM)."""
    start_day, end_day = _day(start, "from"), _day(end, "to")
    database = open_database(db_path)
    try:
        with open(Path(out), "wb") as file:
            rows = service.coverage_csv(
                database, operator(), start=start_day, end=end_day, today=date.today(), now=datetime.now(), out=file
            )
    finally:
        database.close()
    click.echo(f"{out}: {rows} tasks")
