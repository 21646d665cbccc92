"""The unit of work every reliability check repeats: one finding saved as the app saves it.

A number allocated, the finding inserted and its audit-log entry appended, all in one
`Database.write()` transaction: acknowledged only once that transaction has committed.
"""

from __future__ import annotations

from datetime import date, datetime

from audit.model import Finding, Severity, new_id
from audit.store import audit_log
from audit.store.db import Database
from audit.store.findings import allocate_number, insert_finding

YEAR = 2026


def new_finding(number: str, inspector: str, **changes) -> Finding:
    values = dict(
        id=new_id(),
        number=number,
        site_id="site-guosheng",
        description="仅佩戴一层普通口罩 / one ordinary mask only",
        severity=Severity.MAJOR,
        responsible_unit="国胜社区居委会",
        deadline=date(2026, 3, 3),
        found_at=datetime(2026, 3, 1, 23, 0),
        inspector=inspector,
    )
    values.update(changes)
    return Finding(**values)


def record_finding(database: Database, inspector: str, **changes) -> str:
    """Save one finding with its audit-log entry; returns its id once committed."""
    with database.write() as cursor:
        finding = new_finding(allocate_number(cursor, YEAR), inspector, **changes)
        insert_finding(cursor, finding)
        audit_log.append(
            cursor,
            actor=inspector,
            action="finding.recorded",
            entity="finding",
            entity_id=finding.id,
            after={"number": finding.number, "description": finding.description},
        )
    return finding.id


def stored_finding_ids(database: Database) -> set[str]:
    with database.read() as cursor:
        return {row[0] for row in cursor.execute("SELECT id FROM findings").fetchall()}


def log_verifies(database: Database) -> bool:
    with database.read() as cursor:
        return audit_log.verify(cursor).ok
