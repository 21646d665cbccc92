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


def server_key(database: str | os.PathLike) -> bytes:
    configured = settings().secret_key
    if configured:
        return configured.encode("utf-8")
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


def _read(path: Path) -> bytes:
    key = path.read_text(encoding="ascii").strip()
    if not key:
        raise FileNotFoundError(path)
    return key.encode("ascii")
