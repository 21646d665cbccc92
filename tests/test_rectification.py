"""The finding life cycle: every legal and illegal step, who may take it, four eyes, versions."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from audit.errors import Conflict, IllegalTransition, InvalidInput, NotFound, PermissionDenied
from audit.model import Status
from audit.services import rectification as r
from audit.services.rectification import TRANSITIONS, Step
from audit.store import audit_log
from audit.store.findings import events_of_finding, get_finding, insert_finding
from audit.store.photos import photos_of_finding
from audit.store.row_state import every_row
from tests.factories import (
    ADMIN,
    GUOSHENG,
    INSPECTOR,
    OTHER_UNIT,
    SECOND_INSPECTOR,
    SUPERVISOR,
    UNIT,
    make_finding,
    picture,
    store_accounts,
)

NOW = datetime(2026, 3, 5, 14, 0)


@pytest.fixture
def db(any_db):
    """Every step of the life cycle holds on both backends (`any_db`)."""
    return any_db


@pytest.fixture(autouse=True)
def stored_accounts(db):
    store_accounts(db, UNIT, OTHER_UNIT, INSPECTOR, SECOND_INSPECTOR, SUPERVISOR, ADMIN)


def finding_in(db, status: Status, **changes) -> str:
    finding = make_finding("2026-0412", status=status, responsible_unit=GUOSHENG, **changes)
    store_accounts(db, UNIT, INSPECTOR, SUPERVISOR)  # also for tests elsewhere that build on this
    with db.write() as cursor:
        insert_finding(cursor, finding)
        audit_log.append(cursor, actor="test", action="test.seeded", entity="database", rows_where=every_row())
    return finding.id


def current(db, finding_id):
    with db.read() as cursor:
        return get_finding(cursor, finding_id)


def take(db, step: Step, actor, finding_id, version=None):
    """Take a step with plausible input; the version defaults to the one in the store."""
    version = current(db, finding_id).version if version is None else version
    calls = {
        Step.REPORT_FIX: lambda: r.report_fix(db, actor, finding_id, version=version, fix_report="已全员培训", now=NOW),
        Step.ACCEPT: lambda: r.accept_fix(db, actor, finding_id, version=version, now=NOW),
        Step.REJECT: lambda: r.reject_fix(db, actor, finding_id, version=version, reason="照片不清楚", now=NOW),
        Step.REOPEN: lambda: r.reopen(db, actor, finding_id, version=version, reason="复查仍未整改", now=NOW),
        Step.REASSIGN: lambda: r.reassign(db, actor, finding_id, version=version, deadline=date(2026, 3, 20), now=NOW),
    }
    return calls[step]()


ACTOR = {
    Step.REPORT_FIX: UNIT,
    Step.ACCEPT: INSPECTOR,
    Step.REJECT: INSPECTOR,
    Step.REOPEN: INSPECTOR,
    Step.REASSIGN: SUPERVISOR,
}


def test_the_whole_life_of_a_finding(db):
    finding_id = finding_in(db, Status.OPEN)
    path = [
        (Step.REPORT_FIX, Status.AWAITING_VERIFICATION),
        (Step.REJECT, Status.OPEN),
        (Step.REPORT_FIX, Status.AWAITING_VERIFICATION),
        (Step.ACCEPT, Status.CLOSED),
        (Step.REOPEN, Status.REOPENED),
        (Step.REASSIGN, Status.REOPENED),
        (Step.REPORT_FIX, Status.AWAITING_VERIFICATION),
        (Step.ACCEPT, Status.CLOSED),
    ]
    for number, (step, status) in enumerate(path, start=2):
        finding = take(db, step, ACTOR[step], finding_id)
        assert (finding.status, finding.version) == (status, number)
    assert (finding.verifier, finding.closed_at, finding.reported_by) == ("chenming", NOW, "guosheng")
    assert finding.deadline == date(2026, 3, 20)
    with db.read() as cursor:
        events = events_of_finding(cursor, finding_id)
        history = audit_log.history(cursor, "finding", finding_id)
        assert audit_log.verify(cursor).ok
    assert [e["action"] for e in events] == [step.value for step, _ in path]
    assert [h["action"] for h in history] == [f"finding.{step.value}" for step, _ in path]
    reopened = history[4]
    assert reopened["before"]["status"] == "closed" and reopened["after"]["status"] == "reopened"
    assert reopened["after"]["note"] == "复查仍未整改" and reopened["after"]["event"] == events[4]["id"]


ILLEGAL = [(status, step) for status in Status for step in Step if (status, step) not in TRANSITIONS]


@pytest.mark.parametrize("status, step", ILLEGAL, ids=[f"{s.value}-{t.value}" for s, t in ILLEGAL])
def test_every_illegal_step_is_refused_and_changes_nothing(db, status, step):
    finding_id = finding_in(db, status, reported_by="someone-else")
    with pytest.raises(IllegalTransition) as refused:
        take(db, step, ACTOR[step], finding_id)
    assert "is not possible now" in refused.value.message
    assert current(db, finding_id).version == 1
    with db.read() as cursor:
        assert events_of_finding(cursor, finding_id) == []
        assert audit_log.history(cursor, "finding", finding_id) == []


def test_the_legal_steps_are_exactly_the_designed_ones():
    assert {(s.value, t.value): n.value for (s, t), n in TRANSITIONS.items()} == {
        ("open", "reported"): "awaiting_verification",
        ("reopened", "reported"): "awaiting_verification",
        ("awaiting_verification", "accepted"): "closed",
        ("awaiting_verification", "rejected"): "open",
        ("closed", "reopened"): "reopened",
        ("open", "reassigned"): "open",
        ("reopened", "reassigned"): "reopened",
        ("awaiting_verification", "reassigned"): "awaiting_verification",
    }


@pytest.mark.parametrize(
    "step, status, actors",
    [
        (Step.REPORT_FIX, Status.OPEN, [INSPECTOR, SUPERVISOR, ADMIN]),
        (Step.ACCEPT, Status.AWAITING_VERIFICATION, [UNIT, ADMIN]),
        (Step.REJECT, Status.AWAITING_VERIFICATION, [UNIT, ADMIN]),
        (Step.REOPEN, Status.CLOSED, [UNIT, ADMIN]),
        (Step.REASSIGN, Status.OPEN, [UNIT, INSPECTOR, ADMIN]),
    ],
)
def test_who_may_not_take_a_step(db, step, status, actors):
    finding_id = finding_in(db, status)
    for actor in actors:
        with pytest.raises(PermissionDenied):
            take(db, step, actor, finding_id)
    assert current(db, finding_id).version == 1


def test_a_unit_reports_fixes_only_for_its_own_findings(db):
    finding_id = finding_in(db, Status.OPEN)
    with pytest.raises(NotFound, match="no such finding"):  # another unit's finding is not there for it
        take(db, Step.REPORT_FIX, OTHER_UNIT, finding_id)
    assert take(db, Step.REPORT_FIX, UNIT, finding_id).status is Status.AWAITING_VERIFICATION


@pytest.mark.parametrize("step", [Step.ACCEPT, Step.REJECT])
def test_four_eyes_the_reporter_may_not_verify(db, step):
    finding_id = finding_in(db, Status.AWAITING_VERIFICATION, reported_by=INSPECTOR.username)
    with pytest.raises(PermissionDenied, match="someone else must verify"):
        take(db, step, INSPECTOR, finding_id)
    assert take(db, step, SECOND_INSPECTOR, finding_id).version == 2


def test_saving_over_a_newer_version_names_who_changed_it_and_when(db):
    finding_id = finding_in(db, Status.OPEN)
    seen = current(db, finding_id).version  # two people open the same finding
    r.report_fix(db, UNIT, finding_id, version=seen, fix_report="已整改", now=datetime(2026, 3, 5, 9, 15))
    with pytest.raises(Conflict) as refused:
        r.reassign(db, SUPERVISOR, finding_id, version=seen, responsible_person="李四", now=NOW)
    assert "国胜社区" in refused.value.message and "2026-03-05 09:15" in refused.value.message
    assert refused.value.values == {"number": "2026-0412", "who": "国胜社区", "when": "2026-03-05 09:15"}
    after = current(db, finding_id)
    assert (after.responsible_person, after.version, after.fix_report) == ("", 2, "已整改")


@pytest.mark.parametrize(
    "call, field",
    [
        (lambda db, i: r.report_fix(db, UNIT, i, version=1, fix_report="   "), "fix_report"),
        (lambda db, i: r.reject_fix(db, INSPECTOR, i, version=1, reason=""), "reason"),
        (lambda db, i: r.reopen(db, INSPECTOR, i, version=1, reason=" "), "reason"),
        (lambda db, i: r.reassign(db, SUPERVISOR, i, version=1, responsible_unit=""), "responsible_unit"),
        (lambda db, i: r.reassign(db, SUPERVISOR, i, version=1, deadline=date(2026, 2, 1)), "deadline"),
    ],
)
def test_required_words_and_sane_deadlines(db, call, field):
    finding_id = finding_in(db, Status.OPEN)
    with pytest.raises((InvalidInput, IllegalTransition)) as refused:
        call(db, finding_id)
    if isinstance(refused.value, InvalidInput):
        assert refused.value.field == field
    assert current(db, finding_id).version == 1


def test_reassigning_to_the_same_values_changes_nothing(db):
    finding_id = finding_in(db, Status.OPEN)
    with pytest.raises(InvalidInput, match="Nothing was changed"):
        r.reassign(db, SUPERVISOR, finding_id, version=1, responsible_unit=GUOSHENG)


def test_evidence_photos_are_kept_with_the_report(db):
    finding_id = finding_in(db, Status.OPEN)
    r.report_fix(db, UNIT, finding_id, version=1, fix_report="车辆已消毒", photos=[picture(), picture("PNG")], now=NOW)
    with db.read() as cursor:
        photos = photos_of_finding(cursor, finding_id)
        event = events_of_finding(cursor, finding_id)[0]
    assert [(p.stage, p.event_id, p.added_by) for p in photos] == [("fix", event["id"], "guosheng")] * 2


def test_a_broken_photo_stops_the_report_before_anything_is_written(db):
    finding_id = finding_in(db, Status.OPEN)
    with pytest.raises(InvalidInput) as refused:
        r.report_fix(db, UNIT, finding_id, version=1, fix_report="已整改", photos=[b"not a picture"])
    assert refused.value.field == "photo"
    assert current(db, finding_id).status is Status.OPEN


def test_an_unknown_finding_is_not_found(db):
    with pytest.raises(NotFound):
        r.report_fix(db, UNIT, "no-such-id", version=1, fix_report="x")


@pytest.mark.parametrize(
    "actor, status, expected",
    [
        (UNIT, Status.OPEN, [Step.REPORT_FIX]),
        (OTHER_UNIT, Status.OPEN, []),
        (INSPECTOR, Status.AWAITING_VERIFICATION, [Step.ACCEPT, Step.REJECT]),
        (SECOND_INSPECTOR, Status.AWAITING_VERIFICATION, [Step.ACCEPT, Step.REJECT]),
        (SUPERVISOR, Status.AWAITING_VERIFICATION, [Step.ACCEPT, Step.REJECT, Step.REASSIGN]),
        (SUPERVISOR, Status.CLOSED, [Step.REOPEN]),
        (ADMIN, Status.OPEN, []),
    ],
)
def test_the_page_offers_only_the_steps_that_would_succeed(actor, status, expected):
    finding = make_finding("2026-0412", status=status, responsible_unit=GUOSHENG, reported_by="liuyang-not")
    assert r.allowed_steps(actor, finding) == expected
    reporter = make_finding("2026-0412", status=status, reported_by=INSPECTOR.username)
    assert Step.ACCEPT not in r.allowed_steps(INSPECTOR, reporter)
