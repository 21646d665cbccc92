"""The real server process, started as `make run` starts it: headers, health, photos, operations, backups."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
from datetime import datetime
from pathlib import Path

import pytest

from audit import operations
from audit.photos import prepare_photo
from audit.services.photo_links import photo_address
from audit.store import open_database
from audit.store.photos import attach_photo, save_photo
from tests.conftest import ROOT
from tests.e2e.conftest import Server
from tests.factories import OTHER_UNIT, UNIT, picture, seed_ledger

EXPECTED = {"x-content-type-options": "nosniff", "referrer-policy": "same-origin"}


def get(url: str, headers: dict | None = None):
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, dict(response.headers.items()), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers.items()), error.read()


def lower(headers: dict) -> dict:
    return {name.lower(): value for name, value in headers.items()}


@pytest.fixture(scope="module")
def running(tmp_path_factory):
    """One server on a seeded database with a photo; (server, finding id, photo, addresses)."""
    folder = tmp_path_factory.mktemp("server")
    db_path = folder / "audit.duckdb"
    database = open_database(db_path)
    finding_id = seed_ledger(database)["2026-0001"]
    photo = prepare_photo(picture())
    with database.write() as cursor:
        save_photo(cursor, photo, datetime(2026, 3, 1, 9))
        attach_photo(cursor, finding_id, photo.sha256, stage="found", added_by="chenming", now=datetime(2026, 3, 1, 9))
    addresses = {
        user.username: photo_address(database, user, finding_id, photo.sha256, thumbnail=False)
        for user in (UNIT, OTHER_UNIT)
    }
    database.close()
    server = Server(db_path, AUDIT_BACKUP_KEEP="2")
    yield server, finding_id, photo, addresses
    server.stop()


def test_every_response_carries_the_security_headers(running):
    server = running[0]
    status, page_headers, page = get(server.url + "/")
    assert status == 200
    asset = re.search(rb'src="\.?(/static/js/[^"]+\.js)"', page).group(1).decode()
    responses = [
        lower(page_headers),
        lower(get(server.url + asset)[1]),
        lower(get(server.url + "/healthz")[1]),
        lower(get(server.url + "/photos/finding/x/y")[1]),
        lower(get(server.url + "/_app/connection.js")[1]),
    ]
    for headers in responses:
        for name, value in EXPECTED.items():
            assert headers[name] == value
        policy = headers["content-security-policy"]
        assert "frame-ancestors 'none'" in policy
        assert "default-src 'self'" in policy
        assert "unsafe-eval" not in policy and "script-src 'self' 'sha256-" in policy
        assert "*" not in policy and "http" not in policy  # nothing from another site


def test_the_pages_own_script_comes_from_this_server_as_javascript(running):
    status, headers, body = get(running[0].url + "/_app/connection.js")
    assert status == 200
    assert lower(headers)["content-type"].startswith("text/javascript")
    assert b".st-key-connection-resend" in body


def test_health_says_the_database_answers(running):
    status, _, body = get(running[0].url + "/healthz")
    assert status == 200
    assert json.loads(body)["status"] == "ok"


def test_photos_need_a_valid_address_and_the_right_account(running):
    server, finding_id, photo, addresses = running
    status, headers, body = get(server.url + addresses[UNIT.username])
    assert (status, body) == (200, photo.data)
    assert lower(headers)["content-type"] == "image/jpeg"
    assert lower(headers)["cache-control"].startswith("private")
    assert get(server.url + addresses[OTHER_UNIT.username])[0] in (403, 404)
    assert get(f"{server.url}/photos/finding/{finding_id}/{photo.sha256}")[0] == 403
    assert get(server.url + addresses[UNIT.username].replace("sig=", "sig=0"))[0] == 403


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "audit", *args], cwd=ROOT, capture_output=True, text=True, timeout=300, check=False
    )


def test_the_cli_backs_up_through_the_running_server(running, tmp_path):
    server = running[0]
    done = cli("backup", "--db", str(server.db_path), "--out", str(tmp_path / "copy"))
    assert done.returncode == 0, done.stderr
    assert "running app" in done.stdout
    manifest = json.loads((tmp_path / "copy" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["tables"]["findings"]["rows"] == 8
    again = cli("backup", "--db", str(server.db_path), "--out", str(tmp_path / "copy"))
    assert again.returncode == 1 and "not empty" in again.stderr


def post(port: int, path: str, body: bytes, headers: dict) -> int:
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=300) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_the_operations_route_refuses_forged_old_and_replayed_requests(running, tmp_path):
    from audit.secret_key import server_key

    server = running[0]
    port = operations.running_server(server.db_path)
    assert port is not None
    body = json.dumps({"out": str(tmp_path / "a"), "by": "test"}).encode()
    key = server_key(server.db_path)
    path = operations.BACKUP_PATH
    assert post(port, path, body, operations.signed_headers(b"not the key", path, body)) == 403
    assert post(port, path, body, operations.signed_headers(key, path, body, now=time.time() - 600)) == 403
    other = json.dumps({"out": str(tmp_path / "b"), "by": "test"}).encode()
    signed = operations.signed_headers(key, path, body)
    assert post(port, path, other, signed) == 403  # the signature covers the body
    assert post(port, path, body, signed) == 200
    assert post(port, path, body, signed) == 403  # the same request again
    assert (tmp_path / "a" / "manifest.json").is_file() and not (tmp_path / "b").exists()


def test_the_operations_route_listens_on_loopback_only(running):
    port = operations.running_server(running[0].db_path)
    with open("/proc/net/tcp") as table:
        listening = [line.split()[1] for line in table.readlines()[1:] if line.split()[3] == "0A"]
    assert f"0100007F:{port:04X}" in listening
    assert not any(address.endswith(f":{port:04X}") and address != f"0100007F:{port:04X}" for address in listening)


def test_the_server_backs_up_on_schedule(running):
    """On its first start the server backs up at once, into backups/ beside the database."""
    server = running[0]
    folder = Path(server.db_path).parent / "backups"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not list(folder.glob("audit-backup-*/manifest.json")):
        time.sleep(0.5)
    assert list(folder.glob("audit-backup-*/manifest.json"))
    assert json.loads(get(server.url + "/healthz")[2])["backup"] == "ok"


def test_without_a_server_the_cli_backs_up_directly(tmp_path):
    db_path = tmp_path / "audit.duckdb"
    open_database(db_path).close()
    operations.server_file(db_path).write_text(json.dumps({"pid": 2**22 + 12345, "port": 1}))  # a killed server's
    done = cli("backup", "--db", str(db_path), "--out", str(tmp_path / "copy"))
    assert done.returncode == 0, done.stderr
    assert "running app" not in done.stdout and (tmp_path / "copy" / "manifest.json").is_file()


def test_make_run_and_the_browser_tests_start_the_same_server():
    from tests.e2e.conftest import server_command

    dry = subprocess.run(
        ["make", "--no-print-directory", "-n", "run", "DB=x.duckdb", "PORT=9"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    command = dry.stdout.strip().splitlines()[-1]
    assert "-m uvicorn audit.ui.server:app" in command
    assert "audit.ui.server:app" in server_command(9) and "uvicorn" in server_command(9)
