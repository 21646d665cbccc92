"""The app as an ASGI application: Streamlit's pages plus the app's own routes, middleware and jobs.

Served by uvicorn (`make run` starts it):

    AUDIT_DB=data/audit.duckdb .venv/bin/python -m uvicorn audit.ui.server:app --host 0.0.0.0 --port 8501

At start the server opens the database (it holds the file from then on), begins taking
scheduled backups and opens the local operations route the command line uses meanwhile.
"""

from __future__ import annotations

import asyncio
import logging
from contextlib import asynccontextmanager
from pathlib import Path

import streamlit as st
from starlette.middleware import Middleware

from audit.errors import AuditError
from audit.services.backup_schedule import seconds_until_due, take_backup
from audit.ui.operations_listener import OperationsListener
from audit.ui.routes import health_route, photo_route
from audit.ui.security_headers import SecurityHeaders
from audit.ui.session import database

log = logging.getLogger(__name__)
SCRIPT = Path(__file__).resolve().parents[2] / "app.py"


async def scheduled_backups() -> None:
    """Back up whenever one is due; a failure is recorded and tried again later."""
    while True:
        await asyncio.sleep(await asyncio.to_thread(seconds_until_due, database()))
        try:
            await asyncio.to_thread(take_backup, database(), trigger="scheduled", by="server")
        except (AuditError, OSError):
            await asyncio.sleep(1)  # recorded by take_backup; the next due time comes from that record


@asynccontextmanager
async def lifespan(_app):
    listener = OperationsListener(await asyncio.to_thread(database))
    await listener.start()
    schedule = asyncio.create_task(scheduled_backups(), name="scheduled-backups")
    try:
        yield {"operations_port": listener.port}
    finally:
        schedule.cancel()
        await asyncio.to_thread(listener.stop)


app = st.App(
    SCRIPT,
    routes=[photo_route(database), health_route(database)],
    middleware=[Middleware(SecurityHeaders)],
    lifespan=lifespan,
)
