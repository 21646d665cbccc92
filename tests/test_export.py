"""Exports read back the way a user meets them: Excel via openpyxl, CSV via csv, PDF via poppler."""

from __future__ import annotations

import csv
import io
import re
import subprocess
import zipfile
from datetime import date, datetime, timedelta

import duckdb
import openpyxl
import pyarrow as pa
import pytest
import xlsxwriter
from xlsxwriter.utility import _datetime_to_excel_datetime

from audit import settings
from audit.errors import InvalidInput, PermissionDenied
from audit.exports import cjk_font
from audit.exports.columns import FIELDS, LEDGER_COLUMNS, headings
from audit.exports.xlsx_export import LedgerSheet, excel_serials, plain_rows
from audit.model import ExportStage, FindingFilter, Status
from audit.services import ledger as ledger_service
from audit.services.ledger import SORT_KEYS, export_ledger, export_progress
from audit.store import ledger as ledger_store
from audit.store.db import BULK_READ_MEMORY, memory_bytes
from tests.factories import GUANGMING, GUOSHENG, INSPECTOR, SUPERVISOR, UNIT, make_finding, seed_ledger
from tests.factories import LEDGER_TODAY as TODAY
from tests.factories import ledger_numbers as page

ALL = ["2026-000" + str(n) for n in range(1, 9)]


@pytest.fixture
def ledger_db(db):
    seed_ledger(db)
    return db


def export(db, fmt, tmp_path, flt=FindingFilter(), actor=SUPERVISOR, language="zh-CN", **options):
    path = tmp_path / f"ledger.{fmt}"
    export_ledger(db, actor, flt, fmt, str(path), language=language, today=TODAY, **options)
    return path


def xlsx_rows(path) -> list[list]:
    sheet = openpyxl.load_workbook(path).active
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def csv_rows(path) -> list[list[str]]:
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf"), "Excel needs the UTF-8 byte-order mark to read Chinese"
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))


def test_xlsx_looks_like_the_office_sheet(ledger_db, tmp_path):
    path = export(ledger_db, "xlsx", tmp_path)
    sheet = openpyxl.load_workbook(path).active
    assert sheet.title == "整改台账"
    assert [cell.value for cell in sheet[1]] == headings("zh-CN")
    assert sheet[1][0].value == "编号" and sheet[1][12].value == "整改时限" and sheet[1][15].value == "销号日期"
    assert all(cell.font.bold for cell in sheet[1])
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == "A1:R9"
    widths = {column.field: sheet.column_dimensions[chr(65 + i)].width for i, column in enumerate(LEDGER_COLUMNS)}
    assert widths["description"] > 30 and widths["number"] < 15
    description = FIELDS.index("description")
    assert sheet.cell(2, description + 1).alignment.wrap_text
    assert [row[0].value for row in sheet.iter_rows(min_row=2)] == ALL


def test_xlsx_dates_are_real_dates_and_chinese_is_intact(ledger_db, tmp_path):
    sheet = openpyxl.load_workbook(export(ledger_db, "xlsx", tmp_path)).active
    first = {field: cell for field, cell in zip(FIELDS, sheet[2])}
    assert first["found_at"].is_date and first["found_at"].value == datetime(2026, 3, 1, 9, 30)
    assert first["found_at"].number_format == "yyyy-mm-dd hh:mm"
    assert first["deadline"].is_date and first["deadline"].value == datetime(2026, 2, 26)
    assert (first["site"].value, first["severity"].value, first["status"].value) == ("国胜集中隔离点", "严重", "待整改")
    assert first["inspector"].value == "陈明"  # the account's display name, not its username
    closed = {field: cell for field, cell in zip(FIELDS, sheet[7])}
    assert closed["closed_on"].value == datetime(2026, 3, 9) and closed["verifier"].value == "王芳"


def test_xlsx_and_csv_hold_the_same_rows(ledger_db, tmp_path):
    from_xlsx = xlsx_rows(export(ledger_db, "xlsx", tmp_path))
    from_csv = csv_rows(export(ledger_db, "csv", tmp_path))

    def text(value):
        if isinstance(value, datetime):
            return f"{value:%Y-%m-%d %H:%M}" if value.hour or value.minute else f"{value:%Y-%m-%d}"
        return "" if value is None else str(value)

    assert from_csv == [[text(value) for value in row] for row in from_xlsx]


def test_english_headings_and_words(ledger_db, tmp_path):
    rows = csv_rows(export(ledger_db, "csv", tmp_path, language="en"))
    assert rows[0][:3] == ["No.", "Finding ID", "Found"]
    assert rows[0][FIELDS.index("requirement")] == "Rectification requirement"
    assert rows[1][FIELDS.index("site")] == "Guosheng isolation point"
    assert rows[1][FIELDS.index("status")] == "Open"


def test_exports_hold_exactly_what_the_filters_show(ledger_db, tmp_path):
    flt = FindingFilter(statuses=(Status.OPEN,), unit=GUANGMING)
    rows = csv_rows(export(ledger_db, "csv", tmp_path, flt=flt, sort="deadline", descending=True))
    assert [row[0] for row in rows[1:]] == ["2026-0005", "2026-0008", "2026-0007"]


@pytest.mark.parametrize("sort", SORT_KEYS)
@pytest.mark.parametrize("descending", [False, True])
def test_exports_keep_the_order_the_ledger_shows(ledger_db, tmp_path, sort, descending):
    shown = page(ledger_db, sort=sort, descending=descending)
    assert [
        row[0] for row in csv_rows(export(ledger_db, "csv", tmp_path, sort=sort, descending=descending))[1:]
    ] == shown
    assert [
        row[0] for row in xlsx_rows(export(ledger_db, "xlsx", tmp_path, sort=sort, descending=descending))[1:]
    ] == shown


@pytest.mark.parametrize("sort,descending", [("number", False), ("overdue", True), ("site", False)])
def test_a_small_export_holds_what_the_one_pass_query_gives(ledger_db, tmp_path, monkeypatch, sort, descending):
    small = xlsx_rows(export(ledger_db, "xlsx", tmp_path, sort=sort, descending=descending))
    monkeypatch.setattr(ledger_store, "SMALL_EXPORT", 3)  # of the 8 findings: read in one pass
    (tmp_path / "ledger.xlsx").unlink()
    assert xlsx_rows(export(ledger_db, "xlsx", tmp_path, sort=sort, descending=descending)) == small
    assert [row[0] for row in small[1:]] == page(ledger_db, sort=sort, descending=descending)


def test_a_small_export_words_each_item_as_the_checklist_version_of_its_inspection(db, tmp_path, monkeypatch):
    from audit.checklists import load_checklists
    from audit.demo import generate
    from audit.services.checklists import checklists_directory
    from tests.factories import store_accounts

    generate(db, load_checklists(checklists_directory()).checklists, findings=60, seed=7, now=datetime(2026, 3, 20))
    store_accounts(db, SUPERVISOR)
    with db.write() as cursor:  # a newer version of every checklist, worded otherwise
        cursor.execute(
            "INSERT INTO checklists SELECT * REPLACE (version + 1 AS version, content_hash || '+' AS content_hash, "
            "title_zh || '（新版）' AS title_zh) FROM checklists"
        )
    small = xlsx_rows(export(db, "xlsx", tmp_path))
    monkeypatch.setattr(ledger_store, "SMALL_EXPORT", 0)  # the one pass, joining every inspection
    (tmp_path / "ledger.xlsx").unlink()
    assert xlsx_rows(export(db, "xlsx", tmp_path)) == small
    with db.read() as cursor:
        ids = {
            row[0]
            for row in cursor.execute("SELECT checklist_id FROM findings UNION SELECT item_id FROM findings").fetchall()
        }
    words = [(row[FIELDS.index("checklist")], row[FIELDS.index("item")]) for row in small[1:]]
    assert len(words) == 60 and not ids & {word for pair in words for word in pair}  # titles, not ids
    assert not any("新版" in checklist for checklist, _ in words)  # the version the inspection used


def test_more_findings_than_a_sheet_holds_are_refused_before_any_is_written(ledger_db, tmp_path, monkeypatch):
    monkeypatch.setattr(ledger_service, "XLSX_ROWS", 7)
    with pytest.raises(InvalidInput) as refused:
        export(ledger_db, "xlsx", tmp_path)
    assert refused.value.field == "format" and not (tmp_path / "ledger.xlsx").exists()
    assert len(csv_rows(export(ledger_db, "csv", tmp_path))) == 9


def threads(db) -> int:
    with db.read() as cursor:
        return cursor.execute("SELECT current_setting('threads')").fetchone()[0]


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "pdf"])
def test_an_export_reads_on_one_thread_and_gives_the_others_back(ledger_db, tmp_path, fmt):
    with ledger_db.write() as cursor:
        cursor.execute("SET threads = 2")
    during = []
    export(ledger_db, fmt, tmp_path, progress=lambda done, total, stage: during.append(threads(ledger_db)))
    assert during and set(during) == {1}
    assert threads(ledger_db) == 2


def memory_limit(db) -> str:
    with db.read() as cursor:
        return cursor.execute("SELECT current_setting('memory_limit')").fetchone()[0]


def held_bytes(db) -> int:
    with db.read() as cursor:
        return cursor.execute("SELECT sum(memory_usage_bytes) FROM duckdb_memory()").fetchone()[0]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_an_export_sorts_within_the_bulk_read_memory_and_gives_the_rest_back(ledger_db, tmp_path, fmt):
    """A million-row export's sort spills to disk instead of taking a gigabyte; the cap ends with it."""
    before = memory_limit(ledger_db)
    with duckdb.connect() as other:  # the limit set back as it was shown
        other.execute(f"SET memory_limit = '{before}'")
        restored = other.execute("SELECT current_setting('memory_limit')").fetchone()[0]
    during = []
    export(ledger_db, fmt, tmp_path, progress=lambda done, total, stage: during.append(memory_limit(ledger_db)))
    assert during and all(memory_bytes(limit) < memory_bytes(before) / 4 for limit in during)
    assert memory_limit(ledger_db) == restored
    export(ledger_db, fmt, tmp_path)
    assert memory_limit(ledger_db) == restored  # the same after each export, not creeping down


def test_an_export_gets_its_memory_on_top_of_what_the_database_already_holds(ledger_db, tmp_path):
    """A server that has been answering pages holds index nodes and blocks that count against the limit:
    capped at the bare bulk-read memory, a unit's export of a province's ledger ran out of memory."""
    with ledger_db.write() as cursor:
        cursor.execute("CREATE TABLE held AS SELECT repeat('x', 100) || i AS s FROM range(2000000) t(i)")
        cursor.execute("CREATE INDEX held_s ON held (s)")  # an index's nodes stay in memory
    held = held_bytes(ledger_db)
    assert held > 50 * 2**20
    during = []
    rows = export(
        ledger_db, "xlsx", tmp_path, progress=lambda done, total, stage: during.append(memory_limit(ledger_db))
    )
    assert rows
    assert during and all(memory_bytes(limit) >= 0.99 * (held + memory_bytes(BULK_READ_MEMORY)) for limit in during)


def test_after_an_export_the_memory_is_there_again(ledger_db, tmp_path):
    """DuckDB's RESET shows the default limit but leaves the buffer pool at the cap: a list of about
    600 MB, which cannot spill to disk, fails after an export that ended that way."""
    export(ledger_db, "csv", tmp_path)
    with ledger_db.read() as cursor:
        held = cursor.execute("SELECT len(list(repeat('x', 200) || i)) FROM range(3000000) t(i)").fetchone()[0]
    assert held == 3_000_000


def test_overlapping_one_thread_blocks_give_the_threads_back_when_the_last_ends(ledger_db):
    with ledger_db.write() as cursor:
        cursor.execute("SET threads = 2")
    first, second = ledger_db.one_thread(), ledger_db.one_thread()
    first.__enter__()
    second.__enter__()
    first.__exit__(None, None, None)
    assert threads(ledger_db) == 1
    second.__exit__(None, None, None)
    assert threads(ledger_db) == 2


def test_a_failed_export_gives_the_threads_back(ledger_db, tmp_path):
    with ledger_db.write() as cursor:
        cursor.execute("SET threads = 2")
    with pytest.raises(InvalidInput):
        export(ledger_db, "pdf", tmp_path, flt=FindingFilter(statuses=(Status.CLOSED,)))
    assert threads(ledger_db) == 2


def test_a_unit_account_exports_only_its_own_findings(ledger_db, tmp_path):
    rows = xlsx_rows(export(ledger_db, "xlsx", tmp_path, flt=FindingFilter(unit=GUANGMING), actor=UNIT))
    assert {row[FIELDS.index("responsible_unit")] for row in rows[1:]} == {GUOSHENG}


def test_inspectors_may_not_export(ledger_db, tmp_path):
    with pytest.raises(PermissionDenied):
        export(ledger_db, "csv", tmp_path, actor=INSPECTOR)


def complete(path, fmt) -> bool:
    """Whether the file on disk is the whole export: a workbook or notices that open, a CSV with every row."""
    if not path.exists():
        return False
    if fmt == "xlsx":
        return zipfile.is_zipfile(path) and len(xlsx_rows(path)) == 9
    if fmt == "csv":
        return len(list(csv.reader(io.StringIO(path.read_bytes().decode("utf-8-sig"), newline="")))) == 9
    return path.read_bytes().rstrip().endswith(b"%%EOF")


@pytest.mark.parametrize("fmt", ["xlsx", "csv", "pdf"])
def test_the_progress_bar_is_full_only_once_the_file_is_complete(ledger_db, tmp_path, fmt):
    path, seen = tmp_path / f"ledger.{fmt}", []

    def progress(done, total, stage):
        seen.append((stage, *export_progress(done, total, stage, "en"), complete(path, fmt)))

    export(ledger_db, fmt, tmp_path, progress=progress)
    *before, last = seen
    assert last[0] is ExportStage.DONE and last[1] == 1.0 and last[3], last
    assert before and all(bar < 1.0 and stage is not ExportStage.DONE for stage, bar, _, _ in before), before
    assert [stage for stage, *_ in before] == sorted((stage for stage, *_ in before), key=list(ExportStage).index)
    if fmt != "csv":  # the rows are in; the zip's close or the PDF's layout is still to come, and says so
        stage, bar, words, done = before[-1]
        assert stage is ExportStage.FINISHING and not done and words.startswith("Finishing the file")


def test_each_stage_of_an_export_has_its_own_words_in_both_languages():
    for language in ("zh-CN", "en"):
        words = [export_progress(8, 8, stage, language)[1] for stage in ExportStage]
        assert len(set(words)) == len(words) and all("8" in text for text in words), words
    assert export_progress(8, 8, ExportStage.WRITING, "en")[0] < 1.0  # all rows written: the file is not yet


def test_an_empty_export_still_has_its_headings(ledger_db, tmp_path):
    flt = FindingFilter(search="no such finding")
    assert csv_rows(export(ledger_db, "csv", tmp_path, flt=flt)) == [headings("zh-CN")]
    assert xlsx_rows(export(ledger_db, "xlsx", tmp_path, flt=flt)) == [headings("zh-CN")]


# --- formula injection ----------------------------------------------------------------

RISKY = [
    '=HYPERLINK("http://evil.example","点我")',
    "+1+2",
    "-2+3",
    "@SUM(A1:A9)",
    "\t=1+1",
    "\r=1+1",
    "\n=1+1",
    "=cmd|' /C calc'!A0",
    "  leading spaces",
    "a & b < c > d",
    "_x0041_ literal",
]


@pytest.fixture
def risky_db(db):
    from audit.store.findings import insert_finding
    from tests.factories import store_accounts

    store_accounts(db, SUPERVISOR)
    with db.write() as cursor:
        for number, text in enumerate(RISKY, 1):
            insert_finding(
                cursor, make_finding(f"2026-{number:04d}", description=text, responsible_person=text, requirement=text)
            )
    return db


def as_excel_reads(value: str) -> str:
    """Excel decodes _xHHHH_ escapes in cell text (control characters, a literal _x...); openpyxl does not."""
    return re.sub(r"_x([0-9A-Fa-f]{4})_", lambda match: chr(int(match.group(1), 16)), value)


def test_no_xlsx_cell_becomes_a_formula(risky_db, tmp_path):
    sheet = openpyxl.load_workbook(export(risky_db, "xlsx", tmp_path)).active
    for row, text in enumerate(RISKY, 2):
        for field in ("description", "responsible_person", "requirement"):
            cell = sheet.cell(row, FIELDS.index(field) + 1)
            assert cell.data_type == "s", (text, cell.data_type)
            assert as_excel_reads(cell.value) == text
    with zipfile.ZipFile(tmp_path / "ledger.xlsx") as archive:
        assert "<f>" not in archive.read("xl/worksheets/sheet1.xml").decode()


def test_csv_cells_that_look_like_formulas_are_quoted_inert(risky_db, tmp_path):
    rows = csv_rows(export(risky_db, "csv", tmp_path))
    for row, text in zip(rows[1:], RISKY):
        expected = "'" + text if text[0] in "=+-@\t\r\n" else text
        assert row[FIELDS.index("description")] == expected
        assert row[FIELDS.index("responsible_person")] == expected
        assert not row[FIELDS.index("description")].startswith(("=", "+", "-", "@", "\t", "\r", "\n"))


def _sheet_xml(path) -> str:
    with zipfile.ZipFile(path) as archive:
        return archive.read("xl/worksheets/sheet1.xml").decode()


def test_the_fast_row_writer_writes_what_xlsxwriter_itself_writes(tmp_path):
    rows = [
        ["2026-0001", "国胜集中隔离点", '单层普通口罩 "隔离单"', date(2026, 3, 3), datetime(2026, 3, 1, 23, 5)],
        ["2026-0002", None, "a & b <c> 不符合“>= 1 次/天”", date(2026, 3, 4), datetime(2026, 3, 2, 8, 0)],
        ["2026-0003", "", " leading", None, datetime(2026, 3, 2, 8, 0)],
        ["2026-0004", "=1+1", "_x0041_", date(2026, 3, 5), None],
        ["2026-0005", "x" * 9000, "控制\x07字符", date(2026, 3, 6), datetime(2026, 3, 3, 0, 0)],
        ["2026-0006", "光明社区", None, None, datetime(2026, 3, 4, 9, 17)],
    ]

    def write(path, fast: bool) -> str:
        book = xlsxwriter.Workbook(str(path), {"constant_memory": True})
        sheet = book.add_worksheet("s", worksheet_class=LedgerSheet if fast else None)
        text, day = book.add_format({"text_wrap": True}), book.add_format({"num_format": "yyyy-mm-dd"})
        styles = [text, text, text, day, day]
        sheet.write_string(0, 0, "编号", text)
        if fast:  # in two batches, the second starting with a plain row
            batch = pa.RecordBatch.from_arrays(
                [pa.array(column) for column in zip(*rows)], names=[str(i) for i in range(5)]
            )
            assert plain_rows(batch) == [True, True, False, False, False, True]
            assert sheet.write_ledger_batch(1, batch.slice(0, 3), styles) == 3
            assert sheet.write_ledger_batch(4, batch.slice(3), styles) == 3
            book.close()
            return _sheet_xml(path)
        for number, row in enumerate(rows, 1):
            for col, value in enumerate(row):
                if value in (None, ""):
                    continue
                if isinstance(value, date):
                    sheet.write_datetime(number, col, value, styles[col])
                else:
                    sheet.write_string(number, col, value, styles[col])
        book.close()
        return _sheet_xml(path)

    fast, stock = write(tmp_path / "fast.xlsx", True), write(tmp_path / "stock.xlsx", False)
    assert _as_read(fast) == _as_read(stock)


def _as_read(xml: str) -> str:
    """The sheet XML with each number as a spreadsheet reads it (a double, here to the microsecond of a day):
    the fast writer gives the shortest text of XlsxWriter's very double, XlsxWriter rounds it to 16 digits."""
    return re.sub(r"<v>([^<]*)</v>", lambda number: f"<v>{float(number.group(1)):.11f}</v>", xml)


def test_day_numbers_are_the_doubles_xlsxwriter_works_out():
    times = [datetime(2026, 3, 1, 23, 5) + timedelta(minutes=7 * step, microseconds=step) for step in range(20_000)]
    days = [moment.date() for moment in times[::50]] + [date(1900, 2, 28), date(1900, 3, 1), date(1969, 12, 31)]
    for values, kind in ((times, pa.timestamp("us")), (days, pa.date32())):
        serials = excel_serials(pa.array(values, kind)).to_pylist()
        assert [float(text) for text in serials] == [_datetime_to_excel_datetime(v, False, False) for v in values]


# What XlsxWriter writes other than as it is (beyond escaping &, < and >): control characters,
# a literal _xHHHH_, whitespace at either end (xml:space), text past the fast writer's limit.
_PLAIN = re.compile(r"\A(?!\s)[^\x00-\x1f\ufffe\uffff]{1,8000}(?<!\s)\Z")


def _needs_escaping(text: str) -> bool:
    return not _PLAIN.match(text) or re.search(r"_x[0-9a-fA-F]{4}_", text) is not None


def test_the_batch_check_flags_every_text_the_cell_check_would_escape():
    characters = [chr(code) for code in range(0x30000) if not 0xD800 <= code <= 0xDFFF]
    texts = [text for c in characters for text in (c, "a" + c, c + "a", "a" + c + "a")]
    texts += ["x" * 8000, "x" * 8001, "_x0041_", "a_x00e9_b", "国胜 ", "\u3000国胜", "整改\u2028要求"]
    plain = plain_rows(pa.RecordBatch.from_arrays([pa.array(texts)], names=["text"]))
    missed = [text for text, ok in zip(texts, plain) if ok and _needs_escaping(text)]
    assert missed == []
    assert plain_rows(pa.RecordBatch.from_arrays([pa.array(["转运车辆未消毒", "A-1 (2)"])], names=["t"])) == [
        True,
        True,
    ]


# --- the printed notice -----------------------------------------------------------------


def pdf_text(path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True).stdout


def pdf_fonts(path) -> list[list[str]]:
    lines = subprocess.run(["pdffonts", str(path)], check=True, capture_output=True, text=True).stdout.splitlines()
    return [line.split() for line in lines[2:]]


def test_notices_one_per_unit_with_open_findings_only(ledger_db, tmp_path):
    path = export(ledger_db, "pdf", tmp_path)
    text = pdf_text(path)
    assert text.count("整改通知书") == 2
    assert f"{GUANGMING}：" in text and f"{GUOSHENG}：" in text
    for heading in ("序号", "编号", "检查点位", "问题描述", "整改要求", "整改时限", "督查组（盖章）", "责任单位签收人"):
        assert heading in text
    assert "2026-0001" in text and "2026-03-15" in text
    assert "2026-0006" not in text  # closed: not on a notice


def test_notice_fonts_are_embedded_never_cid_song(ledger_db, tmp_path):
    fonts = pdf_fonts(export(ledger_db, "pdf", tmp_path))
    assert fonts, "the notice has text, so it has fonts"
    for font in fonts:
        name, emb = font[0], font[-5]
        assert "STSong" not in name
        assert emb == "yes", f"{name} is not embedded"


def test_english_notice(ledger_db, tmp_path):
    text = pdf_text(export(ledger_db, "pdf", tmp_path, language="en"))
    assert text.count("Rectification notice") == 2 and "Received for the unit by" in text


def test_no_notice_without_open_findings(ledger_db, tmp_path):
    with pytest.raises(InvalidInput) as refused:
        export(ledger_db, "pdf", tmp_path, flt=FindingFilter(statuses=(Status.CLOSED,)))
    assert refused.value.key == "ledger.error.no_notice"


def test_a_font_setting_that_points_nowhere_says_so(ledger_db, tmp_path, monkeypatch):
    monkeypatch.setenv(cjk_font.SETTING, str(tmp_path / "missing.ttf"))
    settings.reload()
    with pytest.raises(cjk_font.FontMissing, match="missing.ttf, which is not a file"):
        export(ledger_db, "pdf", tmp_path)


def test_a_font_without_chinese_is_refused(ledger_db, tmp_path, monkeypatch):
    monkeypatch.setenv(cjk_font.SETTING, "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
    settings.reload()
    with pytest.raises(cjk_font.FontMissing, match="has no Chinese characters"):
        export(ledger_db, "pdf", tmp_path)


def test_no_font_at_all_says_what_to_install(ledger_db, tmp_path, monkeypatch):
    monkeypatch.delenv(cjk_font.SETTING, raising=False)
    settings.reload()
    monkeypatch.setattr(cjk_font, "KNOWN_FONTS", (str(tmp_path / "none.ttc"),))
    with pytest.raises(cjk_font.FontMissing, match="apt-get install fonts-noto-cjk"):
        export(ledger_db, "pdf", tmp_path)
