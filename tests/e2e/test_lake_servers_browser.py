"""Two app servers on one lake, with worker processes and a command-line import writing at the same time.

Each server is the real ASGI app under uvicorn, in a process of its own, and Chromium walks one inspection
on each (the worked case's two checklists, a finding with a photo each). Meanwhile two worker processes
write the volume through the services (answers, findings and fix reports, a few hundred writes between
them, and each tries to report a fix of the same finding at once), and `python -m audit sites import`
adds sites. Afterwards every write acknowledged anywhere is in the lake, the second edit of the shared
finding was refused naming who saved first, and `verify-log` and `check` pass.
"""

from __future__ import annotations

import itertools

import pytest
from PIL import Image

from audit.services.sites import import_sites_csv
from audit.store import open_database
from audit.store.findings import findings_of_inspection
from tests.conftest import ROOT
from tests.e2e.conftest import account, sign_in
from tests.e2e.test_inspect_browser import PPE, TRANSFER, count_messages, go, start, submit, walk
from tests.factories import csv_text, site_row
from tests.lake.scene import set_scene
from tests.lake.test_many_writers import _all_present, _cli, _journal, _verified, _writer

pytestmark = pytest.mark.e2e

ROUNDS = 20  # each round of a worker: an inspection, four answers, a form, a finding, a fix report


def _inspection(page, server, credentials, checklist: str, sections, failures, photo, found: list):
    """The steps of one inspection in a browser, to be taken in turns with the other server's."""
    return [
        lambda: sign_in(page, f"{server.url}/inspect", *credentials),
        lambda: start(page, checklist),
        lambda: found.append(go(page)),
        *[lambda section=section: walk(page, [section], failures, photo) for section in sections],
        lambda: submit(page, f"lake-{checklist}"),
    ]


def test_two_servers_workers_and_the_command_line_on_one_lake_lose_nothing(
    lake_target, monkeypatch, tmp_path, start_server, browser
):
    monkeypatch.setenv("AUDIT_DB", lake_target)
    database = open_database(lake_target)
    import_sites_csv(database, ROOT / "data" / "sites.csv", "test")
    shared = set_scene(database)
    credentials = account(lake_target, "inspector")
    servers = [start_server(lake_target, tmp_path / f"server-{n}.log") for n in range(2)]
    assert len({server.port for server in servers}) == 2

    workers = [_writer(tmp_path, name, shared, rounds=ROUNDS) for name in ("first", "second")]
    sites = tmp_path / "sites.csv"
    sites.write_text(
        csv_text([site_row(f"CLI-{n}", name_zh=f"命令行导入站点{n}", name_en=f"Imported site {n}") for n in range(5)]),
        encoding="utf-8",
    )
    command_line = _cli("sites", "import", str(sites))

    photo = tmp_path / "evidence.jpg"
    Image.new("RGB", (800, 600), "navy").save(photo, format="JPEG")
    pages, found = [], {}
    for name in ("transfer", "ppe"):
        context = browser.new_context(viewport={"width": 820, "height": 1180}, locale="zh-CN")
        page = context.new_page()
        page.viewport_name = "portrait"
        count_messages(page)
        pages.append(page)
        found[name] = []
    steps = [
        _inspection(
            pages[0],
            servers[0],
            credentials,
            "规范转运",
            TRANSFER,
            {"QT-04": ("私家车转运", "")},
            photo,
            found["transfer"],
        ),
        _inspection(
            pages[1], servers[1], credentials, "个人防护", PPE, {"PPE-01": ("仅戴普通口罩", "")}, photo, found["ppe"]
        ),
    ]
    for step in itertools.chain.from_iterable(itertools.zip_longest(*steps)):
        if step is not None:
            step()
    for page in pages:
        page.context.close()

    output, _ = command_line.communicate(timeout=600)
    assert command_line.returncode == 0, output
    for process, _ in workers:
        output, _ = process.communicate(timeout=900)
        assert process.returncode == 0, output
    for server in servers:
        assert server.process.poll() is None, f"a server stopped; see {server.log.name}"

    entries = [entry for _, journal in workers for entry in _journal(journal)]
    assert sum(entry["kind"] == "finding" for entry in entries) == 2 * ROUNDS
    _all_present(database, entries)
    with database.read() as cursor:
        by_browser = {name: findings_of_inspection(cursor, ids[0]) for name, ids in found.items()}
        assert cursor.execute("SELECT count(*) FROM sites WHERE code LIKE 'CLI-%'").fetchone()[0] == 5
    assert [f.item_id for f in by_browser["transfer"]] == ["QT-04"]
    assert [f.item_id for f in by_browser["ppe"]] == ["PPE-01"]
    contested = sorted(entry["outcome"] for entry in entries if entry["kind"] == "contested")
    assert contested == ["Conflict", "saved"]
    refusal = next(entry["message"] for entry in entries if entry.get("outcome") == "Conflict")
    assert "guosheng" in refusal or "国胜社区" in refusal
    _verified(database)
    for command in ("verify-log", "check"):
        result = _cli(command)
        output, _ = result.communicate(timeout=300)
        assert result.returncode == 0, output
    database.close()
