"""Sign-in against a real DuckDB: attempt limits that hold under parallel guesses, one answer for every refusal."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

import pytest

from audit.errors import PermissionDenied
from audit.services import accounts
from audit.services.accounts import SignInRefused

PASSWORD = "correct horse battery"
T0 = datetime(2026, 3, 1, 23, 0)


@pytest.fixture
def checks(monkeypatch):
    """Every argon2 verification made, as True (the account's real hash) or False (the stand-in hash)."""
    made, hasher = [], accounts._HASHER

    class Counting:
        hash = staticmethod(hasher.hash)

        def verify(self, password_hash, password):
            made.append(password_hash != accounts._DUMMY_HASH)
            return hasher.verify(password_hash, password)

    monkeypatch.setattr(accounts, "_HASHER", Counting())
    return made


def attempts_logged(db) -> list[tuple[str, str | None]]:
    with db.read() as cursor:
        return cursor.execute(
            "SELECT action, after->>'reason' FROM audit_log WHERE action IN ('user.sign_in_failed', 'user.signed_in') "
            "ORDER BY seq"
        ).fetchall()


def at_once(count: int, attempt) -> list:
    """Run `attempt(i)` in `count` threads released together; each result or SignInRefused key."""
    barrier, results = threading.Barrier(count), [None] * count

    def run(i):
        barrier.wait()
        try:
            results[i] = attempt(i)
        except SignInRefused as error:
            results[i] = error.key

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_twenty_guesses_at_once_get_five_checks_and_all_are_logged(db, checks):
    accounts.add_user(db, None, username="admin1", role="admin", password=PASSWORD)
    results = at_once(20, lambda i: accounts.authenticate(db, "admin1", f"guess {i}", now=T0, address=f"10.0.0.{i}"))
    assert results == ["accounts.error.credentials"] * 20
    assert checks.count(True) == accounts.MAX_FAILED_LOGINS and len(checks) == 20
    logged = attempts_logged(db)
    assert len(logged) == 20 and sorted(reason for _, reason in logged) == ["locked"] * 15 + ["wrong"] * 5
    with pytest.raises(SignInRefused):
        accounts.authenticate(db, "admin1", PASSWORD, now=T0 + timedelta(minutes=14))


def test_the_right_password_among_parallel_guesses_never_gets_in_after_the_lock(db, checks):
    accounts.add_user(db, None, username="admin1", role="admin", password=PASSWORD)
    results = at_once(
        20,
        lambda i: accounts.authenticate(db, "admin1", PASSWORD if i == 10 else "guess", now=T0, address=f"10.0.0.{i}"),
    )
    wrong_checks = [real for real, result in zip(checks, results) if real]
    assert len(checks) == 20 and 5 <= len(wrong_checks) <= 6  # five failed guesses at most, plus the owner's
    logged = attempts_logged(db)
    assert len(logged) == 20
    signed_in = [i for i, (action, _) in enumerate(logged) if action == "user.signed_in"]
    failures = [i for i, (_, reason) in enumerate(logged) if reason == "wrong"]
    assert len(failures) <= accounts.MAX_FAILED_LOGINS
    if signed_in:  # a success is only ever recorded before the fifth failure locked the account
        assert len(failures) < accounts.MAX_FAILED_LOGINS or signed_in[0] < failures[-1]


def test_the_fifth_failure_locks_for_fifteen_minutes_even_for_the_right_password(db, checks):
    accounts.add_user(db, None, username="li.na", role="inspector", password=PASSWORD)
    for minute in range(5):
        with pytest.raises(SignInRefused):
            accounts.authenticate(db, "li.na", "guess", now=T0 + timedelta(minutes=minute))
    with pytest.raises(SignInRefused):
        accounts.authenticate(db, "li.na", PASSWORD, now=T0 + timedelta(minutes=18, seconds=59))
    assert accounts.authenticate(db, "li.na", PASSWORD, now=T0 + timedelta(minutes=19)).username == "li.na"
    assert checks.count(True) == 6


def test_unknown_locked_and_wrong_get_the_same_answer_after_the_same_work(db, checks):
    accounts.add_user(db, None, username="li.na", role="inspector", password=PASSWORD)
    accounts.add_user(db, None, username="locked.one", role="inspector", password=PASSWORD)
    for _ in range(5):
        with pytest.raises(SignInRefused):
            accounts.authenticate(db, "locked.one", "guess", now=T0)
    answers = {}
    for case, (username, password) in {
        "unknown": ("nobody", PASSWORD),
        "locked": ("locked.one", PASSWORD),
        "wrong": ("li.na", "guess"),
    }.items():
        checks.clear()
        with pytest.raises(SignInRefused) as refused:
            accounts.authenticate(db, username, password, now=T0)
        answers[case] = (refused.value.key, refused.value.values, refused.value.message, len(checks))
    assert answers["unknown"] == answers["locked"] == answers["wrong"]
    assert answers["wrong"][3] == 1
    assert "locked" not in answers["wrong"][2].split()  # a guesser learns nothing about the account's state


def test_one_client_address_is_throttled_whatever_names_it_tries(db, checks):
    accounts.add_user(db, None, username="li.na", role="inspector", password=PASSWORD)
    for i in range(accounts.MAX_ADDRESS_ATTEMPTS):
        with pytest.raises(SignInRefused):
            accounts.authenticate(db, f"name{i}", "guess", now=T0, address="203.0.113.7")
    with pytest.raises(SignInRefused):  # the right password from the guessing address waits
        accounts.authenticate(db, "li.na", PASSWORD, now=T0, address="203.0.113.7")
    assert checks[-1] is False
    assert accounts.authenticate(db, "li.na", PASSWORD, now=T0, address="198.51.100.2").username == "li.na"
    assert (
        accounts.authenticate(db, "li.na", PASSWORD, now=T0 + timedelta(minutes=15), address="203.0.113.7").username
        == "li.na"
    )
    assert attempts_logged(db)[accounts.MAX_ADDRESS_ATTEMPTS] == ("user.sign_in_failed", "address")


def test_an_admin_unlocks_an_account_and_it_is_logged(db):
    admin = accounts.add_user(db, None, username="admin1", role="admin", password=PASSWORD)
    accounts.add_user(db, None, username="li.na", role="inspector", password=PASSWORD)
    for _ in range(5):
        with pytest.raises(SignInRefused):
            accounts.authenticate(db, "li.na", "guess", now=T0)
    accounts.unlock(db, admin, "li.na")
    assert accounts.authenticate(db, "li.na", PASSWORD, now=T0).username == "li.na"
    with db.read() as cursor:
        entry = cursor.execute(
            "SELECT actor, before->>'failed_logins', after->>'failed_logins' FROM audit_log "
            "WHERE action = 'user.unlocked'"
        ).fetchall()
    assert entry == [("admin1", "5", "0")]


def test_only_an_admin_unlocks(db):
    accounts.add_user(db, None, username="admin1", role="admin", password=PASSWORD)
    inspector = accounts.add_user(db, None, username="li.na", role="inspector", password=PASSWORD)
    with pytest.raises(PermissionDenied):
        accounts.unlock(db, inspector, "admin1")
