"""Item 11 of the trust review: each log entry says what changed, and who did it from where.

A site import logs every site it added or changed with the values before and after; a ledger
import logs the state each finding arrives in; the command line is logged with the OS account
and the host, not as a bare "cli".
"""

from __future__ import annotations

import csv
import getpass
import json
import socket

from click.testing import CliRunner

from audit.cli import cli
from audit.model import Role, User
from audit.services import administration
from audit.services.ledger_import import import_ledger
from audit.services.sites import import_sites_csv
from audit.store import audit_log, open_database
from tests.factories import store_accounts
from tests.test_import import OFFICE_SHEET, write_sheet

HEADER = [
    "code",
    "name_zh",
    "name_en",
    "kind",
    "district_zh",
    "district_en",
    "subdistrict_zh",
    "subdistrict_en",
    "community_zh",
    "community_en",
    "unit_zh",
    "unit_en",
]
ADMIN = User(id="admin-1", username="admin1", display_name="管理员", role=Role.ADMIN)
CLI_ACTOR = f"cli:{getpass.getuser()}@{socket.gethostname()}"


def site(code: str, name: str, unit: str) -> list[str]:
    return [
        code,
        name,
        name,
        "community",
        "崇川区",
        "Chongchuan",
        "虹桥街道",
        "Hongqiao",
        "光明社区",
        "Guangming",
        unit,
        unit,
    ]


def write_sites(path, rows) -> str:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows([HEADER, *rows])
    return str(path)


def entries(database, *actions) -> list[dict]:
    with database.read() as cursor:
        rows = cursor.execute(
            "SELECT seq, actor, action, entity_id, before::VARCHAR, after::VARCHAR FROM audit_log "
            "WHERE action IN (SELECT unnest(?)) ORDER BY seq",
            [list(actions)],
        ).fetchall()
    return [
        {
            "seq": seq,
            "actor": actor,
            "action": action,
            "id": entity_id,
            "before": json.loads(before) if before else None,
            "after": json.loads(after) if after else None,
        }
        for seq, actor, action, entity_id, before, after in rows
    ]


def test_a_site_import_logs_each_changed_site_with_before_and_after(db, tmp_path):
    store_accounts(db, ADMIN)  # who deactivates a site below
    import_sites_csv(
        db,
        write_sites(
            tmp_path / "a.csv",
            [
                site("S1", "光明站", "光明居委会"),
                site("S2", "虹桥站", "虹桥居委会"),
                site("S3", "国胜站", "国胜居委会"),
            ],
        ),
        actor="admin1",
    )
    created = entries(db, "site.created")
    assert [entry["after"]["code"] for entry in created] == ["S1", "S2", "S3"]
    s3 = next(entry["id"] for entry in created if entry["after"]["code"] == "S3")
    administration.set_site_active(db, ADMIN, s3, False)

    import_sites_csv(
        db,
        write_sites(
            tmp_path / "b.csv",
            [
                site("S1", "光明新站", "光明居委会"),
                site("S2", "虹桥站", "新城居委会"),
                site("S3", "国胜站", "国胜居委会"),
            ],
        ),
        actor="admin1",
    )
    updated = {entry["before"]["code"]: entry for entry in entries(db, "site.updated")}
    assert set(updated) == {"S1", "S2", "S3"}  # one entry per changed site, none for unchanged ones
    assert (updated["S1"]["before"]["name_zh"], updated["S1"]["after"]["name_zh"]) == ("光明站", "光明新站")
    assert (updated["S2"]["before"]["unit_zh"], updated["S2"]["after"]["unit_zh"]) == ("虹桥居委会", "新城居委会")
    assert (updated["S3"]["before"]["active"], updated["S3"]["after"]["active"]) == (False, True)
    assert "unit_zh" not in updated["S1"]["after"] and updated["S1"]["after"]["source"] == "b.csv"
    with db.read() as cursor:
        assert audit_log.verify(cursor).ok


def test_an_unchanged_site_import_logs_no_site_entries(db, tmp_path):
    rows = [site("S1", "光明站", "光明居委会")]
    import_sites_csv(db, write_sites(tmp_path / "a.csv", rows), actor="admin1")
    import_sites_csv(db, write_sites(tmp_path / "b.csv", rows), actor="admin1")
    assert len(entries(db, "site.created", "site.updated")) == 1


def test_a_ledger_import_logs_the_state_each_finding_arrives_in(db, tmp_path):
    import_ledger(db, write_sheet(tmp_path / "office.xlsx", OFFICE_SHEET), actor="tester")
    imported = {entry["after"]["number"]: entry["after"] for entry in entries(db, "finding.imported")}
    first = imported["2020-0001"]
    assert (first["status"], first["closed_at"], first["deadline"]) == ("closed", "2020-03-05 00:00:00", "2020-03-02")
    assert first["fix_report"] == "已对全体社区工作人员开展防护培训" and first["severity"]
    assert imported["2020-0002"]["status"] == "open" and imported["2020-0002"]["closed_at"] is None
    with db.read() as cursor:
        assert audit_log.verify(cursor).ok


def test_command_line_actions_name_the_os_user_and_host(db_path, tmp_path):
    runner = CliRunner()
    result = runner.invoke(
        cli,
        ["users", "add", "admin1", "--role", "admin", "--password-stdin", "--db", str(db_path)],
        input="a long password 1\n",
    )
    assert result.exit_code == 0, result.output
    result = runner.invoke(
        cli,
        [
            "sites",
            "import",
            write_sites(tmp_path / "a.csv", [site("S1", "光明站", "光明居委会")]),
            "--db",
            str(db_path),
        ],
    )
    assert result.exit_code == 0, result.output
    database = open_database(db_path)
    try:
        actors = {
            entry["action"]: entry["actor"]
            for entry in entries(database, "user.created", "site.created", "sites.imported")
        }
    finally:
        database.close()
    assert actors == {"user.created": CLI_ACTOR, "site.created": CLI_ACTOR, "sites.imported": CLI_ACTOR}
