"""Evidence photos are served only to a signed-in, enabled account allowed to see that finding.

The route is driven in-process here (the same Starlette route the server mounts), so the
database can be changed between requests; tests/security/test_server.py drives the real server.
"""

from __future__ import annotations

import time
from datetime import datetime
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from audit.errors import PermissionDenied
from audit.model import Result
from audit.photos import prepare_photo
from audit.services.photo_links import LIFETIME_SECONDS, STEP_SECONDS, photo_address
from audit.store.photos import attach_photo, save_photo
from audit.ui.routes import photo_route
from tests.factories import INSPECTOR, OTHER_UNIT, SUPERVISOR, UNIT, picture, seed_ledger


@pytest.fixture
def evidence(db):
    """A finding of 国胜 with one photo; returns (finding id, photo)."""
    finding_id = seed_ledger(db)["2026-0001"]
    photo = prepare_photo(picture())
    with db.write() as cursor:
        save_photo(cursor, photo, datetime(2026, 3, 1, 9))
        attach_photo(cursor, finding_id, photo.sha256, stage="found", added_by="chenming", now=datetime(2026, 3, 1, 9))
    return finding_id, photo


@pytest.fixture
def client(db):
    with TestClient(Starlette(routes=[photo_route(lambda: db)])) as client:
        yield client


def address(db, user, evidence, *, thumbnail=False, now=None) -> str:
    finding_id, photo = evidence
    return photo_address(db, user, finding_id, photo.sha256, thumbnail=thumbnail, now=now)


def with_query(url: str, **changes) -> str:
    parts = urlsplit(url)
    query = {name: values[0] for name, values in parse_qs(parts.query).items()} | changes
    return f"{parts.path}?{urlencode(query)}"


def test_the_owner_gets_the_photo_privately(db, client, evidence):
    answer = client.get(address(db, UNIT, evidence))
    assert answer.status_code == 200
    assert answer.content == evidence[1].data
    assert answer.headers["content-type"] == "image/jpeg"
    assert answer.headers["cache-control"].startswith("private")
    thumb = client.get(address(db, SUPERVISOR, evidence, thumbnail=True))
    assert (thumb.status_code, thumb.content) == (200, evidence[1].thumbnail)


def test_without_a_signature_nothing_is_served(db, client, evidence):
    finding_id, photo = evidence
    assert client.get(f"/photos/finding/{finding_id}/{photo.sha256}").status_code == 403
    assert client.get(urlsplit(address(db, UNIT, evidence)).path).status_code == 403


@pytest.mark.parametrize(
    "change",
    [
        {"account": SUPERVISOR.id},  # another account's name on the address
        {"size": "thumb"},  # another size than signed
        {"expires": "4102444800"},  # a later expiry than signed
        {"sig": "0" * 64},  # a made-up signature
    ],
)
def test_a_tampered_address_is_refused(db, client, evidence, change):
    assert client.get(with_query(address(db, UNIT, evidence), **change)).status_code == 403


def test_an_address_for_another_photo_does_not_open_this_one(db, client, evidence):
    photo = evidence[1]
    url = address(db, UNIT, evidence)
    other = url.replace(photo.sha256, "f" * 64)
    assert client.get(other).status_code == 403


def test_an_expired_address_is_refused(db, client, evidence):
    url = address(db, UNIT, evidence, now=time.time() - LIFETIME_SECONDS - STEP_SECONDS - 1)
    assert client.get(url).status_code == 403


def test_another_units_account_is_refused_even_with_a_valid_address(db, client, evidence):
    answer = client.get(address(db, OTHER_UNIT, evidence))
    assert answer.status_code in (403, 404)
    assert evidence[1].data not in answer.content and "国胜" not in answer.text


def test_a_disabled_account_is_refused_with_the_address_it_was_given(db, client, evidence):
    url = address(db, UNIT, evidence)
    assert client.get(url).status_code == 200
    with db.write() as cursor:
        cursor.execute("UPDATE users SET active = false WHERE id = ?", [UNIT.id])
    assert client.get(url).status_code == 403


def test_a_unit_moved_to_another_unit_loses_the_photo_at_once(db, client, evidence):
    url = address(db, UNIT, evidence)
    with db.write() as cursor:
        cursor.execute("UPDATE users SET unit = ? WHERE id = ?", [OTHER_UNIT.unit, UNIT.id])
    assert client.get(url).status_code in (403, 404)


def test_a_key_from_another_server_does_not_sign_for_this_one(db, client, evidence, monkeypatch):
    monkeypatch.setenv("AUDIT_SECRET_KEY", "k" * 40)
    from audit.settings import reload

    reload()
    try:
        url = address(db, UNIT, evidence)
    finally:
        monkeypatch.delenv("AUDIT_SECRET_KEY")
        reload()
    assert client.get(url).status_code == 403


def test_the_finding_page_shows_photos_from_the_signed_route_not_the_open_media_store(
    db_path, db, evidence, monkeypatch
):
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from tests.conftest import ROOT

    finding_id, photo = evidence
    db.close()
    monkeypatch.setenv("AUDIT_DB", str(db_path))
    st.cache_resource.clear()
    st.cache_data.clear()
    try:
        app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30)
        app.session_state["user"] = UNIT
        app.run()
        app.query_params["id"] = finding_id
        app.switch_page("audit/ui/finding.py").run()
        sources = [image.url for element in app.image for image in element.proto.imgs]
    finally:
        st.cache_resource.clear()
        st.cache_data.clear()
    assert len(sources) == 1
    assert urlsplit(sources[0]).path == f"/photos/finding/{finding_id}/{photo.sha256}"
    assert parse_qs(urlsplit(sources[0]).query)["account"] == [UNIT.id]


@pytest.fixture
def draft(db):
    """An inspection under way with a finding form holding one photo; (inspection id, draft id, photo hash)."""
    from audit.services import inspections
    from audit.services.checklists import checklists_directory, sync_checklists
    from tests.app.test_inspect import jpeg
    from tests.factories import add_site, make_site

    seed_ledger(db)  # the accounts
    sync_checklists(db, checklists_directory())
    site = add_site(db, make_site("国胜社区集中隔离点", "Guosheng isolation point"))
    inspection = inspections.start_inspection(
        db,
        INSPECTOR,
        site_id=site.id,
        checklist_id="quarantine_transfer",
        inspectors=["陈明"],
        started_at=datetime.now(),
    )
    for item in inspections.inspection_sheet(db, INSPECTOR, inspection.id).checklist.items:
        result = Result.FAIL if item.id == "QT-04" else Result.PASS
        inspections.record_response(db, INSPECTOR, inspection.id, item.id, result=result)
    form = inspections.inspection_sheet(db, INSPECTOR, inspection.id).draft_for("QT-04")
    inspections.save_finding_draft(db, INSPECTOR, form.id, description="同乘一车")
    kept = inspections.add_finding_photo(db, INSPECTOR, form.id, jpeg(), "car.jpg")
    return inspection.id, form.id, kept.photos[0]


def draft_address(db, user, draft) -> str:
    return photo_address(db, user, draft[1], draft[2], thumbnail=True, kind="draft")


def test_a_finding_forms_photo_is_served_to_the_inspector_while_the_form_is_open(db, client, draft):
    answer = client.get(draft_address(db, INSPECTOR, draft))
    assert answer.status_code == 200 and answer.headers["cache-control"].startswith("private")
    assert answer.headers["content-type"] == "image/jpeg"


def test_a_form_photo_address_refuses_units_disabled_accounts_and_other_kinds(db, client, draft):
    with pytest.raises(PermissionDenied):
        draft_address(db, UNIT, draft)  # a unit account cannot even be given one
    url = draft_address(db, INSPECTOR, draft)
    assert client.get(url.replace("/photos/draft/", "/photos/finding/")).status_code == 403  # signed for a form
    with db.write() as cursor:
        cursor.execute("UPDATE users SET active = false WHERE id = ?", [INSPECTOR.id])
    assert client.get(url).status_code == 403


def test_a_form_photo_is_no_longer_served_once_the_inspection_is_submitted(db, client, draft):
    from audit.services import inspections

    url = draft_address(db, INSPECTOR, draft)
    assert client.get(url).status_code == 200
    inspections.record_finding(db, INSPECTOR, draft[1])
    inspections.submit_inspection(db, INSPECTOR, draft[0])
    assert client.get(url).status_code in (403, 404)
