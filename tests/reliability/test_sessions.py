"""Twenty sessions saving at once, and two people editing the same finding."""

from __future__ import annotations

import pytest

from audit.errors import Conflict
from audit.store.findings import get_finding
from tests.reliability.records import record_finding
from tests.reliability.sessions import edit_description, run_sessions


def test_twenty_sessions_and_a_conflicting_edit(db):
    result = run_sessions(db, sessions=20, writes_each=10)
    assert (result.writes, result.present, result.errors) == (200, 200, 0)
    assert result.verify_ok
    assert len(result.edits_saved) == 1 and len(result.conflicts) == 1
    winner = result.edits_saved[0]
    assert f"changed by {winner}" in result.conflicts[0].message


def test_an_edit_over_a_newer_version_is_refused_and_keeps_the_first(db):
    finding_id = record_finding(db, "陈明")
    edit_description(db, finding_id, 1, "已补充：仅佩戴一层普通口罩", "李华")
    with pytest.raises(Conflict, match="changed by 李华"):
        edit_description(db, finding_id, 1, "王芳的修改", "王芳")
    with db.read() as cursor:
        finding = get_finding(cursor, finding_id)
    assert (finding.description, finding.version, finding.updated_by) == ("已补充：仅佩戴一层普通口罩", 2, "李华")
