from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest

from audit import settings
from audit.store import open_database

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def fresh_settings():
    """Settings are read once per process: each test starts from its own environment, and a test
    that sets an AUDIT_* variable calls `settings.reload()`."""
    settings.reload()
    yield
    settings.reload()


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


@pytest.fixture(scope="session")
def postgres():
    """PostgreSQL for the lake tests, started once per run and stopped at its end; skipped when missing."""
    from tests import postgres as server

    running = server.start()
    if running is None:
        if os.environ.get("CI"):  # .ci/run installs it: missing there is a broken set-up, not a skip
            pytest.fail(server.INSTALL)
        pytest.skip(server.INSTALL)
    yield running
    running.stop()


@pytest.fixture
def lake_target(postgres, tmp_path: Path, monkeypatch) -> str:
    """AUDIT_DB of a new, empty lake: its catalog a new PostgreSQL database, its data folder in tmp_path."""
    target = postgres.create_database(f"lake_{uuid.uuid4().hex[:12]}")
    monkeypatch.setenv("AUDIT_LAKE_DATA", str(tmp_path / "lake-data"))
    settings.reload()
    return target


@pytest.fixture(params=["file", "lake"])
def any_db(request, tmp_path: Path):
    """The same store on each backend: an embedded file, and a lake with a PostgreSQL catalog."""
    target = request.getfixturevalue("lake_target") if request.param == "lake" else tmp_path / "audit.duckdb"
    database = open_database(target)
    yield database
    database.close()
