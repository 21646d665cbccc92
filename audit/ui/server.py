"""The app as an ASGI application: Streamlit's pages plus the app's own routes, middleware and jobs.

Served by uvicorn (`make run` starts it):

    AUDIT_DB=data/audit.duckdb .venv/bin/python -m uvicorn audit.ui.server:app --host 0.0.0.0 --port 8501

At start the server opens the database (it holds the file from then on), begins taking
scheduled backups (and, on a lake, its maintenance) and opens the local operations route the
command line uses meanwhile.
"""

from __future__ import annotations

import asyncio
import logging
from contextlib import asynccontextmanager
from pathlib import Path

import streamlit as st
from starlette.middleware import Middleware

from audit.errors import AuditError
from audit.services.backup_schedule import scheduled_backup, seconds_until_due
from audit.services.maintenance import maintain_lake, maintenance_due
from audit.settings import settings
from audit.ui.operations_listener import OperationsListener
from audit.ui.routes import connection_script_route, health_route, photo_route
from audit.ui.security_headers import SecurityHeaders
from audit.ui.session import database
from audit.ui.session_routes import session_routes

log = logging.getLogger(__name__)
SCRIPT = Path(__file__).resolve().parents[2] / "app.py"
RECHECK_SECONDS = 3600


async def scheduled_backups() -> None:
    """Back up whenever one is due. The due time is read again at least hourly, so a backup made
    meanwhile from the admin page, the command line or another server of a lake moves the next one on."""
    while True:
        try:
            wait = await asyncio.to_thread(seconds_until_due, database())
            if wait <= 0 and await asyncio.to_thread(scheduled_backup, database()):
                # Not at once again even if the record could not be written: one period later.
                wait = settings().backup_hours * 3600
            elif wait <= 0:  # another server of the lake is taking it
                wait = RECHECK_SECONDS
        except (AuditError, OSError):
            log.exception("scheduled backup")  # recorded already when the backup itself got that far
            wait = RECHECK_SECONDS
        await asyncio.sleep(min(wait, RECHECK_SECONDS))


async def lake_maintenance() -> None:
    """On a lake, maintain it when a day has passed or files pile up; the lease row lets one server do it."""
    while True:
        try:
            if await asyncio.to_thread(maintenance_due, database()):
                result = await asyncio.to_thread(maintain_lake, database())
                if result not in (None, "ok"):
                    log.warning("lake maintenance stopped at %s", result)
        except AuditError:
            log.exception("lake maintenance")
        await asyncio.sleep(RECHECK_SECONDS)


@asynccontextmanager
async def lifespan(_app):
    listener = OperationsListener(await asyncio.to_thread(database))
    await listener.start()
    schedule = asyncio.create_task(scheduled_backups(), name="scheduled-backups")
    maintenance = asyncio.create_task(lake_maintenance(), name="lake-maintenance")
    try:
        yield {"operations_port": listener.port}
    finally:
        schedule.cancel()
        maintenance.cancel()
        await asyncio.to_thread(listener.stop)


app = st.App(
    SCRIPT,
    routes=[photo_route(database), health_route(database), connection_script_route(), *session_routes(database)],
    middleware=[Middleware(SecurityHeaders)],
    lifespan=lifespan,
)
