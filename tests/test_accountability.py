"""问责: measures recorded by supervisors, suggested by rules but never made by them, seen by the unit addressed."""

from __future__ import annotations

import io
from datetime import date, datetime, timedelta

import pytest
from PIL import Image

from audit.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from audit.model import Role, User, new_id
from audit.services import accountability as service
from audit.store import audit_log
from audit.store.findings import insert_finding
from tests.factories import GUANGMING, GUOSHENG, INSPECTOR, SUPERVISOR, make_finding, seed_ledger, store_accounts
from tests.factories import LEDGER_TODAY as TODAY
from tests.factories import add_ledger_site as add_site

NOW = datetime.combine(TODAY, datetime.min.time()) + timedelta(hours=10)
UNIT = User(new_id(), "guosheng", "国胜社区", Role.UNIT, unit=GUOSHENG)
OTHER = User(new_id(), "guangming", "光明社区", Role.UNIT, unit=GUANGMING)
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (800, 600), "teal").save(buffer, format="JPEG")
    return buffer.getvalue()


@pytest.fixture(autouse=True)
def stored_accounts(request):
    if "db" in request.fixturenames:  # the services read the acting account from the database
        store_accounts(request.getfixturevalue("db"), UNIT, OTHER, SUPERVISOR, INSPECTOR)


@pytest.fixture
def ledger(db):
    return seed_ledger(db)


def record(db, ledger, **changes):
    options = dict(
        kind="reminder_talk",
        unit=GUOSHENG,
        person="张三",
        decided_on=TODAY,
        decided_by="区纪委监委",
        basis="《疫情防控工作问责办法》第五条",
        finding_ids=[ledger["2026-0001"]],
        today=TODAY,
        now=NOW,
    )
    return service.record_measure(db, SUPERVISOR, **(options | changes))


def test_a_measure_is_recorded_with_its_documents_and_logged(db, ledger):
    measure = record(db, ledger, documents=[("决定书.pdf", PDF), ("现场.png", jpeg())])
    assert measure.documents == ("决定书.pdf", "现场.jpg")
    [stored] = service.measures(db, SUPERVISOR)
    assert stored == measure
    mime, data = service.measure_document(db, SUPERVISOR, measure.id, "决定书.pdf")
    assert (mime, data) == ("application/pdf", PDF)
    with db.read() as cursor:
        [entry] = audit_log.history(cursor, "measure", measure.id)
        assert audit_log.verify(cursor).ok
    assert entry["action"] == "measure.recorded" and "张三" in str(entry)


def test_units_see_only_measures_addressed_to_them_and_inspectors_none(db, ledger):
    mine = record(db, ledger)
    theirs = record(db, ledger, unit=GUANGMING, finding_ids=[ledger["2026-0005"]])
    assert [m.id for m in service.measures(db, UNIT)] == [mine.id]
    assert [m.id for m in service.measures(db, UNIT, unit=GUANGMING)] == [mine.id]  # the scope cannot be widened
    assert [m.id for m in service.measures(db, OTHER)] == [theirs.id]
    with pytest.raises(NotFound):
        service.measure_document(db, OTHER, mine.id, "x.pdf")
    with pytest.raises(PermissionDenied):
        service.measures(db, INSPECTOR)
    with pytest.raises(PermissionDenied):
        service.record_measure(
            db,
            UNIT,
            kind="reminder_talk",
            unit=GUOSHENG,
            decided_on=TODAY,
            decided_by="x",
            basis="y",
            finding_ids=[ledger["2026-0001"]],
            today=TODAY,
            now=NOW,
        )


def test_lists_per_unit_and_per_person(db, ledger):
    first = record(db, ledger, person="张三")
    second = record(db, ledger, person="李四", decided_on=TODAY - timedelta(days=1))
    assert [m.id for m in service.measures(db, SUPERVISOR, unit=GUOSHENG)] == [first.id, second.id]
    assert [m.id for m in service.measures(db, SUPERVISOR, person="李四")] == [second.id]
    assert [m.id for m in service.measures(db, SUPERVISOR, finding_id=ledger["2026-0001"])] == [first.id, second.id]


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"kind": "shoot_on_sight"}, "kind"),
        ({"unit": "  "}, "unit"),
        ({"decided_on": TODAY + timedelta(days=1)}, "decided_on"),
        ({"decided_by": ""}, "decided_by"),
        ({"basis": " "}, "basis"),
        ({"finding_ids": []}, "findings"),
        ({"finding_ids": [new_id()]}, "findings"),
        ({"finding_ids": ["__5__"]}, "findings"),
        ({"documents": [("a.exe", b"MZ\x90\x00")]}, "documents"),
        ({"documents": [("cut.pdf", b"%PDF-1.4 truncated")]}, "documents"),
        ({"documents": [(f"{n}.pdf", PDF) for n in range(11)]}, "documents"),
        ({"documents": [("a.pdf", PDF), ("a.pdf", PDF)]}, "documents"),
        ({"note": "长" * 2001}, "note"),
    ],
)
def test_bad_input_is_refused_naming_the_field_and_nothing_is_saved(db, ledger, changes, field):
    if changes.get("finding_ids") == ["__5__"]:  # another unit's finding
        changes = {"finding_ids": [ledger["2026-0005"]]}
    with pytest.raises(InvalidInput) as refused:
        record(db, ledger, **changes)
    assert refused.value.field == field
    assert refused.value.text("zh-CN") != refused.value.key
    assert service.measures(db, SUPERVISOR) == []


def test_a_change_is_logged_and_a_stale_one_refused(db, ledger):
    measure = record(db, ledger)
    changed = service.change_measure(db, SUPERVISOR, measure, kind="circulated_criticism", now=NOW, today=TODAY)
    assert changed.version == 2 and service.measures(db, SUPERVISOR)[0].kind == "circulated_criticism"
    with pytest.raises(Conflict):
        service.change_measure(db, SUPERVISOR, measure, note="过期的版本", now=NOW, today=TODAY)
    with db.read() as cursor:
        actions = [entry["action"] for entry in audit_log.history(cursor, "measure", measure.id)]
    assert actions == ["measure.recorded", "measure.changed"]


def test_rules_suggest_and_only_a_supervisor_decides(db, ledger):
    # 2026-0001 is a critical finding 12 days overdue on TODAY: the rule suggests; nothing is recorded.
    suggestions = service.suggestions(db, SUPERVISOR, today=TODAY)
    overdue = [s for s in suggestions if s.rule == "critical_overdue"]
    assert [(s.unit, s.numbers) for s in overdue] == [(GUOSHENG, ("2026-0001",))]
    assert service.measures(db, SUPERVISOR) == []
    measure = record(db, ledger, kind=overdue[0].suggest, suggestion=overdue[0].key)
    assert measure.suggestion == overdue[0].key
    assert all(s.key != overdue[0].key for s in service.suggestions(db, SUPERVISOR, today=TODAY))
    with pytest.raises(InvalidInput):  # answered already
        record(db, ledger, suggestion=overdue[0].key)


def test_three_repeats_in_ninety_days_are_suggested_and_a_dismissal_holds_until_a_new_one(db, ledger):
    with db.write() as cursor:
        site = add_site(cursor, "国胜隔离点二号楼", unit=GUOSHENG)
        for n in (11, 12, 13):
            finding = make_finding(
                f"2026-00{n}",
                site_id=site,
                responsible_unit=GUOSHENG,
                found_at=NOW - timedelta(days=n),
                repeat_of=[new_id()],
                deadline=TODAY + timedelta(days=5),
            )
            insert_finding(cursor, finding)
    [repeat] = [s for s in service.suggestions(db, SUPERVISOR, today=TODAY) if s.rule == "repeat_offender"]
    assert repeat.unit == GUOSHENG and len(repeat.numbers) >= 3
    with pytest.raises(InvalidInput) as refused:
        service.dismiss_suggestion(db, SUPERVISOR, repeat.key, reason=" ", today=TODAY, now=NOW)
    assert refused.value.field == "reason"
    service.dismiss_suggestion(db, SUPERVISOR, repeat.key, reason="已约谈，正在整改", today=TODAY, now=NOW)
    assert not [s for s in service.suggestions(db, SUPERVISOR, today=TODAY) if s.rule == "repeat_offender"]
    with db.write() as cursor:
        insert_finding(
            cursor,
            make_finding(
                "2026-0099",
                site_id=site,
                responsible_unit=GUOSHENG,
                found_at=NOW,
                repeat_of=[new_id()],
                deadline=TODAY + timedelta(days=5),
            ),
        )
    assert [s for s in service.suggestions(db, SUPERVISOR, today=TODAY) if s.rule == "repeat_offender"]
    with pytest.raises(PermissionDenied):
        service.suggestions(db, UNIT, today=TODAY)


def test_the_export_is_inert_in_a_spreadsheet(db, ledger):
    record(db, ledger, person='=HYPERLINK("http://evil.example")', note="+1")
    rows = service.measures(db, SUPERVISOR)
    data = service.measures_csv(rows, service.finding_numbers(db, SUPERVISOR, rows), "zh-CN").decode("utf-8-sig")
    assert data.splitlines()[0].startswith('"决定日期","问责方式","单位","被问责人"')
    assert "\"'=HYPERLINK" in data and '"\'+1"' in data and "提醒谈话" in data and "2026-0001" in data


def test_a_broken_rules_file_is_named(tmp_path, monkeypatch):
    from audit import accountability

    broken = tmp_path / "accountability.yaml"
    broken.write_text("measures:\n  - id: talk\n    zh: 谈话\nrules: []\n", encoding="utf-8")
    with pytest.raises(InvalidInput, match="accountability.yaml cannot be used: measures.0.en"):
        accountability.load(broken)
    with pytest.raises(InvalidInput, match="is missing"):
        accountability.load(tmp_path / "absent.yaml")


def test_a_measure_appears_in_the_findings_timeline_for_those_who_may_see_it(db, ledger):
    from audit.services.ledger import finding_detail

    record(db, ledger, person="张三", basis="第五条")
    entries = [e for e in finding_detail(db, SUPERVISOR, ledger["2026-0001"]).timeline if e.action == "measure"]
    assert [e.note for e in entries] == ["提醒谈话 · 张三 · 区纪委监委 · 第五条"]
    assert [e.action for e in finding_detail(db, UNIT, ledger["2026-0001"]).timeline].count("measure") == 1
    assert "measure" not in [e.action for e in finding_detail(db, INSPECTOR, ledger["2026-0001"]).timeline]


def test_a_bulletin_names_the_measures_decided_in_its_period(db, ledger):
    from docx import Document

    from audit.model import BulletinKind
    from audit.services import bulletins

    record(db, ledger, person="张三", decided_on=TODAY - timedelta(days=2))
    draft = bulletins.draft_bulletin(
        db,
        SUPERVISOR,
        kind=BulletinKind.WEEKLY,
        period_from=TODAY - timedelta(days=7),
        period_to=TODAY - timedelta(days=1),
        today=TODAY,
    )
    assert GUOSHENG in draft.units_named
    text = "\n".join(
        p.text for p in Document(io.BytesIO(bulletins.bulletin_file(db, SUPERVISOR, draft, "docx"))).paragraphs
    )
    assert "2026年3月8日，对国胜社区居委会张三予以提醒谈话。" in text
    earlier = bulletins.draft_bulletin(
        db, SUPERVISOR, kind=BulletinKind.WEEKLY, period_from=date(2026, 2, 1), period_to=date(2026, 2, 7), today=TODAY
    )
    assert earlier.measures == ()
