"""One writing process for the lake tests: inspections with findings, fix reports, and one contested edit.

Run as `python -m tests.lake.writer ROUNDS JOURNAL SHARED_FINDING` with AUDIT_DB and AUDIT_LAKE_DATA set.
Every write the services acknowledged is appended to JOURNAL (one JSON line, flushed at once), so a
test can check afterwards that each is in the lake, even when this process was killed mid-write.
"""

from __future__ import annotations

import json
import sys
from datetime import datetime

from audit.errors import AuditError
from audit.model import Result
from audit.services import inspections as service
from audit.services import rectification
from audit.services.database import open_database
from audit.settings import settings
from tests.lake.scene import INSPECTOR, SITE_ID, UNIT_ACCOUNT

NOW = datetime(2026, 3, 1, 23, 0)


def main(rounds: int, journal_path: str, shared_finding: str) -> None:
    database = open_database(settings().db)
    with open(journal_path, "a", encoding="utf-8") as journal:

        def acknowledged(kind: str, **values) -> None:
            journal.write(json.dumps({"kind": kind, **values}, ensure_ascii=False) + "\n")
            journal.flush()

        try:
            rectification.report_fix(database, UNIT_ACCOUNT, shared_finding, version=1, fix_report="两个人同时处理")
            acknowledged("contested", outcome="saved")
        except AuditError as error:
            acknowledged("contested", outcome=type(error).__name__, message=str(error))
        previous = None
        for round_ in range(rounds):
            inspection = service.start_inspection(
                database,
                INSPECTOR,
                site_id=SITE_ID,
                checklist_id="transfer_test",
                inspectors=["陈明"],
                started_at=NOW,
                now=NOW,
            )
            acknowledged("inspection", id=inspection.id)
            for item, answer in (
                ("T-01", {"result": Result.PASS}),
                ("T-03", {"value": 2}),
                ("T-04", {"text": f"第{round_}轮"}),
            ):
                service.record_response(database, INSPECTOR, inspection.id, item, now=NOW, **answer)
                acknowledged("answer", inspection=inspection.id, item=item)
            service.record_response(database, INSPECTOR, inspection.id, "T-02", result=Result.FAIL, now=NOW)
            acknowledged("answer", inspection=inspection.id, item="T-02")
            sheet = service.inspection_sheet(database, INSPECTOR, inspection.id)
            draft = next(d for d in sheet.drafts if d.item_id == "T-02")
            service.save_finding_draft(database, INSPECTOR, draft.id, description=f"口罩 {round_}", now=NOW)
            service.record_finding(database, INSPECTOR, draft.id, now=NOW)
            finding = service.submit_inspection(database, INSPECTOR, inspection.id, now=NOW).findings[0]
            acknowledged("finding", id=finding.id, number=finding.number)
            if previous is not None:
                fixed = rectification.report_fix(
                    database, UNIT_ACCOUNT, previous.id, version=previous.version, fix_report="已整改"
                )
                acknowledged("fix", id=fixed.id, version=fixed.version)
            previous = finding
    database.close()


if __name__ == "__main__":
    main(int(sys.argv[1]), sys.argv[2], sys.argv[3])
