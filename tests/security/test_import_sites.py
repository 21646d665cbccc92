"""A ledger import matches registered sites and never changes them: an admin's correction stands."""

from __future__ import annotations

from audit.model import Role, User
from audit.services.administration import save_site
from audit.services.ledger_import import import_ledger
from audit.store import audit_log
from audit.store.sites import import_sites, list_sites
from tests.factories import store_accounts
from tests.test_import import findings_in, write_sheet

PLACE = {f"{level}_{lang}": "永兴" for level in ("district", "subdistrict", "community") for lang in ("zh", "en")}
HEAD = ["编号", "发现时间", "检查点位", "点位所属单位", "点位类型", "问题描述", "责任单位", "整改时限"]


def row(number: str, site: str, unit: str = "国胜社区居委会", kind: str = "隔离点") -> list:
    return [number, "2026-03-01", site, unit, kind, "口罩", "国胜社区居委会", "2026-03-03"]


def registry(db) -> list:
    with db.read() as cursor:
        return [(s.code, s.name.zh, s.unit.zh, s.kind.value, s.active) for s in list_sites(cursor, active_only=False)]


def actions(db) -> list[str]:
    with db.read() as cursor:
        return [r[0] for r in cursor.execute("SELECT action FROM audit_log ORDER BY seq").fetchall()]


def test_a_second_import_leaves_an_admins_correction_of_a_site_alone(db, tmp_path):
    import_ledger(db, write_sheet(tmp_path / "first.xlsx", [HEAD, row("2026-0001", "国胜隔离点")]), actor="tester")
    [(code, *_)] = registry(db)
    corrected = {
        "code": code,
        "name_zh": "国胜集中隔离点",
        "name_en": "Guosheng isolation point",
        "kind": "hospital",
        **PLACE,
        "unit_zh": "永兴街道办",
        "unit_en": "Yongxing office",
    }
    admin = User(id="admin-1", username="admin", display_name="管理员", role=Role.ADMIN)
    store_accounts(db, admin)  # the service reads the acting account
    save_site(db, admin, corrected)
    before = registry(db)

    report = import_ledger(
        db, write_sheet(tmp_path / "second.xlsx", [HEAD, row("2026-0002", "国胜隔离点")]), actor="tester"
    )

    assert registry(db) == before == [(code, "国胜集中隔离点", "永兴街道办", "hospital", True)]
    assert report.sites_created == []
    assert actions(db)[-1:] == ["finding.imported"] and actions(db).count("site.created") == 1
    [difference] = report.site_differences
    assert difference.startswith(f"row 2: site {code} '国胜集中隔离点' is kept as registered")
    assert "site '国胜隔离点'" in difference and "site unit '国胜社区居委会'" in difference
    assert "site kind 'isolation_point' (registered: 'hospital')" in difference
    assert {f["site_id"] for f in findings_in(db)} == {registry_id(db, code)}
    with db.read() as cursor:
        assert audit_log.verify(cursor).ok


def registry_id(db, code: str) -> str:
    with db.read() as cursor:
        return next(site.id for site in list_sites(cursor, active_only=False) if site.code == code)


def test_sites_are_matched_by_code_then_exact_name_and_created_only_when_nothing_matches(db, tmp_path):
    registered = {
        "code": "GS-01",
        "name_zh": "国胜集中隔离点",
        "name_en": "Guosheng isolation point",
        "kind": "isolation_point",
        "unit_zh": "国胜社区居委会",
        "unit_en": "Guosheng committee",
        **PLACE,
    }
    with db.write() as cursor:
        import_sites(cursor, [registered], actor="admin")
    rows = [
        HEAD + ["点位编码"],
        row("2026-0001", "隔离点（旧称）") + ["GS-01"],  # by code, whatever the name
        row("2026-0002", "Guosheng isolation point"),  # by its English name
        row("2026-0003", " 国胜集中隔离点 "),  # a name is trimmed, then matched exactly
        row("2026-0004", "国胜集中隔离点二号"),
    ]  # nothing matches: a new site
    report = import_ledger(db, write_sheet(tmp_path / "ledger.xlsx", rows), actor="tester")
    assert report.sites_created == ["国胜集中隔离点二号"]
    assert [d.split(":")[0] for d in report.site_differences] == ["row 2"]
    assert registry(db)[0] == ("GS-01", "国胜集中隔离点", "国胜社区居委会", "isolation_point", True)
    gs = registry_id(db, "GS-01")
    assert [f["site_id"] == gs for f in findings_in(db)] == [True, True, True, False]
