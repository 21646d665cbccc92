"""`bulletin`: write a draft bulletin (not issued, no typical cases) for a period, for a scripted morning report."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import click

from audit.cli.group import cli, db_option, operator
from audit.errors import InvalidInput
from audit.model import BulletinKind
from audit.services import bulletins as service
from audit.services.database import open_database


def _day(value: str, field: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInput("bulletin.error.date", field=field, option=field, value=value) from None


@cli.command("bulletin")
@click.option("--from", "start", required=True, metavar="YYYY-MM-DD", help="First day of the period.")
@click.option("--to", "end", required=True, metavar="YYYY-MM-DD", help="Last day of the period.")
@click.option("--subdistrict", help="Only this subdistrict (街道), in either language; default the whole district.")
@click.option("--kind", type=click.Choice([k.value for k in BulletinKind]), default="daily", show_default=True)
@click.option("--lang", type=click.Choice(["zh-CN", "en"]), default="zh-CN", show_default=True)
@click.option("--out", required=True, type=click.Path(dir_okay=False, writable=True), help="FILE.docx or FILE.pdf")
@db_option
def bulletin(start: str, end: str, subdistrict: str | None, kind: str, lang: str, out: str, db_path: str) -> None:
    """Draft the bulletin of a period from the ledger and write it as DOCX or PDF."""
    fmt = Path(out).suffix.lower().lstrip(".")
    if fmt not in ("docx", "pdf"):
        raise InvalidInput("bulletin.error.format", field="out", format=Path(out).suffix or out)
    period_from, period_to = _day(start, "from"), _day(end, "to")
    database = open_database(db_path, read_only=True)
    try:
        draft = service.draft_bulletin(
            database,
            operator(),
            kind=kind,
            period_from=period_from,
            period_to=period_to,
            subdistrict=subdistrict,
            language=lang,
            today=date.today(),
        )
        Path(out).write_bytes(service.bulletin_file(database, operator(), draft, fmt))
    finally:
        database.close()
    figures = draft.figures
    click.echo(f"{out}: {service.label(draft)}, {figures.findings} findings, {figures.inspections} inspections.")
