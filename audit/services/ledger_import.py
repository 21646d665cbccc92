"""Importing an office's existing Excel ledger (整改台账): all or nothing, every problem named by row.

Offices head their columns in many ways (序号 or 编号, 问题描述 or 存在问题, 整改时限 or
完成时限, ...), in Chinese or English, often under a title row; columns are found by
heading wherever the heading row is in the first rows of the sheet. Sites are matched to
the registry by code, then by exact name, and never changed by an import (an admin's
corrections stand; differences are reported per row); a site is created only when nothing
matches. Any problem in any row stops the whole import, so a half-imported ledger never
exists; a dry run goes through every step and then rolls back.
"""

from __future__ import annotations

import hashlib
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import openpyxl
from openpyxl.utils.datetime import from_excel
from openpyxl.utils.exceptions import InvalidFileException

from audit import i18n
from audit.errors import AuditError
from audit.exports.columns import FIELDS
from audit.model import Finding, Severity, Site, SiteKind, Status, new_id
from audit.services.database import unit_of_work
from audit.services.limits import LIMITS
from audit.store import audit_log
from audit.store import ledger as store
from audit.store.db import Database
from audit.store.findings import allocate_number, insert_finding, raise_sequence
from audit.store.sites import import_sites, list_sites

HEADER_SEARCH_ROWS = 10
MAX_SEQUENCE = 99_999
"""The highest NNNN a kept number YYYY-NNNN may have: it moves the year's counter past it."""
FIRST_YEAR = 2000
REQUIRED = ("site", "description", "responsible_unit", "deadline", "found_at")

# Headings seen in office ledgers, besides this app's own in both languages.
VARIANTS = {
    "number": ("编号", "序号", "问题编号", "no", "number", "#"),
    "finding_id": ("问题id", "findingid", "id"),
    "found_at": ("发现时间", "发现日期", "检查时间", "检查日期", "督查时间", "督查日期", "found", "datefound"),
    "site_code": ("点位编码", "点位代码", "场所编码", "sitecode"),
    "site": ("检查点位", "检查地点", "点位", "地点", "点位名称", "检查对象", "被检查单位", "site"),
    "site_unit": ("点位所属单位", "所属单位", "siteunit", "sitesunit"),
    "site_kind": ("点位类型", "场所类型", "类型", "sitekind", "kind"),
    "subdistrict": ("街道", "所属街道", "镇街", "subdistrict"),
    "community": ("社区", "所属社区", "community"),
    "checklist": ("检查表", "检查类别", "检查内容", "checklist"),
    "item": ("检查项目", "检查项", "checklistitem", "item"),
    "description": ("问题描述", "存在问题", "发现问题", "问题", "问题表现", "主要问题", "description", "problem"),
    "severity": ("问题等级", "严重程度", "问题级别", "severity"),
    "responsible_unit": ("责任单位", "整改责任单位", "责任主体", "responsibleunit"),
    "responsible_person": ("责任人", "整改责任人", "responsibleperson"),
    "requirement": ("整改要求", "整改措施", "rectificationrequirement", "requirement"),
    "deadline": ("整改时限", "完成时限", "整改期限", "整改完成时限", "deadline"),
    "status": ("整改状态", "状态", "整改进度", "是否整改", "status"),
    "fix_report": ("整改情况", "整改落实情况", "整改完成情况", "whatwasdone", "fixreport"),
    "closed_on": ("销号日期", "完成日期", "销号时间", "整改完成日期", "dateclosed", "closed"),
    "inspector": ("督查人员", "督查人", "检查人", "检查人员", "inspector"),
    "verifier": ("核验人", "验收人", "销号人", "verifier"),
}


def normalise(heading) -> str:
    """Heading as compared: no case, spaces, brackets' contents, punctuation or required-marks."""
    text = re.sub(r"[（(【\[].*?[）)】\]]", "", str(heading or ""))
    return re.sub(r"[\s_*:：.。'’\-/、]", "", text).lower()


def _aliases() -> dict[str, str]:
    names: dict[str, str] = {}
    for fieldname, variants in VARIANTS.items():
        own = [i18n.t(f"ledger.column.{fieldname}", lang) for lang in i18n.LANGUAGES] if fieldname in FIELDS else []
        for variant in (*own, *variants):
            names.setdefault(normalise(variant), fieldname)
    return names


class LedgerImportError(AuditError):
    """The sheet was refused as a whole; `problems` lists every row that needs fixing."""

    title_key = "error.title.ledger_import"

    def __init__(self, key: str, /, *, problems: list[str]):
        super().__init__(key, count=len(problems), problems="\n".join(problems))
        self.problems = problems


@dataclass
class ImportReport:
    findings: int
    sites_created: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    site_differences: list[str] = field(default_factory=list)
    """Rows whose site is registered with other details than the sheet's; the registry is kept."""
    dry_run: bool = False


# A workbook is a zip of XML parts, which openpyxl parses whole (the shared strings into one
# Python object each): a small file can declare far more than it holds. Its parts are
# weighed from the zip's directory, and the shared strings counted, before any is parsed,
# so an upload of 5 MB peaks under 300 MB (tests/security/test_parser_bombs.py).
MAX_UNCOMPRESSED = 100 * 1024 * 1024
MAX_OTHER_PART = 5 * 1024 * 1024
"""Any part but the sheets and the shared strings: styles, workbook, relationships."""
MAX_RATIO = 100
"""Text compresses 3 to 20 times; a part that shrank a hundredfold is filler."""
MAX_SHARED_STRINGS = 200_000
MAX_ROWS = 50_000
MAX_COLUMNS = 100
MAX_PROBLEMS = 200
"""Past this many, reading stops: the first ones are enough to fix before trying again."""


def _refuse_bomb(path: Path) -> None:
    """Refuses a workbook whose parts would take more to parse than any ledger needs."""
    try:
        with zipfile.ZipFile(path) as archive:
            parts = archive.infolist()
            problem = _weigh(parts)
            if problem is None and "xl/sharedStrings.xml" in archive.namelist():
                problem = _count_strings(archive)
    except (OSError, zipfile.BadZipFile):
        return  # openpyxl says what is wrong with the file itself
    if problem:
        raise LedgerImportError(
            "ledger.import.error.refused",
            problems=[
                f"{path.name}: {problem}; save the ledger again from Excel as a plain .xlsx workbook, "
                "or split it into smaller files"
            ],
        )


def _weigh(parts: list[zipfile.ZipInfo]) -> str | None:
    total = sum(part.file_size for part in parts)
    if total > MAX_UNCOMPRESSED:
        return f"it unpacks to {total // 1048576} MB, more than the {MAX_UNCOMPRESSED // 1048576} MB a ledger may"
    for part in parts:
        sheet_data = part.filename.startswith("xl/worksheets/") or part.filename == "xl/sharedStrings.xml"
        if not sheet_data and part.file_size > MAX_OTHER_PART:
            return f"its part {part.filename} unpacks to {part.file_size // 1048576} MB, far more than a ledger needs"
        if part.file_size > 1048576 and part.file_size > MAX_RATIO * max(part.compress_size, 1):
            return (
                f"its part {part.filename} is packed {part.file_size // max(part.compress_size, 1)} times "
                "smaller than it unpacks, which no real ledger is"
            )
    return None


def _count_strings(archive: zipfile.ZipFile) -> str | None:
    count, tail = 0, b""
    with archive.open("xl/sharedStrings.xml") as part:
        while chunk := part.read(1 << 20):
            text = tail + chunk
            count += text.count(b"<si>") + text.count(b"<si ")
            tail = text[-3:]
            if count > MAX_SHARED_STRINGS:
                return f"it holds more than {MAX_SHARED_STRINGS:,} different texts, more than a ledger may"
    return None


def _sheet_rows(path: Path) -> Iterator[tuple[int, tuple]]:
    _refuse_bomb(path)
    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (OSError, ValueError, KeyError, zipfile.BadZipFile, InvalidFileException) as error:
        raise LedgerImportError(
            "ledger.import.error.refused",
            problems=[f"{path.name}: cannot be read as an Excel workbook (.xlsx): {error}"],
        ) from error
    try:
        yield from enumerate(workbook.active.iter_rows(values_only=True, max_col=MAX_COLUMNS), 1)
    finally:
        workbook.close()


def _header(rows: Iterator[tuple[int, tuple]]) -> tuple[int, dict[str, tuple[int, str]]]:
    """Find the heading row; returns its number and field -> (column index, heading as written)."""
    aliases = _aliases()
    for number, row in rows:
        found: dict[str, tuple[int, str]] = {}
        for index, heading in enumerate(row):
            name = aliases.get(normalise(heading))
            if name and name not in found:
                found[name] = (index, str(heading).strip())
        if len(found) >= 3:
            return number, found
        if number >= HEADER_SEARCH_ROWS:
            break
    raise LedgerImportError(
        "ledger.import.error.refused",
        problems=[
            (
                "No heading row found in the first rows of the sheet: expected headings such as "
                "问题描述, 责任单位, 整改时限 (or Description of the problem, Responsible unit, Deadline)."
            )
        ],
    )


@dataclass(frozen=True)
class RowProblem:
    row: int
    heading: str | None
    reason: str

    def __str__(self) -> str:
        return f"row {self.row}: {self.heading}: {self.reason}" if self.heading else f"row {self.row}: {self.reason}"


@dataclass
class SheetFinding:
    """One row of the sheet, read and checked."""

    row: int
    number: str | None  # None: a plain row count (序号 1, 2, 3...), so the app gives the number
    finding_id: str | None
    found_at: datetime
    site: str
    site_code: str | None
    site_unit: str | None
    site_kind: SiteKind | None
    subdistrict: str | None
    community: str | None
    checklist: str | None
    item: str | None
    description: str
    severity: Severity
    responsible_unit: str
    responsible_person: str
    requirement: str
    deadline: date
    status: Status
    fix_report: str
    closed_at: datetime | None
    inspector: str
    verifier: str | None


def _words(kind: str, members, extra: dict[str, str]) -> dict[str, str]:
    words = {normalise(m.value): m.value for m in members}
    for member in members:
        for lang in i18n.LANGUAGES:
            words[normalise(i18n.t(f"ledger.{kind}.{member.value}", lang))] = member.value
    return words | {normalise(word): value for word, value in extra.items()}


STATUS_WORDS = _words(
    "status",
    Status,
    {
        "未整改": "open",
        "整改中": "open",
        "处理中": "open",
        "进行中": "open",
        "未完成": "open",
        "未销号": "open",
        "退回": "open",
        "已整改": "closed",
        "已完成": "closed",
        "完成": "closed",
        "销号": "closed",
        "已办结": "closed",
        "待验收": "awaiting_verification",
        "待复查": "awaiting_verification",
        "已上报": "awaiting_verification",
        "已重开": "reopened",
    },
)
SEVERITY_WORDS = _words(
    "severity", Severity, {"轻微": "minor", "较大": "major", "重大": "critical", "严重问题": "critical"}
)
KIND_WORDS = {normalise(k.value): k.value for k in SiteKind} | {
    normalise(w): k
    for w, k in {
        "隔离点": "isolation_point",
        "集中隔离点": "isolation_point",
        "发热门诊": "fever_clinic",
        "医院": "hospital",
        "社区卫生服务中心": "community_health_centre",
        "社区": "community",
        "小区": "community",
        "企业": "enterprise",
        "公司": "enterprise",
        "卡口": "checkpoint",
        "道口": "checkpoint",
    }.items()
}
_DATE = re.compile(
    r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
    r"(?:[\sT]+(\d{1,2})[:：](\d{2})(?:[:：](\d{2}))?)?$"
)
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


_ESCAPED = re.compile(r"_x([0-9A-Fa-f]{4})_")


FREE_TEXT = ("description", "requirement", "fix_report")
"""Kept exactly as the cell holds it, blanks and all; codes and names are trimmed."""


def _text(value, trim: bool = True) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, str):
        # A sheet stores control characters (and a literal _xHHHH_) as _xHHHH_; openpyxl leaves them so.
        value = _ESCAPED.sub(lambda match: chr(int(match[1], 16)), value)
    return str(value).strip() if trim else str(value)


def _moment(value) -> datetime | None:
    """A cell as a date and time; None when it cannot be one."""
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    if isinstance(value, (int, float)) and not isinstance(value, bool) and 1 <= value < 2958466:
        return from_excel(value)
    match = _DATE.match(_text(value))
    if not match:
        return None
    try:
        return datetime(*(int(part) for part in match.groups() if part is not None))
    except ValueError:
        return None


class _Row:
    """Reads the fields of one sheet row, collecting problems instead of stopping at the first."""

    def __init__(self, number: int, values: tuple, columns: dict[str, tuple[int, str]]):
        self.number, self.values, self.columns, self.problems = number, values, columns, []

    def raw(self, name: str):
        index = self.columns.get(name, (None,))[0]
        return self.values[index] if index is not None and index < len(self.values) else None

    def problem(self, name: str, reason: str) -> None:
        heading = self.columns[name][1] if name in self.columns else i18n.t(f"ledger.column.{name}", "zh-CN")
        self.problems.append(RowProblem(self.number, heading, reason))

    def text(self, name: str, required: bool = False) -> str:
        text = _text(self.raw(name), trim=name not in FREE_TEXT)
        if required and not text.strip():
            self.problem(name, "is empty; every finding needs it")
        return text

    def moment(self, name: str, required: bool = False) -> datetime | None:
        raw = self.raw(name)
        if _text(raw) == "":
            if required:
                self.problem(name, "is empty; every finding needs it")
            return None
        moment = _moment(raw)
        if moment is None:
            self.problem(name, f"'{_text(raw)}' is not a date")
        return moment

    def word(self, name: str, words: dict[str, str], known: str):
        text = self.text(name)
        if not text:
            return None
        value = words.get(normalise(text))
        if value is None:
            self.problem(name, f"'{text}' is not a known {name.replace('_', ' ')} (use one of: {known})")
        return value


def _known(kind: str, members) -> str:
    return ", ".join(
        f"{i18n.t(f'ledger.{kind}.{m.value}', 'zh-CN')}/{i18n.t(f'ledger.{kind}.{m.value}', 'en')}" for m in members
    )


def _check_dates(
    row: _Row, found_at: datetime | None, deadline: datetime | None, closed_at: datetime | None, today: date
) -> None:
    if found_at is None:
        return
    found = f"{found_at:%Y-%m-%d}"
    if found_at.date() > today:
        row.problem("found_at", f"'{found}' is in the future; give the day the problem was found")
    elif found_at.year < FIRST_YEAR:
        row.problem("found_at", f"'{found}' is before {FIRST_YEAR}; give the day the problem was found")
    if deadline is not None and deadline.date() < found_at.date():
        row.problem(
            "deadline",
            f"'{deadline:%Y-%m-%d}' is before the day the problem was found ({found}); "
            "give the deadline that was set, on or after that day",
        )
    if closed_at is not None and closed_at.date() < found_at.date():
        row.problem(
            "closed_on",
            f"'{closed_at:%Y-%m-%d}' is before the day the problem was found ({found}); "
            "give the day the finding was closed",
        )


def _check_number(row: _Row, written: str, today: date) -> None:
    """A kept number YYYY-NNNN moves that year's counter, so it must be one the app could have given."""
    match = re.fullmatch(r"(\d{4})-(\d+)", written)
    if len(written) > 30:
        row.problem(
            "number",
            f"'{written[:30]}...' is too long for a finding number; leave it empty and the app numbers the finding",
        )
    elif match and not (FIRST_YEAR <= int(match[1]) <= today.year and int(match[2]) <= MAX_SEQUENCE):
        row.problem(
            "number",
            f"'{written}' is not a number this ledger could have given (years {FIRST_YEAR} to "
            f"{today.year}, at most {MAX_SEQUENCE} a year); correct it, or leave it empty and the "
            "app numbers the finding",
        )


def _check_lengths(row: _Row, texts: dict[str, str]) -> None:
    for name, text in texts.items():
        if name in LIMITS and len(text) > LIMITS[name]:
            row.problem(name, f"has {len(text)} characters, more than the {LIMITS[name]} the form allows; shorten it")


def read_row(
    number: int, values: tuple, columns, today: date | None = None
) -> tuple[SheetFinding | None, list[RowProblem]]:
    today = today or date.today()
    row = _Row(number, values, columns)
    found_at, deadline = row.moment("found_at", True), row.moment("deadline", True)
    closed_at = row.moment("closed_on")
    status = row.word("status", STATUS_WORDS, _known("status", Status))
    if not row.text("status"):  # no status written: a date closed says it is closed
        status = "closed" if closed_at else "open"
    if status == "closed" and closed_at is None and not row.problems:
        row.problem("closed_on", "is empty, but the finding is closed (已销号); give the date it was closed")
    severity = row.word("severity", SEVERITY_WORDS, _known("severity", Severity)) or "minor"
    kind = row.word("site_kind", KIND_WORDS, ", ".join(k.value for k in SiteKind))
    written = row.text("number")
    _check_number(row, written, today)
    _check_dates(row, found_at, deadline, closed_at if status == "closed" else None, today)
    finding_id = row.text("finding_id").lower() or None
    if finding_id and not _UUID.match(finding_id):
        row.problem("finding_id", f"'{finding_id}' is not a finding id; leave it empty for findings new to the app")
    texts = {
        name: row.text(name, name in REQUIRED)
        for name in (
            "site",
            "site_code",
            "site_unit",
            "subdistrict",
            "community",
            "checklist",
            "item",
            "description",
            "responsible_unit",
            "responsible_person",
            "requirement",
            "fix_report",
            "inspector",
            "verifier",
        )
    }
    _check_lengths(row, texts)
    if row.problems:
        return None, row.problems
    return SheetFinding(
        number,
        None if written.isdigit() or not written else written,
        finding_id,
        found_at,
        texts["site"],
        texts["site_code"] or None,
        texts["site_unit"] or None,
        SiteKind(kind) if kind else None,
        texts["subdistrict"] or None,
        texts["community"] or None,
        texts["checklist"] or None,
        texts["item"] or None,
        texts["description"],
        Severity(severity),
        texts["responsible_unit"],
        texts["responsible_person"],
        texts["requirement"],
        deadline.date(),
        Status(status),
        texts["fix_report"],
        closed_at if status == "closed" else None,
        texts["inspector"],
        texts["verifier"] or None,
    ), []


def read_ledger(path: str | Path, today: date | None = None) -> tuple[list[SheetFinding], list[str]]:
    """Every data row of the sheet, checked; raises LedgerImportError listing all problems."""
    path = Path(path)
    rows = _sheet_rows(path)
    header_row, columns = _header(rows)
    missing = [name for name in REQUIRED if name not in columns]
    if missing:
        wanted = "; ".join(
            f"{i18n.t(f'ledger.column.{name}', 'zh-CN')} / {i18n.t(f'ledger.column.{name}', 'en')}" for name in missing
        )
        raise LedgerImportError(
            "ledger.import.error.refused", problems=[f"row {header_row}: missing required column(s): {wanted}"]
        )
    problems: list[RowProblem] = []
    ledger: list[SheetFinding] = []
    first_seen: dict[tuple[str, str], int] = {}
    for number, values in rows:
        if all(value is None or str(value).strip() == "" for value in values):
            continue
        if len(ledger) + len(problems) >= MAX_ROWS:
            raise LedgerImportError(
                "ledger.import.error.refused",
                problems=[
                    f"row {number}: the sheet has more than {MAX_ROWS:,} findings; split it into smaller files and import each"
                ],
            )
        row, row_problems = read_row(number, values, columns, today)
        problems += row_problems + _repeated(number, values, columns, first_seen)
        if row:
            ledger.append(row)
        if len(problems) >= MAX_PROBLEMS:
            problems.append(RowProblem(number, None, "more problems may follow; fix these, then import again"))
            break
    if not ledger and not problems:
        problems.append(RowProblem(header_row, None, "the sheet has headings but no findings under them"))
    if problems:
        raise LedgerImportError(
            "ledger.import.error.refused", problems=[str(problem) for problem in sorted(problems, key=lambda p: p.row)]
        )
    warnings = (
        [] if "severity" in columns else ["no severity column (问题等级): every finding is imported as 一般 / minor"]
    )
    return ledger, warnings


def _repeated(number: int, values: tuple, columns, first_seen: dict) -> list[RowProblem]:
    """A number or finding id met in an earlier row: each finding may appear once only."""
    problems = []
    for name in ("number", "finding_id"):
        if name not in columns or columns[name][0] >= len(values):
            continue
        value = _text(values[columns[name][0]])
        if not value:
            continue
        earlier = first_seen.setdefault((name, value), number)
        if earlier != number:
            problems.append(
                RowProblem(number, columns[name][1], f"'{value}' is also in row {earlier}; each finding once only")
            )
    return problems


# --- storing the checked rows -----------------------------------------------------------


class _DryRun(Exception):
    """Raised at the end of a dry run so the transaction, complete but for this, rolls back."""


def _derived_code(name: str) -> str:
    """The code a site created by an import gets: the same name always gives the same code."""
    return "XLSX-" + hashlib.sha1(name.encode("utf-8")).hexdigest()[:10].upper()


class _Registry:
    """The registered sites, looked up by code, then by exact name (an active site before an inactive one)."""

    def __init__(self, sites: list[Site]):
        self.by_code = {site.code: site for site in sites}
        self.by_name: dict[str, Site] = {}
        for site in sorted(sites, key=lambda site: (site.active, site.id)):
            self.by_name |= {site.name.zh: site, site.name.en: site}

    def match(self, row: SheetFinding) -> Site | None:
        # A derived code that is registered is a site an earlier import made and an admin has since renamed.
        return (
            self.by_code.get(row.site_code or "")
            or self.by_name.get(row.site)
            or self.by_code.get(_derived_code(row.site))
        )


def _differences(row: SheetFinding, site: Site) -> list[str]:
    """What the sheet says of a registered site that the registry says otherwise."""
    said = {"site": row.site, "site_unit": row.site_unit, "subdistrict": row.subdistrict, "community": row.community}
    registered = {
        "site": site.name,
        "site_unit": site.unit,
        "subdistrict": site.subdistrict,
        "community": site.community,
    }
    differences = [
        f"{name.replace('_', ' ')} '{said[name]}' (registered: '{registered[name].zh}')"
        for name in said
        if said[name] and said[name] not in (registered[name].zh, registered[name].en)
    ]
    if row.site_kind and row.site_kind != site.kind:
        differences.append(f"site kind '{row.site_kind.value}' (registered: '{site.kind.value}')")
    return differences


def _site_rows(ledger: list[SheetFinding], registry: _Registry) -> tuple[list[dict], list[str], list[str]]:
    """Registry rows for the sites nothing registered matches, one per name; warnings; differences."""
    unknown = i18n.t("ledger.import.not_stated", "zh-CN")
    rows, warnings, differences, seen = [], [], [], set()
    for finding in ledger:
        site = registry.match(finding)
        if site is not None:
            differ = _differences(finding, site)
            if differ:
                differences.append(
                    f"row {finding.row}: site {site.code} '{site.name.zh}' is kept as registered; "
                    f"the sheet says {', '.join(differ)}. Change the site on the Sites page if the "
                    "sheet is right."
                )
            continue
        if finding.site in seen:
            continue
        seen.add(finding.site)
        if finding.site_kind is None:
            warnings.append(
                f"row {finding.row}: site '{finding.site}' is new and its kind is not given; "
                "created as a community (社区)"
            )
        place = {
            "name": finding.site,
            "unit": finding.site_unit or finding.responsible_unit,
            "district": unknown,
            "subdistrict": finding.subdistrict or unknown,
            "community": finding.community or unknown,
        }
        rows.append(
            {
                "code": finding.site_code or _derived_code(finding.site),
                "kind": (finding.site_kind or SiteKind.COMMUNITY).value,
                **{f"{key}_{lang}": value for key, value in place.items() for lang in ("zh", "en")},
            }
        )
    return rows, warnings, differences


def _conflicts(cursor, ledger: list[SheetFinding]) -> list[str]:
    numbers, ids = store.existing_findings(
        cursor, [f.number for f in ledger if f.number], [f.finding_id for f in ledger if f.finding_id]
    )
    problems = []
    for finding in ledger:
        if finding.finding_id in ids:
            problems.append(
                f"row {finding.row}: finding {finding.number or finding.finding_id} is already in the "
                "database (imported before?)"
            )
        elif finding.number in numbers:
            problems.append(f"row {finding.row}: finding number {finding.number} is already taken in the database")
    return problems


def _reserve_numbers(cursor, ledger: list[SheetFinding]) -> None:
    """Numbers like 2026-0412 kept from the sheet move the year's counter past them."""
    for finding in ledger:
        match = re.fullmatch(r"(\d{4})-(\d+)", finding.number or "")
        if match:
            raise_sequence(cursor, int(match.group(1)), int(match.group(2)))


def _finding(cursor, row: SheetFinding, site_id: str, checklist: tuple[str | None, str | None]) -> Finding:
    return Finding(
        id=row.finding_id or new_id(),
        number=row.number or allocate_number(cursor, row.found_at.year),
        site_id=site_id,
        description=row.description,
        severity=row.severity,
        responsible_unit=row.responsible_unit,
        deadline=row.deadline,
        found_at=row.found_at,
        inspector=row.inspector,
        status=row.status,
        checklist_id=checklist[0],
        item_id=checklist[1],
        responsible_person=row.responsible_person,
        requirement=row.requirement,
        fix_report=row.fix_report,
        verifier=row.verifier,
        closed_at=row.closed_at,
    )


def arrival(finding: Finding) -> dict:
    """The state an imported finding arrives in, as its log entry keeps it."""
    state = {
        name: getattr(finding, name)
        for name in (
            "number",
            "status",
            "severity",
            "site_id",
            "responsible_unit",
            "responsible_person",
            "deadline",
            "found_at",
            "inspector",
            "fix_report",
            "verifier",
            "closed_at",
            "checklist_id",
            "item_id",
        )
    }
    return {name: getattr(value, "value", value) for name, value in state.items()}


@unit_of_work
def save_ledger(
    database: Database, ledger: list[SheetFinding], *, actor: str, source: str, dry_run: bool = False
) -> ImportReport:
    report = ImportReport(len(ledger), dry_run=dry_run)
    try:
        with database.write() as cursor:
            problems = _conflicts(cursor, ledger)
            if problems:
                raise LedgerImportError("ledger.import.error.refused", problems=problems)
            new_sites, report.warnings, report.site_differences = _site_rows(
                ledger, _Registry(list_sites(cursor, active_only=False))
            )
            if new_sites:
                import_sites(cursor, new_sites, actor=actor)  # every code is new: nothing registered changes
                report.sites_created = [row["name_zh"] for row in new_sites]
            registry = _Registry(list_sites(cursor, active_only=False))
            for site in new_sites:
                audit_log.append(
                    cursor,
                    actor=actor,
                    action="site.created",
                    entity="site",
                    entity_id=registry.by_code[site["code"]].id,
                    after=site | {"source": source},
                )
            words = store.checklist_words_index(cursor)
            _reserve_numbers(cursor, ledger)
            for row in ledger:
                checklist = words.get((row.checklist, row.item), words.get((row.checklist, None), (None, None)))
                finding = _finding(cursor, row, registry.match(row).id, checklist)
                insert_finding(cursor, finding)
                unmatched = (
                    row.checklist if checklist[0] is None else None,
                    row.item if checklist[1] is None else None,
                )
                if any(unmatched):  # words that match no registered checklist are kept as written
                    store.set_source_words(cursor, finding.id, *unmatched)
                audit_log.append(
                    cursor,
                    actor=actor,
                    action="finding.imported",
                    entity="finding",
                    entity_id=finding.id,
                    after=arrival(finding) | {"source": source, "row": row.row},
                )
            if dry_run:
                raise _DryRun
    except _DryRun:
        pass
    return report


def import_ledger(
    database: Database, path: str | Path, *, actor: str, dry_run: bool = False, today: date | None = None
) -> ImportReport:
    """Read, check and store the ledger in one transaction; nothing is stored if anything is wrong."""
    ledger, warnings = read_ledger(path, today)
    report = save_ledger(database, ledger, actor=actor, source=Path(path).name, dry_run=dry_run)
    report.warnings = warnings + report.warnings
    return report
