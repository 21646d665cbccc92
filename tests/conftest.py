from __future__ import annotations

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
