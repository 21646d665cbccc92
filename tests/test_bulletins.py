"""督查通报: drafted from the ledger, issued numbered and frozen, written as DOCX and PDF."""

from __future__ import annotations

import io
import re
import subprocess
from datetime import date, datetime, timedelta

import pytest
from docx import Document
from PIL import Image

from audit.errors import Conflict, IllegalTransition, InvalidInput, NotFound, PermissionDenied
from audit.model import BulletinKind, BulletinStatus, Role, Severity, User, new_id
from audit.photos import prepare_photo
from audit.services import bulletins as service
from audit.services.checklists import sync_checklists
from audit.store import audit_log
from audit.store.findings import insert_finding
from audit.store.photos import attach_photo, save_photo
from audit.store.row_state import every_row
from tests.conftest import ROOT
from tests.factories import GUANGMING, GUOSHENG, INSPECTOR, SUPERVISOR, make_finding, seed_ledger, store_accounts
from tests.factories import LEDGER_TODAY as TODAY
from tests.factories import add_ledger_site as add_site

NOW = datetime.combine(TODAY, datetime.min.time()) + timedelta(hours=9)
MARCH = dict(period_from=date(2026, 3, 1), period_to=date(2026, 3, 9))
HOTEL = "光明商务酒店集中隔离点"
CASE = "社区党总支书记用私家车将两名外省返回人员送至6.5公里外的隔离点，与其同乘一车，仅佩戴一层普通口罩"
MEASURE = "当事人就地隔离观察，车辆立即消毒"
REQUIREMENT = "由街道统一调度专用转运车辆，转运人员按规范穿戴防护用品"
ADMIN = User(new_id(), "admin", "管理员", Role.ADMIN)
UNIT_GUANGMING = User(new_id(), "guangming", "光明社区", Role.UNIT, unit=GUANGMING)
UNIT_GUOSHENG = User(new_id(), "guosheng", "国胜社区", Role.UNIT, unit=GUOSHENG)


def jpeg(colour: str = "navy") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (640, 480), colour).save(buffer, format="JPEG")
    return buffer.getvalue()


@pytest.fixture(autouse=True)
def stored_accounts(request):
    if "db" in request.fixturenames:  # the services read the acting account from the database
        store_accounts(request.getfixturevalue("db"), ADMIN, UNIT_GUANGMING, UNIT_GUOSHENG, SUPERVISOR, INSPECTOR)


@pytest.fixture
def ledger(db):
    """The eight ledger findings of 1-8 March, plus the source article's case on 9 March with a photo."""
    sync_checklists(db, ROOT / "checklists")
    numbers = seed_ledger(db)
    with db.write() as cursor:
        hotel = add_site(cursor, HOTEL, unit=GUANGMING, subdistrict="虹桥街道", community="光明社区")
        case = make_finding(
            "2026-0009",
            site_id=hotel,
            responsible_unit=GUANGMING,
            severity=Severity.CRITICAL,
            deadline=TODAY,
            found_at=datetime(2026, 3, 9, 23, 10),
            inspector=INSPECTOR.username,
            description=CASE,
            immediate_measure=MEASURE,
            requirement=REQUIREMENT,
            checklist_id="quarantine_transfer",
            item_id="QT-04",
        )
        insert_finding(cursor, case)
        photo = prepare_photo(jpeg(), "scene.jpg")
        save_photo(cursor, photo, NOW)
        attach_photo(cursor, case.id, photo.sha256, stage="found", added_by=INSPECTOR.username, now=NOW)
        audit_log.append(cursor, actor="test", action="test.seeded", entity="database", rows_where=every_row())
    numbers["2026-0009"] = case.id
    return numbers


def draft(db, actor=SUPERVISOR, **changes):
    options = dict(kind=BulletinKind.DAILY, **MARCH, today=TODAY) | changes
    return service.draft_bulletin(db, actor, **options)


def save(db, bulletin, cases=(), **texts):
    values = dict(summary=bulletin.summary, requirements=bulletin.requirements, signature=bulletin.signature) | texts
    return service.save_draft(db, SUPERVISOR, bulletin, case_ids=list(cases), now=NOW, **values)


def issue(db, bulletin):
    return service.issue_bulletin(db, SUPERVISOR, bulletin.id, bulletin.version, now=NOW)


def docx_text(data: bytes) -> str:
    document = Document(io.BytesIO(data))
    cells = [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    return "\n".join([p.text for p in document.paragraphs] + cells)


def pdf_text(data: bytes, tmp_path) -> str:
    path = tmp_path / "bulletin.pdf"
    path.write_bytes(data)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


def test_the_figures_are_the_ledgers_counts_for_the_period(db, ledger):
    bulletin = draft(db)
    figures = bulletin.figures
    # Counted by hand from the seed: nine findings, one closed, three past their deadline on 10 March.
    assert (figures.findings, figures.closed, figures.overdue) == (9, 1, 3)
    assert figures.by_severity == {"critical": 3, "major": 3, "minor": 3}
    assert {entry.unit: entry.count for entry in figures.by_subdistrict} == {"崇川开发区": 4, "虹桥街道": 5}
    assert {entry.unit: entry.count for entry in bulletin.overdue_units} == {GUOSHENG: 2, GUANGMING: 1}
    text = docx_text(service.bulletin_file(db, SUPERVISOR, issue(db, save(db, bulletin)), "docx"))
    assert "发现问题9个，其中严重问题3个、较重问题3个、一般问题3个；截至目前已整改销号1个，逾期未整改3个" in text
    assert f"{GUOSHENG}：逾期未整改问题2个" in text and f"{GUANGMING}：逾期未整改问题1个" in text
    assert "关于崇川区疫情防控督查情况的通报" in text


def test_a_subdistrict_scope_counts_only_its_sites(db, ledger):
    bulletin = draft(db, subdistrict="虹桥街道")
    assert bulletin.figures.findings == 5
    assert bulletin.figures.by_severity == {"critical": 2, "major": 1, "minor": 2}
    with pytest.raises(InvalidInput) as refused:
        draft(db, subdistrict="没有这个街道")
    assert refused.value.field == "subdistrict"


def test_problems_are_grouped_by_checklist_section(db, ledger):
    problems = draft(db).problems
    assert ("规范转运", "转运中", 1) in [(p.checklist, p.section, p.count) for p in problems]
    assert sum(p.count for p in problems) == 9


def test_the_source_articles_case_reads_naturally(db, ledger, tmp_path):
    bulletin = save(db, draft(db), cases=[ledger["2026-0009"]])
    issued = issue(db, bulletin)
    expected = f"{CASE}。现场已采取措施：{MEASURE}。整改要求：{REQUIREMENT}。责任单位：{GUANGMING}。"
    document = Document(io.BytesIO(service.bulletin_file(db, SUPERVISOR, issued, "docx")))
    paragraphs = [p.text for p in document.paragraphs]
    assert f"（一）{HOTEL}" in paragraphs
    assert expected in paragraphs
    assert len(document.inline_shapes) == 3  # two charts and the case's photo
    text = re.sub(r"\s+", "", pdf_text(service.bulletin_file(db, SUPERVISOR, issued, "pdf"), tmp_path))
    assert re.sub(r"\s+", "", expected) in text


def test_issuing_takes_the_next_number_of_the_year_and_kind(db, ledger):
    first, second = issue(db, save(db, draft(db))), issue(db, save(db, draft(db)))
    weekly = issue(db, save(db, draft(db, kind=BulletinKind.WEEKLY)))
    assert [(b.kind, b.number) for b in (first, second, weekly)] == [
        (BulletinKind.DAILY, 1),
        (BulletinKind.DAILY, 2),
        (BulletinKind.WEEKLY, 1),
    ]
    assert service.label(second) == "2026年督查通报（日报）第2期"


def test_an_issued_bulletin_is_frozen_and_its_hash_verifies(db, ledger):
    issued = issue(db, save(db, draft(db)))
    assert issued.status is BulletinStatus.ISSUED and service.verify_bulletin(db, issued.id)
    with pytest.raises(IllegalTransition):
        save(db, issued, summary="改过的内容")
    with pytest.raises(IllegalTransition):
        issue(db, issued)
    assert service.open_bulletin(db, SUPERVISOR, issued.id).summary == issued.summary
    with db.write() as cursor:  # someone with the file edits the stored text
        cursor.execute(
            'UPDATE bulletins SET content = json_merge_patch(content, \'{"summary": "x"}\') WHERE id = ?', [issued.id]
        )
    assert not service.verify_bulletin(db, issued.id)


def test_a_stale_draft_is_not_saved_over(db, ledger):
    first = save(db, draft(db))
    save(db, first, summary="先保存的版本")
    with pytest.raises(Conflict, match="wangfang"):
        save(db, first, summary="后保存的版本")


def test_a_correction_names_the_bulletin_it_corrects(db, ledger):
    issued = issue(db, save(db, draft(db)))
    correction = service.start_correction(db, SUPERVISOR, issued.id, today=TODAY)
    fixed = issue(db, save(db, correction, summary=issued.summary + "（更正）"))
    assert fixed.corrects == issued.id and fixed.number == 2
    assert "本期更正2026年督查通报（日报）第1期，原通报作废。" in docx_text(
        service.bulletin_file(db, SUPERVISOR, fixed, "docx")
    )


def test_an_empty_period_gives_a_bulletin_that_says_so(db, ledger):
    bulletin = draft(db, period_from=date(2026, 2, 1), period_to=date(2026, 2, 7))
    assert bulletin.figures.findings == 0
    text = docx_text(service.bulletin_file(db, SUPERVISOR, save(db, bulletin), "docx"))
    assert "2026年2月1日至2026年2月7日，本范围内未开展督查，也未发现问题。" in text
    assert "本期未发现问题。" in text and "本期未选取典型问题。" in text


def test_bad_input_is_refused_naming_the_field(db, ledger):
    with pytest.raises(InvalidInput) as refused:
        draft(db, period_from=date(2026, 3, 9), period_to=date(2026, 3, 1))
    assert refused.value.field == "period_to"
    bulletin = draft(db)
    with pytest.raises(InvalidInput, match="at most 20") as refused:
        save(db, bulletin, cases=[new_id() for _ in range(21)])
    assert refused.value.field == "cases"
    outside = draft(db, period_from=date(2026, 3, 1), period_to=date(2026, 3, 2))
    with pytest.raises(InvalidInput) as refused:
        save(db, outside, cases=[ledger["2026-0009"]])
    assert refused.value.field == "cases"
    with pytest.raises(InvalidInput) as refused:
        save(db, bulletin, requirements="要" * 6000)
    assert refused.value.field == "requirements"
    with pytest.raises(InvalidInput):
        draft(db, kind="monthly")


def test_a_missing_photo_leaves_a_note_in_its_place(db, ledger):
    issued = issue(db, save(db, draft(db), cases=[ledger["2026-0009"]]))
    with db.write() as cursor:
        cursor.execute("DELETE FROM photos")
    text = docx_text(service.bulletin_file(db, SUPERVISOR, issued, "docx"))
    assert "（该问题的照片已不在库中）" in text


HOSTILE = "=1+1 **粗体** [链接](http://evil.example) <b>x</b>\x07 @SUM(A1)"


def test_typed_text_appears_as_typed_in_docx_and_pdf(db, ledger, tmp_path):
    bulletin = save(db, draft(db), requirements=HOSTILE, signature="＝督查组")
    docx = docx_text(service.bulletin_file(db, SUPERVISOR, bulletin, "docx"))
    assert HOSTILE.replace("\x07", "\u2407") in docx and "＝督查组" in docx
    pdf = pdf_text(service.bulletin_file(db, SUPERVISOR, bulletin, "pdf"), tmp_path)
    assert "=1+1 **粗体** [链接](http://evil.example) <b>x</b>" in pdf


def test_the_pdf_embeds_its_fonts(db, ledger, tmp_path):
    path = tmp_path / "bulletin.pdf"
    path.write_bytes(
        service.bulletin_file(db, SUPERVISOR, issue(db, save(db, draft(db), cases=[ledger["2026-0009"]])), "pdf")
    )
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout.splitlines()[2:]
    assert fonts and all(" yes " in line.split(None, 2)[-1] for line in fonts)


def test_who_sees_which_bulletin(db, ledger):
    named = issue(db, save(db, draft(db, subdistrict="虹桥街道"), cases=[ledger["2026-0009"]]))
    unnamed = issue(db, save(db, draft(db, period_from=date(2026, 2, 1), period_to=date(2026, 2, 2))))
    draft_only = save(db, draft(db))
    assert {b.id for b in service.bulletins(db, SUPERVISOR)} == {named.id, unnamed.id, draft_only.id}
    assert {b.id for b in service.bulletins(db, ADMIN)} == {named.id, unnamed.id, draft_only.id}
    assert [b.id for b in service.bulletins(db, UNIT_GUANGMING)] == [named.id]
    assert service.bulletins(db, UNIT_GUOSHENG) == []
    with pytest.raises(NotFound):
        service.open_bulletin(db, UNIT_GUOSHENG, named.id)
    with pytest.raises(NotFound):
        service.open_bulletin(db, UNIT_GUANGMING, draft_only.id)
    with pytest.raises(PermissionDenied):
        service.bulletins(db, INSPECTOR)
    with pytest.raises(PermissionDenied):
        draft(db, actor=ADMIN)
    with pytest.raises(PermissionDenied):
        draft(db, actor=UNIT_GUANGMING)


def test_issuing_is_in_the_audit_log_with_the_hash(db, ledger):
    from audit.store import audit_log

    issued = issue(db, save(db, draft(db)))
    with db.read() as cursor:
        entries = audit_log.history(cursor, "bulletin", issued.id)
        assert audit_log.verify(cursor).ok
    assert [entry["action"] for entry in entries][-1] == "bulletin.issued"
    assert issued.content_hash in str(entries[-1])


def test_the_command_line_writes_a_draft(db_path, tmp_path):
    from click.testing import CliRunner

    from audit.cli import cli
    from audit.store import open_database

    database = open_database(db_path)
    seed_ledger(database)
    database.close()
    runner = CliRunner()
    out = tmp_path / "morning.docx"
    result = runner.invoke(
        cli,
        [
            "bulletin",
            "--from",
            "2026-03-01",
            "--to",
            "2026-03-08",
            "--subdistrict",
            "虹桥街道",
            "--out",
            str(out),
            "--db",
            str(db_path),
        ],
    )
    assert result.exit_code == 0, result.output
    text = docx_text(out.read_bytes())
    assert "第　期（草稿，未印发）" in text and "发现问题4个" in text
    for arguments, words in (
        (["--from", "2026-03-41", "--to", "2026-03-08"], "--from is not understood"),
        (["--from", "2026-03-08", "--to", "2026-03-01"], "before its start date"),
        (["--from", "2026-03-01", "--to", "2026-03-08", "--subdistrict", "无此街道"], "no subdistrict named"),
    ):
        result = runner.invoke(cli, ["bulletin", *arguments, "--out", str(tmp_path / "x.pdf"), "--db", str(db_path)])
        assert result.exit_code == 1 and words in result.output and "Traceback" not in result.output
    result = runner.invoke(
        cli,
        [
            "bulletin",
            "--from",
            "2026-03-01",
            "--to",
            "2026-03-08",
            "--out",
            str(tmp_path / "x.txt"),
            "--db",
            str(db_path),
        ],
    )
    assert result.exit_code == 1 and ".docx or .pdf" in result.output


def test_with_a_plan_the_summary_counts_sites_covered_against_sites_due(db, ledger):
    from audit.services import plans

    plans.add_plan(
        db,
        SUPERVISOR,
        name="隔离点每日督查",
        checklist_ids=["isolation_point"],
        site_kind="isolation_point",
        subdistrict="虹桥街道",
        team=[INSPECTOR.username],
        every="daily",
        start=date(2026, 3, 1),
        end=date(2026, 3, 31),
        now=NOW,
    )
    bulletin = draft(db, subdistrict="虹桥街道")
    assert bulletin.figures.sites_due == 1  # the one isolation point of 虹桥街道 in the fixture
    assert "覆盖点位0个（应督查点位1个）" in bulletin.summary
