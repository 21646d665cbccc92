"""Staying signed in: the stored sessions, and the routes that set and clear the cookie.

The routes are driven in-process (the same Starlette routes the server mounts); the browser
tests in tests/e2e/test_session_browser.py drive the real server in Chromium.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from click.testing import CliRunner
from starlette.applications import Starlette
from starlette.testclient import TestClient

from audit.cli import cli
from audit.errors import NotFound, PermissionDenied
from audit.services import accounts, sessions
from audit.services.sessions import digest
from audit.ui.session_routes import COOKIE, END, START, session_routes

PASSWORD = "Gq7-mesa-lantern-river"
T0 = datetime(2026, 3, 1, 22, 0)
SAME = {"sec-fetch-site": "same-origin"}


@pytest.fixture
def people(db):
    admin = accounts.add_user(db, None, username="admin1", role="admin", password=PASSWORD)
    inspector = accounts.add_user(db, None, username="chen.ming", role="inspector", password=PASSWORD)
    return admin, inspector


def token_for(db, user, now=T0) -> tuple[str, str]:
    started = sessions.start(db, user, client="10.0.0.7 · test", now=now)
    token = sessions.redeem(db, started.code, now=now + timedelta(seconds=5))
    assert token
    return started.session_id, token


def rows(db) -> list[tuple]:
    with db.read() as cursor:
        return cursor.execute("SELECT * FROM browser_sessions").fetchall()


def test_only_hashes_of_the_token_and_code_are_stored(db, people):
    started = sessions.start(db, people[1], client="10.0.0.7 · test", now=T0)
    assert started.code not in repr(rows(db))
    token = sessions.redeem(db, started.code, now=T0)
    stored = repr(rows(db))
    assert token not in stored and started.code not in stored
    assert digest(token) in stored
    session_id, user_id, token_hash, *_ = rows(db)[0]
    assert (session_id, user_id, token_hash) == (started.session_id, people[1].id, digest(token))


def test_a_code_is_single_use_and_short_lived(db, people):
    started = sessions.start(db, people[1], now=T0)
    assert sessions.redeem(db, started.code, now=T0 + timedelta(seconds=5))
    assert sessions.redeem(db, started.code, now=T0 + timedelta(seconds=6)) is None
    late = sessions.start(db, people[1], now=T0)
    assert sessions.redeem(db, late.code, now=T0 + timedelta(seconds=sessions.CODE_SECONDS + 1)) is None
    assert sessions.redeem(db, late.code, now=T0) is None  # an expired code is forgotten
    assert sessions.redeem(db, "made-up", now=T0) is None


def test_a_cookie_signs_in_within_the_idle_window_and_counts_as_use(db, people):
    _, token = token_for(db, people[1])
    later = T0 + timedelta(minutes=29)
    outcome = sessions.resume(db, token, idle_minutes=30, now=later)
    assert outcome.user is not None and outcome.user.id == people[1].id
    # that use moved the idle clock on: 29 minutes after it the session still holds
    assert sessions.resume(db, token, idle_minutes=30, now=later + timedelta(minutes=29)).user is not None


def test_idle_ends_the_session_for_good(db, people):
    session_id, token = token_for(db, people[1])
    outcome = sessions.resume(db, token, idle_minutes=30, now=T0 + timedelta(minutes=31))
    assert (outcome.user, outcome.ended) == (None, sessions.IDLE)
    # coming back later with a shorter gap does not revive it
    assert sessions.check(db, session_id, idle_minutes=30, now=T0 + timedelta(minutes=32)).user is None


def test_a_session_ends_after_the_day_even_when_used(db, people):
    _, token = token_for(db, people[1])
    moment = T0
    while moment <= T0 + timedelta(hours=sessions.MAX_HOURS):
        moment += timedelta(minutes=20)
        outcome = sessions.resume(db, token, idle_minutes=30, now=moment)
    assert outcome.ended == sessions.EXPIRED


@pytest.mark.parametrize(
    "change, reason",
    [
        (lambda db, admin: accounts.set_active(db, admin, "chen.ming", False), sessions.DISABLED),
        (lambda db, admin: accounts.reset_password(db, admin, "chen.ming"), sessions.PASSWORD_RESET),
        (lambda db, admin: sessions.end_sessions(db, admin, "chen.ming"), sessions.BY_ADMIN),
    ],
)
def test_disable_reset_and_the_admin_end_every_session_at_once(db, people, change, reason):
    admin, inspector = people
    first, token = token_for(db, inspector)
    second, _ = token_for(db, inspector)
    own, _ = token_for(db, admin)
    change(db, admin)
    for session_id in (first, second):
        outcome = sessions.check(db, session_id, idle_minutes=30, now=T0 + timedelta(minutes=1))
        assert (outcome.user, outcome.ended) == (None, reason)
    assert sessions.resume(db, token, idle_minutes=30, now=T0 + timedelta(minutes=1)).user is None
    assert sessions.check(db, own, idle_minutes=30, now=T0 + timedelta(minutes=1)).user is not None


def test_sign_out_everywhere_ends_only_the_users_own_sessions(db, people):
    admin, inspector = people
    mine = [token_for(db, inspector)[0] for _ in range(3)]
    theirs, _ = token_for(db, admin)
    assert sessions.sign_out_everywhere(db, inspector, now=T0) == 3
    assert all(sessions.check(db, s, idle_minutes=30, now=T0).ended == sessions.EVERYWHERE for s in mine)
    assert sessions.check(db, theirs, idle_minutes=30, now=T0).user is not None


def test_only_an_admin_ends_someone_elses_sessions(db, people):
    admin, inspector = people
    with pytest.raises(PermissionDenied):
        sessions.end_sessions(db, inspector, "admin1")
    with pytest.raises(NotFound):
        sessions.end_sessions(db, admin, "nobody")


def test_the_command_line_signs_an_account_out(db_path, db, people):
    session_id, _ = token_for(db, people[1])
    db.close()
    result = CliRunner().invoke(cli, ["users", "sign-out", "chen.ming", "--db", str(db_path)])
    assert result.exit_code == 0, result.output
    assert "1 session ended" in result.output
    from audit.store import open_database

    again = open_database(db_path)
    try:
        assert sessions.check(again, session_id, idle_minutes=30).ended == sessions.BY_ADMIN
    finally:
        again.close()


# --- the routes -----------------------------------------------------------------------------


@pytest.fixture
def client(db):
    with TestClient(Starlette(routes=session_routes(lambda: db)), base_url="https://audit.example") as client:
        yield client


def test_the_cookie_is_httponly_strict_secure_and_holds_a_stored_token(db, people, client):
    started = sessions.start(db, people[1])
    answer = client.get(f"{START}?code={started.code}", headers=SAME)
    assert answer.status_code == 204
    flags = answer.headers["set-cookie"].lower()
    for flag in ("httponly", "samesite=strict", "secure", "path=/"):
        assert flag in flags
    token = answer.cookies[COOKIE]
    assert sessions.resume(db, token, idle_minutes=30).user.id == people[1].id


def test_over_plain_http_the_cookie_is_not_marked_secure(db, people):
    with TestClient(Starlette(routes=session_routes(lambda: db)), base_url="http://tablet.local") as plain:
        answer = plain.get(f"{START}?code={sessions.start(db, people[1]).code}", headers=SAME)
    assert answer.status_code == 204 and "secure" not in answer.headers["set-cookie"].lower()


def test_a_code_is_refused_when_replayed(db, people, client):
    code = sessions.start(db, people[1]).code
    assert client.get(f"{START}?code={code}", headers=SAME).status_code == 204
    client.cookies.clear()
    replay = client.get(f"{START}?code={code}", headers=SAME)
    assert replay.status_code == 403 and "set-cookie" not in replay.headers


@pytest.mark.parametrize(
    "headers",
    [
        {"sec-fetch-site": "cross-site"},
        {"sec-fetch-site": "same-site"},
        {"sec-fetch-site": "none"},
        {"origin": "https://evil.example"},
        {},
    ],
)
def test_cross_site_requests_are_refused_and_leave_the_code_unspent(db, people, client, headers):
    code = sessions.start(db, people[1]).code
    answer = client.get(f"{START}?code={code}", headers=headers)
    assert answer.status_code == 403 and "set-cookie" not in answer.headers
    assert client.get(f"{START}?code={code}", headers=SAME).status_code == 204


def test_a_post_with_the_pages_origin_is_accepted(db, people, client):
    code = sessions.start(db, people[1]).code
    answer = client.post(START, data={"code": code}, headers={"origin": "https://audit.example"})
    assert answer.status_code == 204 and COOKIE in answer.cookies


def test_signing_out_through_the_route_ends_the_session_and_clears_the_cookie(db, people, client):
    code = sessions.start(db, people[1]).code
    token = client.get(f"{START}?code={code}", headers=SAME).cookies[COOKIE]
    answer = client.get(END, headers=SAME)
    assert answer.status_code == 204
    assert f'{COOKIE}=""' in answer.headers["set-cookie"] and "max-age=0" in answer.headers["set-cookie"].lower()
    assert sessions.resume(db, token, idle_minutes=30).user is None


def test_a_cross_site_sign_out_is_refused(db, people, client):
    code = sessions.start(db, people[1]).code
    token = client.get(f"{START}?code={code}", headers=SAME).cookies[COOKIE]
    assert client.get(END, headers={"sec-fetch-site": "cross-site"}).status_code == 403
    assert sessions.resume(db, token, idle_minutes=30).user is not None
