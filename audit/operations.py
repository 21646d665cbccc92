"""The local operations route: how the command line asks a running server to act for it.

DuckDB lets one process hold the database, so while the app runs only the app can back it
up. The server listens for operations on a loopback address of its own and writes that
address beside the database (`<database>.server`). A request is signed with the server's
key over its time, a random nonce and its body; the server refuses requests from elsewhere
than loopback, old requests and any nonce it has already seen.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import os
import secrets
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

from audit.secret_key import server_key
from audit.signing import sign, verify

PURPOSE = "local-operation-v1"
BACKUP_PATH = "/operations/backup"
MAX_AGE_SECONDS = 60
HEADER_TIME, HEADER_NONCE, HEADER_SIGNATURE = "X-Audit-Time", "X-Audit-Nonce", "X-Audit-Signature"


def server_file(database: str | os.PathLike) -> Path:
    path = Path(database)
    return path.with_name(path.name + ".server")


def announce(database: str | os.PathLike, port: int) -> Path:
    """Say where this process takes operations for `database` (readable by its owner only)."""
    path = server_file(database)
    partial = path.with_name(path.name + f".{os.getpid()}")
    handle = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(handle, "w", encoding="utf-8") as file:
        json.dump({"pid": os.getpid(), "port": port}, file)
    os.replace(partial, path)
    return path


def withdraw(database: str | os.PathLike) -> None:
    path = server_file(database)
    try:
        if json.loads(path.read_text(encoding="utf-8")).get("pid") == os.getpid():
            path.unlink()
    except (OSError, ValueError):
        pass


def running_server(database: str | os.PathLike) -> int | None:
    """The operations port of the live server holding `database`, or None when there is none."""
    try:
        entry = json.loads(server_file(database).read_text(encoding="utf-8"))
        pid, port = int(entry["pid"]), int(entry["port"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None  # left by a server that was killed
    except PermissionError:
        pass  # alive, run by another user
    return port


def signed_headers(key: bytes, path: str, body: bytes, now: float | None = None) -> dict[str, str]:
    moment, nonce = str(int(time.time() if now is None else now)), secrets.token_hex(16)
    signature = sign(key, PURPOSE, path, moment, nonce, hashlib.sha256(body).hexdigest())
    return {HEADER_TIME: moment, HEADER_NONCE: nonce, HEADER_SIGNATURE: signature}


def is_loopback(host: str | None) -> bool:
    try:
        return host is not None and ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class Gate:
    """Checks one request: loopback client, valid signature, recent time, nonce never seen."""

    def __init__(self, key: bytes):
        self._key = key
        self._seen: dict[str, float] = {}
        self._lock = threading.Lock()

    def refusal(self, client: str | None, path: str, headers, body: bytes, now: float | None = None) -> str | None:
        """None when the request may run; otherwise why not, in a few words."""
        if not is_loopback(client):
            return "only local clients may ask"
        moment = time.time() if now is None else now
        stamp, nonce = headers.get(HEADER_TIME, ""), headers.get(HEADER_NONCE, "")
        if not verify(
            self._key, headers.get(HEADER_SIGNATURE, ""), PURPOSE, path, stamp, nonce, hashlib.sha256(body).hexdigest()
        ):
            return "bad signature"
        if abs(moment - int(stamp)) > MAX_AGE_SECONDS:
            return "request too old"
        with self._lock:
            for old in [n for n, at in self._seen.items() if at < moment - 2 * MAX_AGE_SECONDS]:
                del self._seen[old]
            if nonce in self._seen:
                return "request already used"
            self._seen[nonce] = moment
        return None


def ask(database: str | os.PathLike, port: int, path: str, payload: dict, *, timeout: float = 3600) -> dict:
    """POST a signed operation to the local server; its JSON answer, or OSError when unreachable."""
    body = json.dumps(payload).encode("utf-8")
    headers = {"Content-Type": "application/json", **signed_headers(server_key(database), path, body)}
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return json.loads(response.read())
    except urllib.error.HTTPError as error:
        try:
            answer = json.loads(error.read())
        except ValueError:
            answer = {}
        return {"ok": False, "error": answer.get("error") or f"HTTP {error.code}", "status": error.code}
