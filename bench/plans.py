"""Plans at province scale: coverage of a month for all sites, and the inspector's home, at 10,000 sites.

The large database holds the registry's sites plus generated ones up to --sites (plausible Chinese names
over the registry's district and six more of the city, each with its own subdistricts and communities),
daily plans for a year over every site (one plan per site kind, each with the checklist for that kind),
and --findings findings from the demo generator. The baseline holds the registry's sites only, the same
plans and --baseline findings. In both, the signed-in inspector's own plan is the same ten isolation
points, and their name is none the demo gives its inspectors, so the generated inspections make them no drafts
or fixes to verify on either: their home shows the same work and only the size of the database differs.

Reported: the time to make a year of tasks (ensure_tasks, once, when the database is built); the median
time of `plans.coverage` over the last 30 days for all sites (target <= 500 ms); the median server time
of one rerun of the inspector's home in AppTest on each database, and their ratio (target <= 1.5).
Databases are kept under bench/out/ and reused when present (delete them to rebuild).

Run: python bench/plans.py [--sites 10000] [--findings 1000000] [--baseline 1000] [--runs 9]
The last line is machine-readable: plans sites=<n> coverage_month_ms=<a> home_ratio=<b>
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from streamlit.testing.v1 import AppTest  # noqa: E402

from audit.checklists import load_checklists  # noqa: E402
from audit.demo import SITES_CSV, generate_file  # noqa: E402
from audit.demo.wording import INSPECTORS  # noqa: E402
from audit.model import SiteKind, User  # noqa: E402
from audit.services import plans  # noqa: E402
from audit.services.accounts import add_user, generate_password, set_role  # noqa: E402
from audit.services.checklists import checklists_directory, sync_checklists  # noqa: E402
from audit.services.sites import parse_sites  # noqa: E402
from audit.store import open_database  # noqa: E402
from audit.store.sites import import_sites  # noqa: E402

OUT = ROOT / "bench" / "out"
SEED = 2020
# The checklist each kind of site is planned with, daily.
PLANNED = {
    "isolation_point": "isolation_point",
    "fever_clinic": "fever_clinic",
    "hospital": "fever_clinic",
    "community_health_centre": "fever_clinic",
    "community": "ppe_use",
    "enterprise": "business_resumption",
    "checkpoint": "quarantine_transfer",
}
OWN_ROUND = [f"CC-ISO-{n:03d}" for n in range(1, 11)]  # the bench inspector's own plan, the same in both
# Not among the demo's inspectors (audit.demo.wording): a generated name would give the inspector the fixes of
# that name's share of the findings, 1 on the baseline and 20 (the home's limit) on the large database.
INSPECTOR_NAME = "宋启航"

# Districts of the city beside the registry's 崇川区, and name stems for their places.
DISTRICTS = [
    ("崇川区", "Chongchuan District"),
    ("通州区", "Tongzhou District"),
    ("海门区", "Haimen District"),
    ("如皋市", "Rugao City"),
    ("海安市", "Hai'an City"),
    ("如东县", "Rudong County"),
    ("启东市", "Qidong City"),
]
STEMS = [
    ("东兴", "Dongxing"),
    ("文峰", "Wenfeng"),
    ("和平", "Heping"),
    ("新华", "Xinhua"),
    ("人民", "Renmin"),
    ("建设", "Jianshe"),
    ("解放", "Jiefang"),
    ("胜利", "Shengli"),
    ("长江", "Changjiang"),
    ("滨江", "Binjiang"),
    ("金沙", "Jinsha"),
    ("石港", "Shigang"),
    ("兴仁", "Xingren"),
    ("平潮", "Pingchao"),
    ("刘桥", "Liuqiao"),
    ("先锋", "Xianfeng"),
    ("川姜", "Chuanjiang"),
    ("袁灶", "Yuanzao"),
    ("二甲", "Erjia"),
    ("东社", "Dongshe"),
    ("三余", "Sanyu"),
    ("西亭", "Xiting"),
    ("城中", "Chengzhong"),
    ("城北", "Chengbei"),
    ("城南", "Chengnan"),
    ("城西", "Chengxi"),
    ("三厂", "Sanchang"),
    ("悦来", "Yuelai"),
    ("常乐", "Changle"),
    ("临江", "Linjiang"),
    ("丁堰", "Dingyan"),
    ("白蒲", "Baipu"),
    ("林梓", "Linzi"),
    ("磨头", "Motou"),
    ("搬经", "Banjing"),
    ("雅周", "Yazhou"),
    ("曲塘", "Qutang"),
    ("李堡", "Libao"),
    ("角斜", "Jiaoxie"),
    ("南莫", "Nanmo"),
    ("掘港", "Juegang"),
    ("栟茶", "Bencha"),
    ("洋口", "Yangkou"),
    ("岔河", "Chahe"),
    ("汇龙", "Huilong"),
    ("吕四", "Lvsi"),
    ("寅阳", "Yinyang"),
    ("王鲍", "Wangbao"),
    ("近海", "Jinhai"),
    ("惠萍", "Huiping"),
]
COMMUNITIES = [
    ("光华", "Guanghua"),
    ("团结", "Tuanjie"),
    ("友谊", "Youyi"),
    ("幸福", "Xingfu"),
    ("安康", "Ankang"),
    ("永安", "Yong'an"),
    ("新桥", "Xinqiao"),
    ("花园", "Huayuan"),
    ("朝阳", "Chaoyang"),
    ("青年", "Qingnian"),
    ("育才", "Yucai"),
    ("春晖", "Chunhui"),
]
HOTELS = [("宾馆", "Hotel"), ("商务酒店", "Business Hotel"), ("大酒店", "Grand Hotel"), ("快捷酒店", "Express Hotel")]
TRADES = [
    ("纺织", "Textiles"),
    ("机械", "Machinery"),
    ("电子", "Electronics"),
    ("食品", "Foods"),
    ("建材", "Building Materials"),
    ("船舶配件", "Marine Parts"),
]
KIND_SHARE = {
    "community": 0.38,
    "enterprise": 0.2,
    "community_health_centre": 0.1,
    "isolation_point": 0.1,
    "checkpoint": 0.08,
    "hospital": 0.07,
    "fever_clinic": 0.07,
}


def generated_sites(count: int, rng: np.random.Generator) -> list[dict[str, str]]:
    """`count` sites over 7 districts × 50 subdistricts × 12 communities, kinds in the registry's shares."""
    kinds = rng.choice(list(KIND_SHARE), size=count, p=list(KIND_SHARE.values()))
    rows = []
    for number, kind in enumerate(kinds, start=1):
        district = DISTRICTS[number % len(DISTRICTS)]
        stem = STEMS[(number // len(DISTRICTS)) % len(STEMS)]
        suffix = (
            ("镇", "Town")
            if stem[0] in ("石港", "平潮", "二甲", "丁堰", "白蒲", "李堡", "吕四")
            else ("街道", "Subdistrict")
        )
        community = COMMUNITIES[(number // (len(DISTRICTS) * len(STEMS))) % len(COMMUNITIES)]
        place_zh, place_en = stem[0] + community[0], f"{stem[1]} {community[1]}"
        hotel, trade = HOTELS[number % len(HOTELS)], TRADES[number % len(TRADES)]
        name, unit = {
            "community": (
                (f"{place_zh}社区", f"{place_en} Community"),
                (f"{place_zh}社区居委会", f"{place_en} Community Residents' Committee"),
            ),
            "enterprise": ((f"南通{place_zh}{trade[0]}有限公司", f"Nantong {place_en} {trade[1]} Co., Ltd."), None),
            "community_health_centre": ((f"{place_zh}社区卫生服务站", f"{place_en} Community Health Station"), None),
            "isolation_point": (
                (f"{place_zh}{hotel[0]}集中隔离点", f"{place_en} {hotel[1]} isolation point"),
                (f"{place_zh}{hotel[0]}集中隔离点工作专班", f"{place_en} {hotel[1]} task force"),
            ),
            "checkpoint": (
                (f"{place_zh}道口检查站", f"{place_en} road checkpoint"),
                (f"{stem[0]}{suffix[0]}防控指挥部", f"{stem[1]} {suffix[1]} prevention command"),
            ),
            "hospital": ((f"{district[0]}{place_zh}医院", f"{district[1]} {place_en} Hospital"), None),
            "fever_clinic": (
                (f"{district[0]}{place_zh}医院发热门诊", f"{district[1]} {place_en} Hospital fever clinic"),
                (f"{district[0]}{place_zh}医院", f"{district[1]} {place_en} Hospital"),
            ),
        }[kind]
        unit = unit or name
        rows.append(
            {
                "code": f"BX-{kind[:3].upper()}-{number:05d}",
                "name_zh": name[0],
                "name_en": name[1],
                "kind": kind,
                "district_zh": district[0],
                "district_en": district[1],
                "subdistrict_zh": stem[0] + suffix[0],
                "subdistrict_en": f"{stem[1]} {suffix[1]}",
                "community_zh": f"{place_zh}社区",
                "community_en": f"{place_en} Community",
                "unit_zh": unit[0],
                "unit_en": unit[1],
            }
        )
    return rows


def build(path: Path, *, sites: int, findings: int, today: date) -> tuple[dict[str, User], float | None]:
    """The database at `path`, built aside and renamed when complete; reused when present."""
    if path.exists():
        database = open_database(path)
        try:
            people = people_of(database)
            if people["bench.inspector"].display_name != INSPECTOR_NAME:  # built when the bench used a demo name
                people["bench.inspector"] = set_role(
                    database, None, "bench.inspector", "inspector", display_name=INSPECTOR_NAME
                )
            started = time.perf_counter()
            plans.ensure_tasks(database, today, now=datetime.now())  # a later day than the build's
            print(f"{path.name}: reused; tasks brought up to {today} in {time.perf_counter() - started:.1f} s")
        finally:
            database.close()
        return people, None
    building = path.with_name(path.name + ".building")
    for stale in (building, building.with_name(building.name + ".wal")):
        stale.unlink(missing_ok=True)
    started = time.perf_counter()
    database = open_database(building)
    try:
        sync_checklists(database, checklists_directory())
        registry = parse_sites(SITES_CSV)
        extra = generated_sites(max(0, sites - len(registry)), np.random.default_rng(SEED))
        with database.write() as cursor:
            import_sites(cursor, registry + extra, actor="bench")
        people = {
            name: add_user(database, None, username=name, role=role, password=generate_password(), display_name=display)
            for name, role, display in (
                ("bench.inspector", "inspector", INSPECTOR_NAME),
                ("bench.team", "inspector", "全市督查组"),
                ("bench.supervisor", "supervisor", "周岚"),
            )
        }
    finally:
        database.close()
    print(f"{path.name}: {len(registry) + len(extra):,} sites in {time.perf_counter() - started:.1f} s")
    started = time.perf_counter()
    generate_file(building, load_checklists(checklists_directory()).checklists, findings=findings, seed=SEED)
    print(f"{path.name}: {findings:,} findings in {time.perf_counter() - started:.1f} s")
    database = open_database(building)
    try:
        add_plans(database, people, today)
        started = time.perf_counter()
        added = plans.ensure_tasks(database, today, now=datetime.now())
        made = time.perf_counter() - started
        print(f"{path.name}: ensure_tasks made {added:,} tasks (a year) in {made:.1f} s")
    finally:
        database.close()
    for suffix in ("", ".wal"):
        if building.with_name(building.name + suffix).exists():
            os.replace(building.with_name(building.name + suffix), path.with_name(path.name + suffix))
    return people, made


def add_plans(database, people: dict[str, User], today: date) -> None:
    start, now = today - timedelta(days=364), datetime.now()
    for kind, checklist in PLANNED.items():
        plans.add_plan(
            database,
            people["bench.supervisor"],
            name=f"{SiteKind(kind).value} 每日督查",
            checklist_ids=[checklist],
            site_kind=kind,
            team=["bench.team"],
            every="daily",
            start=start,
            end=today,
            now=now,
        )
    plans.add_plan(
        database,
        people["bench.supervisor"],
        name=f"隔离点每日巡查（{INSPECTOR_NAME}）",
        checklist_ids=["isolation_point"],
        site_codes=OWN_ROUND,
        team=["bench.inspector"],
        every="daily",
        start=start,
        end=today,
        now=now,
    )


def people_of(database) -> dict[str, User]:
    from audit.services.accounts import list_users

    return {user.username: user for user in list_users(database, None)}


def coverage_ms(path: Path, supervisor: User, today: date, runs: int) -> dict[str, float]:
    """Median time of a month's coverage for all sites, by each grouping the plans page offers."""
    database = open_database(path)
    try:
        result = {}
        for by in ("subdistrict", "site_kind", "team", "checklist"):
            times = []
            for _ in range(runs):
                started = time.perf_counter()
                rows = plans.coverage(
                    database,
                    supervisor,
                    start=today - timedelta(days=29),
                    end=today,
                    by=by,
                    today=today,
                    now=datetime.now(),
                )
                times.append((time.perf_counter() - started) * 1000)
            result[by] = statistics.median(times)
            print(
                f"coverage of 30 days by {by}: {sum(r.due for r in rows):,} tasks due, "
                f"{sum(r.done for r in rows):,} done, {result[by]:.0f} ms"
            )
    finally:
        database.close()
    return result


def open_home(path: Path, inspector: User) -> AppTest:
    os.environ["AUDIT_DB"] = str(path)
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
    app.session_state["user"] = inspector
    app.run()
    app.run()
    if app.exception or not app.subheader:
        raise SystemExit(f"the home page did not draw: {app.exception or app.main}")
    print(f"{path.name}: home shows " + " · ".join(f"“{header.value}”" for header in app.subheader))
    return app


def rerun_ms(pages: dict[Path, AppTest], runs: int) -> dict[Path, float]:
    """Median wall time of one rerun per database; the databases take turns so load drift hits both."""
    times: dict[Path, list[float]] = {path: [] for path in pages}
    for _ in range(runs):
        for path, app in pages.items():
            os.environ["AUDIT_DB"] = str(path)
            started = time.perf_counter()
            app.run()
            times[path].append((time.perf_counter() - started) * 1000)
    return {path: statistics.median(values) for path, values in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sites", type=int, default=10_000)
    parser.add_argument("--findings", type=int, default=1_000_000)
    parser.add_argument("--baseline", type=int, default=1_000)
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args()
    if INSPECTOR_NAME in INSPECTORS:
        raise SystemExit(f"{INSPECTOR_NAME} is one of the demo's inspectors: the two homes would show unlike work")
    OUT.mkdir(parents=True, exist_ok=True)
    today = date.today()
    large = OUT / f"plans-{args.sites}-{args.findings}.duckdb"
    small = OUT / f"plans-registry-{args.baseline}.duckdb"
    people, made = build(large, sites=args.sites, findings=args.findings, today=today)
    small_people, _ = build(small, sites=0, findings=args.baseline, today=today)
    month = coverage_ms(large, people["bench.supervisor"], today, args.runs)
    homes = {
        large: open_home(large, people["bench.inspector"]),
        small: open_home(small, small_people["bench.inspector"]),
    }
    median = rerun_ms(homes, args.runs)
    print(f"home rerun: {median[small]:.0f} ms on {small.name}, {median[large]:.0f} ms on {large.name}")
    if made is not None:
        print(f"ensure_tasks_year_s={made:.1f}")
    print(
        f"plans sites={args.sites} coverage_month_ms={month['subdistrict']:.0f} "
        f"home_ratio={median[large] / median[small]:.2f}"
    )


if __name__ == "__main__":
    main()
