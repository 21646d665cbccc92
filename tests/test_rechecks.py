"""回头看: a fair, repeatable draw of closed findings; re-checks that hold or relapse; progress and relapse rates."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from datetime import date, datetime, timedelta

import pytest

from audit.errors import Conflict, InvalidInput, PermissionDenied
from audit.model import CampaignFilter, RecheckOutcome, Severity, Status
from audit.services import rechecks as service
from audit.services.accounts import add_user, generate_password
from audit.services.checklists import sync_checklists
from audit.services.sites import import_sites_csv
from audit.store.findings import get_finding, insert_finding, raise_sequence
from audit.store.inspections import Inspection, insert_inspection
from audit.store.sites import list_sites
from tests.conftest import ROOT
from tests.factories import make_finding

NOW = datetime(2026, 4, 2, 9, 0)
MARCH = CampaignFilter(date(2026, 3, 1), date(2026, 3, 31))
UNITS = ("光明社区居委会", "光明商务酒店集中隔离点工作专班")
SITES = ("CC-COM-001", "CC-ISO-001")  # a community and an isolation point


@pytest.fixture
def office(db):
    sync_checklists(db, ROOT / "checklists")
    import_sites_csv(db, ROOT / "data" / "sites.csv", "test")
    people = {
        name: add_user(db, None, username=name, role=role, password=generate_password(), unit=unit)
        for name, role, unit in (
            ("li.na", "inspector", None),
            ("wang.qiang", "inspector", None),
            ("zhou.lan", "supervisor", None),
            ("guangming", "unit", UNITS[0]),
        )
    }
    with db.read() as cursor:
        sites = {site.code: site for site in list_sites(cursor)}
    people["sites"] = sites
    # 20 findings closed in March: finding n is at site n % 2 (with its unit), of severity n % 3, closed on day n + 1.
    people["march"] = {}
    severities = list(Severity)
    with db.write() as cursor:
        for n in range(20):
            finding = make_finding(
                f"2026-{n + 1:04d}",
                site_id=sites[SITES[n % 2]].id,
                responsible_unit=UNITS[n % 2],
                severity=severities[n % 3],
                status=Status.CLOSED,
                found_at=datetime(2026, 2, 20),
                closed_at=datetime(2026, 3, n + 1, 16, 0),
                description=f"问题 {n + 1}",
                checklist_id="isolation_point",
                item_id=f"item-{n}",
            )
            insert_finding(cursor, finding)
            people["march"][finding.id] = finding
        # Not drawn: closed in February, still open, and a unit's own self-reported finding.
        insert_finding(
            cursor,
            make_finding(
                "2026-0021", site_id=sites[SITES[0]].id, status=Status.CLOSED, closed_at=datetime(2026, 2, 28, 23, 0)
            ),
        )
        insert_finding(cursor, make_finding("2026-0022", site_id=sites[SITES[0]].id, status=Status.OPEN))
        insert_inspection(
            cursor,
            Inspection(
                id="self-1",
                site_id=sites[SITES[0]].id,
                checklist_id="isolation_point",
                checklist_version=1,
                checklist_hash="h",
                inspectors=["专班"],
                started_at=datetime(2026, 3, 5, 9),
                status="submitted",
                created_by="guangming",
            ),
        )
        cursor.execute("UPDATE inspections SET self_reported = true WHERE id = 'self-1'")
        insert_finding(
            cursor,
            make_finding(
                "2026-0023",
                site_id=sites[SITES[0]].id,
                status=Status.CLOSED,
                inspection_id="self-1",
                closed_at=datetime(2026, 3, 6, 9, 0),
            ),
        )
        raise_sequence(cursor, 2026, 23)
    return people


def start(db, office, **changes):
    options = dict(name="三月销号问题回头看", scope=MARCH, team=["li.na"], due=date(2026, 4, 10), now=NOW)
    return service.start_campaign(db, office["zhou.lan"], **(options | changes))


def drawn(db, office, campaign) -> list[str]:
    report = service.campaign_report(db, office["zhou.lan"], campaign.id, language="zh-CN")
    return sorted(item.finding_id for item in report.items)


def by_hand(ids, seed: int, size: int) -> list[str]:
    """The draw as the page explains it, done without the app: sort by sha256("seed:id"), take the first."""
    return sorted(sorted(ids, key=lambda i: (hashlib.sha256(f"{seed}:{i}".encode()).hexdigest(), i))[:size])


def logged(db) -> list[tuple[str, dict]]:
    with db.read() as cursor:
        return [
            (action, json.loads(after or "null"))
            for action, after in cursor.execute("SELECT action, after FROM audit_log ORDER BY seq").fetchall()
        ]


def test_the_sample_is_reproducible_from_its_seed_and_filter(db, office):
    first = start(db, office, sample_size=5, seed=20260402)
    again = start(db, office, name="复核抽样", sample_size=5, seed="20260402")
    other = start(db, office, name="另一种子", sample_size=5, seed=7)
    assert first.population == 20 and first.drawn == 5 and first.seed == 20260402
    assert drawn(db, office, first) == drawn(db, office, again) == by_hand(office["march"], 20260402, 5)
    assert drawn(db, office, other) == by_hand(office["march"], 7, 5) != drawn(db, office, first)
    # A share is rounded up; a filter narrows the population before the draw.
    share = start(db, office, name="四分之一", sample_share=0.25, seed=11)
    assert share.drawn == 5 and drawn(db, office, share) == by_hand(office["march"], 11, 5)
    kind = CampaignFilter(MARCH.closed_from, MARCH.closed_to, site_kind="isolation_point", severity="major")
    narrowed = start(db, office, name="隔离点较重问题", scope=kind, seed=3)
    expected = [
        i
        for i, f in office["march"].items()
        if f.site_id == office["sites"]["CC-ISO-001"].id and f.severity is Severity.MAJOR
    ]
    assert narrowed.population == len(expected) == 4 and drawn(db, office, narrowed) == sorted(expected)
    unit = start(db, office, name="单位", scope=CampaignFilter(MARCH.closed_from, date(2026, 3, 10), unit=UNITS[0]))
    assert drawn(db, office, unit) == sorted(
        i for i, f in office["march"].items() if f.responsible_unit == UNITS[0] and f.closed_at.day <= 10
    )


def test_a_seed_is_drawn_and_recorded_when_none_is_given(db, office):
    campaign = start(db, office, sample_size=3)
    assert service.campaigns(db, office["zhou.lan"])[0].seed == campaign.seed
    assert drawn(db, office, campaign) == by_hand(office["march"], campaign.seed, 3)
    [entry] = [after for action, after in logged(db) if action == "recheck.started"]
    assert entry["seed"] == campaign.seed and sorted(entry["findings"]) == drawn(db, office, campaign)


def test_a_relapse_opens_a_new_finding_linked_to_the_old_one_as_a_repeat(db, office):
    campaign = start(db, office, sample_size=2, seed=1)
    old_id = drawn(db, office, campaign)[0]
    opened = service.record_recheck(
        db, office["li.na"], campaign.id, old_id, outcome="relapsed", description="隔离房间门口又无人值守", now=NOW
    )
    old = office["march"][old_id]
    assert opened.number == "2026-0024"  # the next number of the year, as any finding gets
    assert opened.repeat_of == [old_id] and opened.status is Status.OPEN
    assert (opened.site_id, opened.responsible_unit, opened.item_id, opened.severity) == (
        old.site_id,
        old.responsible_unit,
        old.item_id,
        old.severity,
    )
    assert opened.deadline == NOW.date() + timedelta(days=old.severity.default_days)
    with db.read() as cursor:
        assert cursor.execute("SELECT is_repeat, repeat_of FROM findings WHERE id = ?", [opened.id]).fetchone() == (
            True,
            old_id,
        )
        assert get_finding(cursor, old_id).status is Status.CLOSED  # the old record stays as it was
    actions = [action for action, _ in logged(db)]
    assert actions[-2:] == ["finding.recorded", "recheck.recorded"]
    [item] = [
        i
        for i in service.campaign_report(db, office["zhou.lan"], campaign.id, language="zh-CN").items
        if i.finding_id == old_id
    ]
    assert item.outcome is RecheckOutcome.RELAPSED and item.new_number == "2026-0024" and item.checked_by == "li.na"
    # A second tap, or a second inspector, records nothing and opens nothing.
    with pytest.raises(Conflict):
        service.record_recheck(
            db, office["zhou.lan"], campaign.id, old_id, outcome="relapsed", description="又一次", now=NOW
        )
    with db.read() as cursor:
        assert cursor.execute("SELECT count(*) FROM findings").fetchone()[0] == 24


def test_held_opens_nothing_and_leaves_the_home_list(db, office):
    campaign = start(db, office, sample_size=2, seed=1)
    first, second = drawn(db, office, campaign)
    assert {i.finding_id for i in service.my_rechecks(db, office["li.na"], language="zh-CN")} == {first, second}
    assert service.my_rechecks(db, office["wang.qiang"], language="zh-CN") == []
    assert (
        service.record_recheck(db, office["li.na"], campaign.id, first, outcome="held", note="整改到位", now=NOW)
        is None
    )
    assert [i.finding_id for i in service.my_rechecks(db, office["li.na"], language="zh-CN")] == [second]
    with db.read() as cursor:
        assert cursor.execute("SELECT count(*) FROM findings").fetchone()[0] == 23


def test_progress_and_relapse_rates_agree_with_a_hand_count(db, office):
    campaign = start(db, office, seed=5)  # all 20
    ids = drawn(db, office, campaign)
    outcomes = {finding_id: ("relapsed" if n % 3 == 0 else "held") for n, finding_id in enumerate(ids[:12])}
    for finding_id, outcome in outcomes.items():
        service.record_recheck(
            db, office["li.na"], campaign.id, finding_id, outcome=outcome, description="反弹", now=NOW
        )
    report = service.campaign_report(db, office["zhou.lan"], campaign.id, language="zh-CN")
    assert (report.checked, len(report.items), report.relapsed) == (12, 20, 4)
    units = {r.group: (r.items, r.checked, r.relapsed) for r in report.by_unit}
    kinds = {r.group: (r.items, r.checked, r.relapsed) for r in report.by_site_kind}
    for unit, kind, _site in zip(UNITS, ("community", "isolation_point"), SITES, strict=True):
        mine = [i for i, f in office["march"].items() if f.responsible_unit == unit]
        hand = (len(mine), sum(i in outcomes for i in mine), sum(outcomes.get(i) == "relapsed" for i in mine))
        assert units[unit] == kinds[kind] == hand
    assert sum(r.relapsed for r in report.by_unit) == 4
    rates = {r.group: r.rate for r in report.by_unit}
    assert rates[UNITS[0]] == units[UNITS[0]][2] / units[UNITS[0]][1]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"sample_size": 0}, "sample_size"),
        ({"sample_size": 21}, "sample_size"),
        ({"sample_share": 1.5}, "sample_share"),
        ({"sample_share": 0.0}, "sample_share"),
        ({"sample_share": -0.2}, "sample_share"),
        ({"sample_size": 3, "sample_share": 0.5}, "sample_size"),
        ({"scope": CampaignFilter(date(2026, 1, 1), date(2026, 1, 31))}, "closed_from"),
        ({"scope": CampaignFilter(date(2026, 3, 31), date(2026, 3, 1))}, "closed_to"),
        ({"scope": CampaignFilter(MARCH.closed_from, MARCH.closed_to, site_kind="moon")}, "site_kind"),
        ({"seed": "abc"}, "seed"),
        ({"seed": -1}, "seed"),
        ({"team": []}, "team"),
        ({"team": ["guangming"]}, "team"),
        ({"due": date(2026, 4, 1)}, "due"),
        ({"name": "  "}, "name"),
    ],
)
def test_bad_input_is_refused_naming_the_field_and_nothing_is_saved(db, office, changes, field):
    with pytest.raises(InvalidInput) as refused:
        start(db, office, **changes)
    assert refused.value.field == field
    assert "recheck.error" not in refused.value.text("zh-CN") and "recheck.error" not in refused.value.message
    with db.read() as cursor:
        assert (
            cursor.execute(
                "SELECT (SELECT count(*) FROM recheck_campaigns) + (SELECT count(*) FROM recheck_items)"
            ).fetchone()[0]
            == 0
        )


def test_a_relapse_without_a_description_is_refused_and_opens_nothing(db, office):
    campaign = start(db, office, sample_size=1, seed=1)
    [finding_id] = drawn(db, office, campaign)
    for outcome, field in (("relapsed", "description"), ("maybe", "outcome")):
        with pytest.raises(InvalidInput) as refused:
            service.record_recheck(
                db, office["li.na"], campaign.id, finding_id, outcome=outcome, description=" ", now=NOW
            )
        assert refused.value.field == field
    assert service.campaign_report(db, office["zhou.lan"], campaign.id, language="en").checked == 0


def test_supervisors_start_inspectors_of_the_team_record_units_see_nothing(db, office):
    campaign = start(db, office, sample_size=1, seed=1)
    [finding_id] = drawn(db, office, campaign)
    unit, inspector, outsider = office["guangming"], office["li.na"], office["wang.qiang"]
    calls = [
        lambda: service.start_campaign(
            db, inspector, name="x", scope=MARCH, team=["li.na"], due=date(2026, 4, 10), now=NOW
        ),
        lambda: service.campaigns(db, inspector),
        lambda: service.campaign_report(db, inspector, campaign.id, language="en"),
        lambda: service.campaign_csv(db, inspector, campaign.id, language="en"),
        lambda: service.campaigns(db, unit),
        lambda: service.my_rechecks(db, unit, language="en"),
        lambda: service.record_recheck(db, unit, campaign.id, finding_id, outcome="held", now=NOW),
        lambda: service.record_recheck(db, outsider, campaign.id, finding_id, outcome="held", now=NOW),
    ]
    for call in calls:
        with pytest.raises(PermissionDenied):
            call()
    assert service.campaign_report(db, office["zhou.lan"], campaign.id, language="en").checked == 0


def test_the_export_is_utf8_with_bom_and_its_cells_inert(db, office):
    with db.write() as cursor:
        cursor.execute("UPDATE findings SET description = '=HYPERLINK(\"http://x\")' WHERE number = '2026-0001'")
    campaign = start(db, office, seed=9)
    data = service.campaign_csv(db, office["zhou.lan"], campaign.id, language="zh-CN")
    assert data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0][:3] == ["问题编号", "站点编码", "站点"] and len(rows) == 21
    [first] = [row for row in rows if row[0] == "2026-0001"]
    assert first[6] == '\'=HYPERLINK("http://x")'
    assert [row[0] for row in rows[1:]] == sorted(row[0] for row in rows[1:])


def test_self_reported_and_unclosed_findings_are_never_drawn(db, office):
    campaign = start(db, office, seed=2)
    assert campaign.population == 20 and set(drawn(db, office, campaign)) == set(office["march"])
