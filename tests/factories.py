"""Builders of test data shared by the test modules: findings, the ledger's eight findings, the
dashboard's small district, inspection sites and checklists, site rows and pictures.

Each test module imports what it needs from here, never from another test module.
"""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, time, timedelta

import pyarrow as pa
from PIL import Image

from audit.checklists import checklist_from_dict, checklist_to_dict
from audit.model import (
    Checklist,
    Comparison,
    Finding,
    FindingFilter,
    Item,
    Limit,
    ResponseType,
    Result,
    Role,
    Section,
    Severity,
    Site,
    SiteKind,
    Status,
    Text,
    User,
    new_id,
)
from audit.services import inspections as service
from audit.store import audit_log, open_database
from audit.store import checklists as checklist_store
from audit.store import users as user_store
from audit.store.demo import insert_table
from audit.store.findings import insert_finding
from audit.store.ledger import ledger_page
from audit.store.row_state import every_row
from audit.store.sites import COLUMNS, import_sites, list_sites

# --- findings ---------------------------------------------------------------------------


def make_finding(number: str, **changes) -> Finding:
    values = dict(
        id=new_id(),
        number=number,
        site_id=new_id(),
        description="单层普通口罩 / one ordinary mask",
        severity=Severity.MAJOR,
        responsible_unit="国胜社区居委会",
        deadline=date(2026, 3, 3),
        found_at=datetime(2026, 3, 1, 23, 0),
        inspector="陈明",
    )
    values.update(changes)
    return Finding(**values)


# --- the ledger: eight findings over two sites and units, every status and colour ------

LEDGER_TODAY = date(2026, 3, 10)
GUOSHENG, GUANGMING = "国胜社区居委会", "光明社区居委会"
UNIT = User(new_id(), "guosheng", "国胜社区", Role.UNIT, unit=GUOSHENG)
OTHER_UNIT = User(new_id(), "guangming", "光明社区", Role.UNIT, unit=GUANGMING)
INSPECTOR = User(new_id(), "chenming", "陈明", Role.INSPECTOR)
SECOND_INSPECTOR = User(new_id(), "liuyang", "刘洋", Role.INSPECTOR)
SUPERVISOR = User(new_id(), "wangfang", "王芳", Role.SUPERVISOR)
ADMIN = User(new_id(), "admin", "管理员", Role.ADMIN)


def add_user(cursor, user: User) -> None:
    """The account of `user`, under its own id, unless it is stored already."""
    cursor.execute(
        "INSERT INTO users (id, username, display_name, role, unit, created_at) SELECT ?, ?, ?, ?, ?, ? "
        "WHERE NOT EXISTS (SELECT 1 FROM users WHERE id = ?)",
        [user.id, user.username, user.display_name, user.role.value, user.unit, datetime(2026, 1, 1), user.id],
    )


def store_accounts(database, *users) -> None:
    """Keep these users as accounts under their own ids: the services read the acting account on every call."""
    with database.write() as cursor:
        for user in users:
            if user_store.get_account(cursor, user.id) is None:
                user_store.insert_user(cursor, user, None, now=datetime(2026, 1, 1), by="test")
                audit_log.append(
                    cursor,
                    actor="test",
                    action="user.created",
                    entity="user",
                    entity_id=user.id,
                    after={"username": user.username},
                )


def add_ledger_site(
    cursor,
    name_zh: str,
    *,
    unit: str,
    subdistrict: str = "崇川开发区",
    community: str = "国胜社区",
    kind: str = "isolation_point",
    name_en: str | None = None,
) -> str:
    site_id = new_id()
    cursor.execute(
        "INSERT INTO sites (id, code, name_zh, name_en, kind, district_zh, district_en, subdistrict_zh, "
        "subdistrict_en, community_zh, community_en, unit_zh, unit_en) VALUES (?, ?, ?, ?, ?, '崇川区', "
        "'Chongchuan', ?, ?, ?, ?, ?, ?)",
        [
            site_id,
            f"S-{site_id[:6]}",
            name_zh,
            name_en or name_zh,
            kind,
            subdistrict,
            subdistrict + " (en)",
            community,
            community + " (en)",
            unit,
            unit,
        ],
    )
    return site_id


def seed_ledger(database) -> dict[str, str]:
    """Eight findings over two sites and units, covering every status and colour; returns number -> id."""
    ids = {}
    with database.write() as cursor:
        for user in (UNIT, OTHER_UNIT, INSPECTOR, SECOND_INSPECTOR, SUPERVISOR):
            add_user(cursor, user)
        isolation = add_ledger_site(cursor, "国胜集中隔离点", unit=GUOSHENG, name_en="Guosheng isolation point")
        clinic = add_ledger_site(
            cursor,
            "光明发热门诊",
            unit=GUANGMING,
            subdistrict="虹桥街道",
            community="光明社区",
            kind="fever_clinic",
            name_en="Guangming fever clinic",
        )
        rows = [
            # number, site, unit, deadline offset from LEDGER_TODAY, status, severity, repeat
            ("2026-0001", isolation, GUOSHENG, -12, Status.OPEN, Severity.CRITICAL, False),  # red
            ("2026-0002", isolation, GUOSHENG, -3, Status.REOPENED, Severity.MAJOR, True),  # yellow
            ("2026-0003", isolation, GUOSHENG, 1, Status.OPEN, Severity.MINOR, False),  # blue
            ("2026-0004", isolation, GUOSHENG, 0, Status.AWAITING_VERIFICATION, Severity.MAJOR, False),  # blue
            ("2026-0005", clinic, GUANGMING, 5, Status.OPEN, Severity.MAJOR, False),  # none
            ("2026-0006", clinic, GUANGMING, -20, Status.CLOSED, Severity.MINOR, True),  # none: closed
            ("2026-0007", clinic, GUANGMING, -8, Status.OPEN, Severity.MINOR, False),  # red
            ("2026-0008", clinic, GUANGMING, 3, Status.OPEN, Severity.CRITICAL, False),  # none
        ]
        for offset, (number, site, unit, due, status, severity, repeat) in enumerate(rows):
            finding = make_finding(
                number,
                site_id=site,
                responsible_unit=unit,
                deadline=LEDGER_TODAY + timedelta(days=due),
                status=status,
                severity=severity,
                found_at=datetime(2026, 3, 1 + offset, 9, 30),
                inspector=INSPECTOR.username,
                description=f"问题 {number}",
                repeat_of=[new_id()] if repeat else [],
                closed_at=datetime(2026, 3, 9, 10, 0) if status is Status.CLOSED else None,
                verifier=SUPERVISOR.username if status is Status.CLOSED else None,
            )
            insert_finding(cursor, finding)
            ids[number] = finding.id
        # Seeded through the store, so one entry vouches for the rows, as an upgrade's does.
        audit_log.append(cursor, actor="test", action="test.seeded", entity="database", rows_where=every_row())
    return ids


def row_numbers(rows) -> list[str]:
    return [row.number for row in rows]


def ledger_numbers(db, flt=FindingFilter(), **options):
    with db.read() as cursor:
        return row_numbers(ledger_page(cursor, flt, LEDGER_TODAY, language="zh-CN", **options))


# --- the dashboard: three sites, two checklists, findings in two 30-day periods ----------

DISTRICT_TODAY = date(2026, 3, 31)
DISTRICT_SUPERVISOR = User("u-sup", "zuzhang", "督查组长", Role.SUPERVISOR)
HOSPITAL_UNIT = "市中医院"
HOSPITAL_ACCOUNT = User("u-unit", "zhongyiyuan", "市中医院", Role.UNIT, unit=HOSPITAL_UNIT)
DISTRICT_SITES = {
    "A": (
        "虹桥宾馆集中隔离点",
        "Hongqiao Hotel isolation point",
        "isolation_point",
        "虹桥街道",
        "Hongqiao",
        "光明社区",
        "Guangming",
    ),
    "B": (
        "市中医院发热门诊",
        "City TCM hospital fever clinic",
        "fever_clinic",
        "钟秀街道",
        "Zhongxiu",
        "小西村社区",
        "Xiaoxicun",
    ),
    "C": (
        "=光明社区居委会",
        "=Guangming community office",
        "community",
        "虹桥街道",
        "Hongqiao",
        "光明社区",
        "Guangming",
    ),
}


DISTRICT_UNITS = {"A": "虹桥宾馆专班", "B": HOSPITAL_UNIT, "C": "光明社区居委会"}


def _item(item_id: str, zh: str, en: str, severity=Severity.MAJOR) -> Item:
    return Item(item_id, Text(zh, en), severity, ResponseType.PASS_FAIL)


def _checklist(checklist_id: str, version: int, title: Text, items: list[Item]) -> Checklist:
    return Checklist(
        checklist_id,
        version,
        title,
        tuple(SiteKind),
        (Section("s1", title, tuple(items)),),
        content_hash=f"{checklist_id}-{version}",
    )


DISTRICT_CHECKLISTS = [
    _checklist(
        "transfer",
        1,
        Text("规范转运", "Quarantine transfer"),
        [
            _item("T-01", "工作人员与拟隔离人员同车（旧）", "Staff rode with people to be isolated (old)"),
            _item("T-02", "未填写集中隔离信息单", "Centralised isolation form not filled in"),
        ],
    ),
    # Version 2 rewords T-01 and drops T-02: old findings keep a name, T-01 shows the new words.
    _checklist(
        "transfer",
        2,
        Text("规范转运", "Quarantine transfer"),
        [_item("T-01", "工作人员不得与拟隔离人员同车", "Staff do not ride with people to be isolated")],
    ),
    _checklist(
        "ppe", 1, Text("个人防护", "PPE use"), [_item("P-01", "仅戴一层普通口罩", "A single ordinary mask only")]
    ),
]


def _site_rows() -> list[dict]:
    rows = []
    for code, (name_zh, name_en, kind, sub_zh, sub_en, com_zh, com_en) in DISTRICT_SITES.items():
        values = [
            code,
            name_zh,
            name_en,
            kind,
            "崇川区",
            "Chongchuan",
            sub_zh,
            sub_en,
            com_zh,
            com_en,
            DISTRICT_UNITS[code],
            DISTRICT_UNITS[code],
        ]
        rows.append(dict(zip(COLUMNS, values)))
    return rows


def at_day(today: date, days_ago: int, hour: int = 9) -> datetime:
    return datetime.combine(today - timedelta(days=days_ago), time(hour))


DISTRICT_FINDINGS = [
    ("1", "A", "transfer", "T-01", "critical", 26, 25, "closed", (24, 21), None),
    ("2", "A", "transfer", "T-01", "major", 11, 8, "open", None, "1"),
    ("3", "A", "ppe", "P-01", "minor", 3, -4, "open", None, None),
    ("4", "B", "transfer", "T-02", "major", 2, -1, "open", None, None),
    ("5", "B", "ppe", "P-01", "critical", 6, 5, "awaiting_verification", None, None),
    ("6", "C", "transfer", "T-01", "minor", 21, 14, "closed", (11, 9), None),
    ("7", "A", "transfer", "T-01", "critical", 1, 0, "open", None, "2"),
    ("8", "A", "transfer", "T-02", "major", 49, 46, "closed", (48, 9), None),
    ("9", "B", "ppe", "P-01", "minor", 39, 32, "open", None, None),
    ("10", "C", "transfer", "T-01", "minor", 80, 73, "open", None, None),
    ("11", "A", "ppe", "P-01", "minor", -1, -8, "open", None, None),
]


def _district_inspections(today: date, site: dict[str, str]) -> pa.Table:
    rows = [
        ("I1", "A", "transfer", 26, "submitted"),
        ("I2", "B", "ppe", 6, "submitted"),
        ("I3", "A", "transfer", 49, "submitted"),
        ("I4", "C", "transfer", 21, "draft"),
    ]
    return pa.table(
        {
            "id": [r[0] for r in rows],
            "site_id": [site[r[1]] for r in rows],
            "checklist_id": [r[2] for r in rows],
            "checklist_version": [1] * 4,
            "checklist_hash": ["h"] * 4,
            "inspectors": [["陈明"]] * 4,
            "started_at": [at_day(today, r[3], 8) for r in rows],
            "status": [r[4] for r in rows],
            "created_by": ["陈明"] * 4,
        }
    )


def build_district(database, today: date) -> dict[str, str]:
    """Sites, checklists, inspections and findings; returns site code -> id and finding key -> id."""
    ids = {key: new_id() for key, *_ in DISTRICT_FINDINGS}
    store_accounts(database, DISTRICT_SUPERVISOR, HOSPITAL_ACCOUNT)
    with database.write() as cursor:
        import_sites(cursor, _site_rows(), actor="test")
        site = {s.code: s.id for s in list_sites(cursor)}
        for checklist in DISTRICT_CHECKLISTS:
            checklist_store.register(cursor, checklist, None)
        insert_table(cursor, "inspections", _district_inspections(today, site))
        for number, (key, code, checklist, item, severity, found, due, status, closed, repeat) in enumerate(
            DISTRICT_FINDINGS, 1
        ):
            insert_finding(
                cursor,
                make_finding(
                    f"{today.year}-{number:04d}",
                    id=ids[key],
                    site_id=site[code],
                    checklist_id=checklist,
                    item_id=item,
                    severity=Severity(severity),
                    found_at=at_day(today, found),
                    deadline=today - timedelta(days=due),
                    status=Status(status),
                    closed_at=None if closed is None else at_day(today, *closed),
                    responsible_unit=DISTRICT_UNITS[code],
                    repeat_of=[ids[repeat]] if repeat else [],
                    inspection_id="I2" if key == "5" else None,
                ),
            )
    return {**site, **ids}


DISTRICT_MONTH = FindingFilter(found_from=DISTRICT_TODAY - timedelta(days=29), found_to=DISTRICT_TODAY)


# --- inspections: a site and a small checklist to inspect against ---------------------

INSPECTION_NOW = datetime(2026, 3, 1, 23, 30)
FIELD_INSPECTOR = User(id="u-chen", username="chen", display_name="陈明", role=Role.INSPECTOR)


def transfer_checklist() -> Checklist:
    """A small checklist in the shape of the shipped ones: pass/fail, a measurement and free text."""
    checklist = Checklist(
        id="transfer_test",
        version=1,
        title=Text("转运测试", "Transfer test"),
        site_kinds=(SiteKind.ISOLATION_POINT,),
        sections=(
            Section(
                "during",
                Text("转运中", "During"),
                (
                    Item(
                        "T-01",
                        Text("工作人员不与拟隔离人员同乘一车", "Staff do not ride with people to be isolated"),
                        Severity.CRITICAL,
                        ResponseType.PASS_FAIL,
                        photo_required=True,
                    ),
                    Item(
                        "T-02",
                        Text("佩戴医用防护口罩", "A medical protective mask is worn"),
                        Severity.MAJOR,
                        ResponseType.PASS_FAIL,
                    ),
                ),
            ),
            Section(
                "monitoring",
                Text("健康监测", "Monitoring"),
                (
                    Item(
                        "T-03",
                        Text("每日测温次数", "Temperature checks per day"),
                        Severity.MAJOR,
                        ResponseType.NUMBER,
                        limit=Limit(Comparison.AT_LEAST, 2, "次/天"),
                    ),
                    Item("T-04", Text("其他情况", "Other observations"), Severity.MINOR, ResponseType.TEXT),
                ),
            ),
        ),
    )
    return stored_form(checklist)


def stored_form(checklist: Checklist) -> Checklist:
    """The checklist as the store gives it back, with its content hash."""
    return checklist_from_dict(checklist_to_dict(checklist))


def make_site(
    name_zh: str = "崇川区集中隔离点一号",
    name_en: str = "Chongchuan isolation point 1",
    kind: SiteKind = SiteKind.ISOLATION_POINT,
    **changes,
) -> Site:
    values = dict(
        id=new_id(),
        code=f"S-{new_id()[:6]}",
        name=Text(name_zh, name_en),
        kind=kind,
        district=Text("崇川区", "Chongchuan"),
        subdistrict=Text("虹桥街道", "Hongqiao"),
        community=Text("光明社区", "Guangming"),
        unit=Text("国胜社区居委会", "Guosheng residents' committee"),
    )
    values.update(changes)
    return Site(**values)


def add_site(database, site: Site) -> Site:
    row = {"code": site.code, "kind": site.kind.value}
    for name in ("name", "district", "subdistrict", "community", "unit"):
        row[f"{name}_zh"], row[f"{name}_en"] = getattr(site, name).zh, getattr(site, name).en
    with database.write() as cursor:
        import_sites(cursor, [row], actor="test", make_id=lambda: site.id)
        audit_log.append(cursor, actor="test", action="site.created", entity="site", entity_id=site.id, after=row)
    return site


def register(database, *checklists: Checklist) -> None:
    with database.write() as cursor:
        for checklist in checklists:
            checklist_store.register(cursor, checklist, None)


def jpeg(colour: str = "red", size: tuple[int, int] = (64, 48)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, format="JPEG")
    return buffer.getvalue()


def answer_all(db, inspection_id: str, **results: Result) -> None:
    """Answer every item: pass unless given, 3 checks a day, a note."""
    for item_id in ("T-01", "T-02"):
        service.record_response(
            db, FIELD_INSPECTOR, inspection_id, item_id, result=results.get(item_id, Result.PASS), now=INSPECTION_NOW
        )
    service.record_response(db, FIELD_INSPECTOR, inspection_id, "T-03", value=3, now=INSPECTION_NOW)
    service.record_response(db, FIELD_INSPECTOR, inspection_id, "T-04", text="夜间检查", now=INSPECTION_NOW)


# --- the site registry and pictures ----------------------------------------------------


def site_row(code: str, **changes) -> dict[str, str]:
    row = dict(
        code=code,
        name_zh="光明商务酒店集中隔离点",
        name_en="Guangming Business Hotel isolation point",
        kind="isolation_point",
        district_zh="崇川区",
        district_en="Chongchuan District",
        subdistrict_zh="虹桥街道",
        subdistrict_en="Hongqiao Subdistrict",
        community_zh="光明社区",
        community_en="Guangming Community",
        unit_zh="光明社区居委会",
        unit_en="Guangming Community Residents' Committee",
    )
    row.update(changes)
    return row


def csv_text(rows: list[dict[str, str]], header=COLUMNS) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(header), extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def picture(format: str = "JPEG", size=(1200, 800), exif_orientation: int | None = None) -> bytes:
    image = Image.new("RGB", size, (200, 30, 30))
    buffer = io.BytesIO()
    if exif_orientation:
        exif = Image.Exif()
        exif[0x0112] = exif_orientation
        image.save(buffer, format=format, exif=exif)
    else:
        image.save(buffer, format=format)
    return buffer.getvalue()


# --- the home page -----------------------------------------------------------------------


def seed_home(db_path) -> None:
    database = open_database(db_path)
    today = date.today()
    with database.write() as cursor:
        insert_finding(cursor, make_finding("2026-0001", deadline=today - timedelta(days=3)))
        insert_finding(cursor, make_finding("2026-0002", deadline=today + timedelta(days=5)))
        insert_finding(
            cursor,
            make_finding(
                "2026-0003", deadline=today - timedelta(days=9), status=Status.CLOSED, closed_at=datetime.now()
            ),
        )
    database.close()
