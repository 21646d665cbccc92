"""Pages show evidence photos from the signed photo route, never from Streamlit's open media store."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from audit.services import inspections as service
from audit.store import open_database
from tests.app.test_inspect import CHEN, signed_in, sites, walked  # noqa: F401 (sites is a fixture)


def test_a_submitted_inspection_shows_its_findings_photos_by_signed_address(make_app, sites, app_db):  # noqa: F811
    inspection_id = walked(app_db, sites["guosheng"])
    database = open_database(app_db)
    service.submit_inspection(database, CHEN, inspection_id)
    sheet = service.inspection_sheet(database, CHEN, inspection_id)
    photos = service.evidence(database, CHEN, sheet.findings)
    database.close()
    finding = sheet.findings[0]
    app = signed_in(make_app, inspection=inspection_id)
    sources = [image.url for element in app.image for image in element.proto.imgs]
    assert [urlsplit(url).path for url in sources] == [
        f"/photos/finding/{finding.id}/{sha}" for sha in photos[finding.id]
    ]
    assert all(parse_qs(urlsplit(url).query)["account"] == [CHEN.id] for url in sources)
