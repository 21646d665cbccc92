from __future__ import annotations

from pathlib import Path

import pytest

from audit.store import open_database

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "audit.duckdb"


@pytest.fixture
def db(db_path: Path):
    database = open_database(db_path)
    yield database
    database.close()


@pytest.fixture(autouse=True)
def quick_password_hashes(monkeypatch):
    """Argon2 at its lowest cost: sign-in logic is what tests check, not the hash's strength.

    The stand-in hash for refused attempts is made with the same hasher, so both still cost the same.
    """
    from argon2 import PasswordHasher

    from audit.services import accounts

    hasher = PasswordHasher(time_cost=1, memory_cost=256, parallelism=1)
    monkeypatch.setattr(accounts, "_HASHER", hasher)
    monkeypatch.setattr(accounts, "_DUMMY_HASH", hasher.hash("not a password"))


def store_accounts(database, *users) -> None:
    """Keep these users as accounts under their own ids: the services read the acting account on every call."""
    from datetime import datetime

    from audit.store import audit_log
    from audit.store import users as user_store

    with database.write() as cursor:
        for user in users:
            if user_store.get_account(cursor, user.id) is None:
                user_store.insert_user(cursor, user, None, now=datetime(2026, 1, 1), by="test")
                audit_log.append(cursor, actor="test", action="user.created", entity="user", entity_id=user.id,
                                 after={"username": user.username})
