"""The server's secret key: signs backup manifests and authenticates the local operations route.

`AUDIT_SECRET_KEY` when set; otherwise a random key made on first use and kept beside the
database (`<database>.key`, readable by its owner only), never in the repository. Whoever holds
this key and the database file can rewrite history: keep a copy of the key apart from backups.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from audit.settings import settings


def key_path(database: str | os.PathLike) -> Path:
    path = Path(database)
    return path.with_name(path.name + ".key")


def configured_key() -> bytes | None:
    """AUDIT_SECRET_KEY, when set."""
    configured = settings().secret_key
    return configured.encode("utf-8") if configured else None


def server_key(database: str | os.PathLike) -> bytes:
    configured = configured_key()
    if configured:
        return configured
    path = key_path(database)
    try:
        return _read(path)
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first
        return _read(path)
    with os.fdopen(handle, "w", encoding="ascii") as file:
        file.write(secrets.token_hex(32) + "\n")
    return _read(path)


def existing_key(database: str | os.PathLike) -> bytes | None:
    """The key `server_key` would give, without making one: None when there is none yet."""
    configured = configured_key()
    if configured:
        return configured
    try:
        return _read(key_path(database))
    except FileNotFoundError:
        return None


def read_key_file(path: str | os.PathLike) -> bytes:
    return _read(Path(path))


def keep_key_beside(database: str | os.PathLike, key: bytes) -> bool:
    """Make `<database>.key` hold `key` unless it already has a key file; True when it was written."""
    try:
        handle = os.open(key_path(database), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return False
    with os.fdopen(handle, "wb") as file:
        file.write(key + b"\n")
    return True


def _read(path: Path) -> bytes:
    key = path.read_text(encoding="ascii").strip()
    if not key:
        raise FileNotFoundError(path)
    return key.encode("ascii")
