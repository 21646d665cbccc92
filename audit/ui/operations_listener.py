"""The local operations route: a second listener bound to loopback only, for the command line.

It runs beside the app in the same process, so a backup asked for here is made by the
process that holds the database. The listener takes an ephemeral port on 127.0.0.1 and
announces it beside the database (see `audit.operations`).
"""

from __future__ import annotations

import asyncio
import json
import threading
import time

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from audit.errors import AuditError
from audit.operations import BACKUP_PATH, Gate, announce, withdraw
from audit.secret_key import server_key
from audit.services.backup_schedule import take_backup
from audit.services.database import Database


def operations_app(database: Database, gate: Gate) -> Starlette:
    def backup(request: Request, body: bytes) -> JSONResponse:
        client = request.client.host if request.client else None
        refusal = gate.refusal(client, request.url.path, request.headers, body)
        if refusal:
            return JSONResponse({"ok": False, "error": f"Refused: {refusal}."}, status_code=403)
        try:
            payload = json.loads(body)
            run = take_backup(database, trigger="cli", by=str(payload.get("by") or "cli"), out_dir=payload.get("out"))
        except (ValueError, AttributeError):
            return JSONResponse({"ok": False, "error": "The request is not valid JSON."}, status_code=400)
        except AuditError as error:
            return JSONResponse({"ok": False, "error": error.message}, status_code=409)
        except OSError as error:
            return JSONResponse({"ok": False, "error": f"{type(error).__name__}: {error}"}, status_code=500)
        return JSONResponse({"ok": True, "folder": run.folder, "findings": run.findings, "at": run.at})

    async def endpoint(request: Request) -> JSONResponse:
        body = await request.body()
        return await asyncio.to_thread(backup, request, body)

    return Starlette(routes=[Route(BACKUP_PATH, endpoint, methods=["POST"])])


class OperationsListener:
    def __init__(self, database: Database):
        self.database = database
        config = uvicorn.Config(
            operations_app(database, Gate(server_key(database.path))),
            host="127.0.0.1",
            port=0,
            lifespan="off",
            log_level="warning",
            access_log=False,
        )
        self._server = uvicorn.Server(config)
        # In a thread of its own, uvicorn leaves the process's signal handlers to the main server.
        self._thread = threading.Thread(target=self._server.run, name="operations-listener", daemon=True)
        self.port: int | None = None

    async def start(self, timeout: float = 30) -> int:
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the local operations listener did not start")
            await asyncio.sleep(0.05)
        self.port = self._server.servers[0].sockets[0].getsockname()[1]
        announce(self.database.path, self.port)
        return self.port

    def stop(self) -> None:
        withdraw(self.database.path)
        self._server.should_exit = True
        self._thread.join(timeout=10)
