"""A unit account learns nothing of other units: another unit's finding is "not found", worded exactly
as a wrong id is, and no list offered to a unit names another unit's sites or findings."""

from __future__ import annotations

from datetime import datetime

import pytest

from audit.errors import NotFound
from audit.i18n import LANGUAGES
from audit.photos import prepare_photo
from audit.services import dashboard as analytics
from audit.services import rectification
from audit.services.ledger import filter_options, finding_detail, photo
from audit.store.photos import attach_photo, save_photo
from tests.factories import DISTRICT_SUPERVISOR as SUPERVISOR
from tests.factories import DISTRICT_TODAY as TODAY
from tests.factories import GUANGMING, GUOSHENG, OTHER_UNIT, build_district, picture, seed_ledger
from tests.factories import HOSPITAL_ACCOUNT as HOSPITAL


def not_found(call) -> NotFound:
    with pytest.raises(NotFound) as raised:
        call()
    return raised.value


@pytest.fixture
def ledger(db) -> dict[str, str]:
    return seed_ledger(db)


def test_another_units_finding_reads_as_a_wrong_id(db, ledger):
    theirs = ledger["2026-0001"]  # 国胜社区居委会's; OTHER_UNIT is 光明社区居委会
    missing = not_found(lambda: finding_detail(db, OTHER_UNIT, "no-such-finding"))
    hidden = not_found(lambda: finding_detail(db, OTHER_UNIT, theirs))
    acted = not_found(lambda: rectification.report_fix(db, OTHER_UNIT, theirs, version=1, fix_report="已整改"))
    for language in LANGUAGES:
        assert hidden.text(language) == missing.text(language) == acted.text(language)
        assert GUOSHENG not in hidden.text(language) and "2026-0001" not in hidden.text(language)
    assert (hidden.key, hidden.field) == (missing.key, missing.field)
    assert finding_detail(db, OTHER_UNIT, ledger["2026-0005"]).finding.responsible_unit == GUANGMING


def test_another_units_photo_reads_as_a_missing_photo(db, ledger):
    theirs = ledger["2026-0001"]
    prepared = prepare_photo(picture())
    with db.write() as cursor:
        save_photo(cursor, prepared, datetime(2026, 3, 1, 9))
        attach_photo(cursor, theirs, prepared.sha256, stage="found", added_by="chenming", now=datetime(2026, 3, 1))
    hidden = not_found(lambda: photo(db, OTHER_UNIT, theirs, prepared.sha256, thumbnail=True))
    missing = not_found(lambda: photo(db, OTHER_UNIT, theirs, "0" * 64, thumbnail=True))
    assert hidden.text("zh-CN") == missing.text("zh-CN")


def test_the_ledger_filters_offer_a_unit_only_its_own(db, ledger):
    options = filter_options(db, OTHER_UNIT, "zh-CN")
    assert [label for _, label in options["site"]] == ["光明发热门诊"]
    assert [value for value, _ in options["unit"]] == [GUANGMING]


def test_the_dashboard_filters_offer_a_unit_only_its_own_sites(db):
    district = build_district(db, TODAY)
    everything = analytics.filter_choices(db, SUPERVISOR, "zh-CN")
    assert set(everything.site_names()) == {district["A"], district["B"], district["C"]}
    own = analytics.filter_choices(db, HOSPITAL, "zh-CN")
    assert own.site_names() == {district["B"]: "市中医院发热门诊"}
    assert own.subdistricts() == {"钟秀街道": "钟秀街道"}
    assert own.communities("虹桥街道") == {}
