"""The site registry: the shipped CSV, upserts by code, and imports that fail whole with row numbers."""

from __future__ import annotations

import csv

import pytest
from click.testing import CliRunner

from audit.cli import cli
from audit.errors import InvalidInput
from audit.model import SiteKind
from audit.services.sites import import_sites_csv
from audit.store.sites import COLUMNS, count_sites, get_site, hierarchy, list_sites
from tests.conftest import ROOT
from tests.factories import csv_text, site_row

SITES_CSV = ROOT / "data" / "sites.csv"

DOMAIN_PLACES = [
    ("虹桥街道", "光明社区"),
    ("新城桥街道", "易家桥社区"),
    ("钟秀街道", "小西村社区"),
    ("城东街道", "新桥北村社区"),
    ("狼山镇街道", "三角桥社区"),
    ("崇川经济开发区", "国胜社区"),
]


def write(tmp_path, text: str, name: str = "sites.csv", bom: bool = False):
    path = tmp_path / name
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8"))
    return path


def test_the_shipped_registry_loads_with_every_place_the_article_names(db):
    report = import_sites_csv(db, SITES_CSV, actor="admin")
    assert 180 <= report.rows <= 220 and report.inserted == report.rows
    with db.read() as cursor:
        sites = list_sites(cursor)
        places = hierarchy(cursor)
    pairs = {(p.subdistrict.zh, p.community.zh) for p in places}
    assert set(DOMAIN_PLACES) <= pairs
    assert any(site.name.zh == "观音山科技园" and site.name.en == "Guanyinshan Technology Park" for site in sites)
    assert {site.kind for site in sites} == set(SiteKind)
    assert len({p.subdistrict.zh for p in places}) >= 8 and len(pairs) >= 35
    assert {p.district.zh for p in places} == {"崇川区"}
    assert len({site.code for site in sites}) == len(sites)


def test_the_shipped_registry_is_bilingual_throughout():
    with SITES_CSV.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        for name in ("name", "subdistrict", "community", "unit"):
            assert any("\u4e00" <= ch <= "\u9fff" for ch in row[f"{name}_zh"]), row
            assert row[f"{name}_en"].isascii() and row[f"{name}_en"].strip(), row


def test_importing_again_updates_by_code_and_keeps_ids(db, tmp_path):
    import_sites_csv(db, write(tmp_path, csv_text([site_row("CC-1"), site_row("CC-2")])), actor="admin")
    with db.read() as cursor:
        before = {site.code: site for site in list_sites(cursor)}
    changed = [site_row("CC-1", name_zh="光明大酒店集中隔离点"), site_row("CC-2"), site_row("CC-3", kind="checkpoint")]
    report = import_sites_csv(db, write(tmp_path, csv_text(changed), "v2.csv"), actor="admin")
    assert (report.rows, report.inserted, report.updated, report.unchanged) == (3, 1, 1, 1)
    with db.read() as cursor:
        after = {site.code: site for site in list_sites(cursor)}
        versions = dict(cursor.execute("SELECT code, version FROM sites").fetchall())
        actions = [r[0] for r in cursor.execute("SELECT action FROM audit_log ORDER BY seq").fetchall()]
    assert after["CC-1"].id == before["CC-1"].id and after["CC-1"].name.zh == "光明大酒店集中隔离点"
    assert versions == {"CC-1": 2, "CC-2": 1, "CC-3": 1}
    assert after["CC-3"].kind is SiteKind.CHECKPOINT
    assert actions == [
        "site.created",
        "site.created",
        "sites.imported",
        "site.updated",
        "site.created",
        "sites.imported",
    ]


def test_every_problem_is_named_by_its_row_and_nothing_is_imported(db, tmp_path):
    import_sites_csv(db, write(tmp_path, csv_text([site_row("CC-1")])), actor="admin")
    rows = [
        site_row("CC-1", name_zh="改过的名字"),
        site_row("CC-2", kind="isolaton_point"),
        site_row("CC-3", unit_en="  "),
        site_row("CC-2", kind="checkpoint"),
        site_row("CC-5"),
    ]
    with pytest.raises(InvalidInput) as raised:
        import_sites_csv(db, write(tmp_path, csv_text(rows), "bad.csv"), actor="admin")
    message = str(raised.value)
    assert "row 3: kind: unknown site kind 'isolaton_point' (did you mean 'isolation_point'?)" in message
    assert "row 4: unit_en: must not be empty" in message
    assert "row 5: code: 'CC-2' appears again (first on row 3)" in message
    assert "row 2" not in message and "row 6" not in message
    with db.read() as cursor:
        assert count_sites(cursor) == 1
        assert list_sites(cursor)[0].name.zh == "光明商务酒店集中隔离点"


def test_a_kind_nothing_like_a_known_one_lists_the_kinds(db, tmp_path):
    with pytest.raises(InvalidInput, match="unknown site kind 'school'; use one of: isolation_point, fever_clinic"):
        import_sites_csv(db, write(tmp_path, csv_text([site_row("CC-1", kind="school")])), actor="admin")


def test_missing_and_unknown_columns_are_named(db, tmp_path):
    header = [c for c in COLUMNS if c != "unit_en"] + ["comunity_zh2", "remarks"]
    rows = [dict(site_row("CC-1"), comunity_zh2="x", remarks="y")]
    with pytest.raises(InvalidInput) as raised:
        import_sites_csv(db, write(tmp_path, csv_text(rows, header)), actor="admin")
    message = str(raised.value)
    assert "header: missing column 'unit_en'" in message
    assert "header: unknown column 'remarks'" in message
    assert "header: unknown column 'comunity_zh2' (did you mean 'community_zh'?)" in message
    assert "row 2" not in message  # the missing column is reported once, not on every row
    with db.read() as cursor:
        assert count_sites(cursor) == 0


def test_a_file_saved_by_excel_with_a_byte_order_mark_loads(db, tmp_path):
    report = import_sites_csv(db, write(tmp_path, csv_text([site_row("CC-1")]), bom=True), actor="admin")
    assert report.inserted == 1
    with db.read() as cursor:
        assert list_sites(cursor)[0].code == "CC-1"


def test_a_file_that_is_not_utf8_is_refused_plainly(db, tmp_path):
    path = tmp_path / "gbk.csv"
    path.write_bytes(csv_text([site_row("CC-1")]).encode("gbk"))
    with pytest.raises(InvalidInput, match="not UTF-8"):
        import_sites_csv(db, path, actor="admin")


def test_sites_can_be_found_by_name_place_and_kind(db):
    import_sites_csv(db, SITES_CSV, actor="admin")
    with db.read() as cursor:
        isolation = list_sites(cursor, kind="isolation_point", subdistrict="虹桥街道")
        by_english = list_sites(cursor, search="guangming business", community="Guangming Community")
        fever = list_sites(cursor, search="发热门诊")
        first = get_site(cursor, isolation[0].id)
    assert isolation and all(s.kind is SiteKind.ISOLATION_POINT and s.subdistrict.zh == "虹桥街道" for s in isolation)
    assert [s.name.zh for s in by_english] == ["光明商务酒店集中隔离点"]
    assert fever and all(s.kind is SiteKind.FEVER_CLINIC for s in fever)
    assert first == isolation[0]


def test_cli_imports_and_reports_counts(db_path):
    result = CliRunner().invoke(cli, ["sites", "import", str(SITES_CSV), "--db", str(db_path)])
    assert result.exit_code == 0, result.output
    rows = len(SITES_CSV.read_text(encoding="utf-8").splitlines()) - 1
    assert f"Imported {rows} sites: {rows} new, 0 updated, 0 unchanged." in result.output


def test_cli_lists_the_row_problems_and_exits_1(db_path, tmp_path):
    path = write(tmp_path, csv_text([site_row("CC-1"), site_row("CC-2", kind="fever-clinic")]))
    result = CliRunner().invoke(cli, ["sites", "import", str(path), "--db", str(db_path)])
    assert result.exit_code == 1
    assert "row 3: kind: unknown site kind 'fever-clinic' (did you mean 'fever_clinic'?)" in result.output
    assert "row 2" not in result.output
    assert "Traceback" not in result.output
