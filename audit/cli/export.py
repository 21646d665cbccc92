"""`export`: the rectification ledger as xlsx, csv, or printable notices (pdf), with the page's filters."""

from __future__ import annotations

from datetime import datetime

import click

from audit.cli.group import cli, db_option, operator
from audit.i18n import DEFAULT_LANGUAGE, LANGUAGES
from audit.model import ExportStage, FindingFilter, Overdue, Severity, Status
from audit.services.database import open_database
from audit.services.ledger import FORMATS, SORT_KEYS, export_ledger, export_progress

STEPS = 1000  # of the progress bar: its fill comes as a fraction


def _choice(enum) -> click.Choice:
    return click.Choice([member.value for member in enum])


def _day(value: str | None):
    return datetime.strptime(value, "%Y-%m-%d").date() if value else None


@cli.command("export")
@click.option("--format", "fmt", type=click.Choice(FORMATS), required=True, help="xlsx, csv, or pdf notices.")
@click.option("--out", type=click.Path(dir_okay=False, writable=True), required=True, help="File to write.")
@click.option(
    "--lang", type=click.Choice(LANGUAGES), default=DEFAULT_LANGUAGE, show_default=True, help="Headings' language."
)
@click.option("--status", multiple=True, type=_choice(Status), help="Only these statuses (repeatable).")
@click.option("--overdue", multiple=True, type=_choice(Overdue), help="Only these deadline colours (repeatable).")
@click.option("--severity", multiple=True, type=_choice(Severity), help="Only these severities (repeatable).")
@click.option("--unit", help="Responsible unit, exactly as written.")
@click.option("--subdistrict", help="Subdistrict (街道), in either language.")
@click.option("--community", help="Community (社区), in either language.")
@click.option("--site", help="Site id, code or name.")
@click.option("--checklist", help="Checklist id or title.")
@click.option("--from", "found_from", metavar="YYYY-MM-DD", help="Found on or after this day.")
@click.option("--to", "found_to", metavar="YYYY-MM-DD", help="Found on or before this day.")
@click.option("--repeats-only", is_flag=True, help="Only repeat findings.")
@click.option("--sort", type=click.Choice(SORT_KEYS), default="number", show_default=True)
@click.option("--descending", is_flag=True, help="Sort from the largest.")
@db_option
def export_command(
    fmt: str,
    out: str,
    lang: str,
    status: tuple,
    overdue: tuple,
    severity: tuple,
    unit: str | None,
    subdistrict: str | None,
    community: str | None,
    site: str | None,
    checklist: str | None,
    found_from: str | None,
    found_to: str | None,
    repeats_only: bool,
    sort: str,
    descending: bool,
    db_path: str,
) -> None:
    """Write the ledger, filtered like the ledger page, to a file."""
    try:
        flt = FindingFilter(
            statuses=tuple(map(Status, status)),
            colours=tuple(map(Overdue, overdue)),
            severities=tuple(map(Severity, severity)),
            unit=unit,
            subdistrict=subdistrict,
            community=community,
            site=site,
            checklist=checklist,
            found_from=_day(found_from),
            found_to=_day(found_to),
            repeats_only=repeats_only,
        )
    except ValueError as error:
        raise click.BadParameter(f"dates are written YYYY-MM-DD ({error})", param_hint="--from/--to") from error
    database = open_database(db_path)
    try:
        with click.progressbar(length=STEPS, label=export_progress(0, 1, ExportStage.WRITING, lang)[1]) as bar:

            def progress(done: int, total: int, stage: ExportStage) -> None:
                fraction, bar.label = export_progress(done, total, stage, lang)
                bar.update(round(fraction * STEPS) - bar.pos)

            written = export_ledger(
                database, operator(), flt, fmt, out, language=lang, sort=sort, descending=descending, progress=progress
            )
    finally:
        database.close()
    what = "notices (one per unit)" if fmt == "pdf" else "findings"
    click.echo(f"Wrote {written:,} {what} to {out}")
