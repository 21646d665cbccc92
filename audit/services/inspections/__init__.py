"""The inspector's work on site: start an inspection, answer items, fill in findings, submit.

Each answer and each field of a finding form is saved as it is given, in its own
transaction with its audit-log entry, so a reload or a tablet that fell asleep loses
nothing. Findings get their numbers only on submission, all in one transaction; after
that an inspection changes only through a correction that records its reason.
"""

from audit.model import EarlierFinding, FindingDraft, Inspection, InspectionLine, Response
from audit.services.inspections.answers import Answer, record_response
from audit.services.inspections.forms import (
    add_adhoc_finding,
    add_finding_photo,
    check_finding,
    discard_adhoc_finding,
    draft_photo,
    effective_deadline,
    evidence,
    record_finding,
    remove_finding_photo,
    reopen_finding,
    save_finding_draft,
)
from audit.services.inspections.problems import LIMITS
from audit.services.inspections.sheet import Sheet, earlier_failures, inspection_sheet, score
from audit.services.inspections.starting import (
    checklists_for,
    find_sites,
    known_inspectors,
    site_places,
    start_inspection,
)
from audit.services.inspections.submission import (
    MyInspections,
    Submitted,
    correct_inspection,
    my_inspections,
    submit_inspection,
    submit_problems,
)

__all__ = [
    "Answer",
    "EarlierFinding",
    "FindingDraft",
    "Inspection",
    "InspectionLine",
    "LIMITS",
    "MyInspections",
    "Response",
    "Sheet",
    "Submitted",
    "add_adhoc_finding",
    "add_finding_photo",
    "check_finding",
    "checklists_for",
    "correct_inspection",
    "discard_adhoc_finding",
    "draft_photo",
    "earlier_failures",
    "effective_deadline",
    "evidence",
    "find_sites",
    "inspection_sheet",
    "known_inspectors",
    "my_inspections",
    "record_finding",
    "record_response",
    "remove_finding_photo",
    "reopen_finding",
    "save_finding_draft",
    "score",
    "site_places",
    "start_inspection",
    "submit_inspection",
    "submit_problems",
]
