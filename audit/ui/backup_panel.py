"""The admin page's Backup section: one tap makes a checked backup, a second downloads it.

The app's process holds the database, so this is where a backup can be made while people
work; the command line says so when it finds the file held.
"""

from __future__ import annotations

import tempfile
import time
import uuid
from datetime import datetime
from pathlib import Path

import streamlit as st

from audit.errors import AuditError
from audit.services.backup import backup_archive
from audit.ui.errors import show_error
from audit.ui.session import current_user, database, t

ARCHIVE_KEY = "backup_archive"
FOLDER = Path(tempfile.gettempdir()) / "audit-backups"
KEEP_SECONDS = 24 * 3600


def _forget_old_archives() -> None:
    """Archives wait in the temp folder for their download; a day later they go."""
    for old in FOLDER.glob("*/*.zip"):
        if time.time() - old.stat().st_mtime > KEEP_SECONDS:
            old.unlink(missing_ok=True)
    for folder in FOLDER.glob("*"):
        if folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()


def _make_backup() -> None:
    previous = st.session_state.pop(ARCHIVE_KEY, None)
    if previous:
        Path(previous["path"]).unlink(missing_ok=True)
    _forget_old_archives()
    folder = FOLDER / uuid.uuid4().hex
    folder.mkdir(parents=True, exist_ok=True)
    with st.spinner(t("backup.working")):
        path, manifest = backup_archive(database(), folder, actor=current_user())
    st.session_state[ARCHIVE_KEY] = {
        "path": str(path),
        "summary": dict(created_at=f"{datetime.fromisoformat(manifest.created_at).astimezone():%Y-%m-%d %H:%M}",
                        tables=len(manifest.contents.tables), findings=f"{manifest.rows('findings'):,}",
                        photos=f"{manifest.rows('photos'):,}", seq=f"{manifest.contents.audit_log_seq:,}"),
    }


def render_backup_panel() -> None:
    st.subheader(t("backup.title"))
    st.caption(t("backup.explain"))
    if st.button(t("backup.make"), icon=":material/backup:", key="backup_make", type="primary"):
        try:
            _make_backup()
        except AuditError as error:
            show_error(error)
            return
    made = st.session_state.get(ARCHIVE_KEY)
    if made is None:
        st.info(t("backup.none_yet"))
        return
    path = Path(made["path"])
    if not path.is_file():
        st.warning(t("backup.gone"))
        return
    st.success(t("backup.done", **made["summary"]))
    st.download_button(t("backup.download"), data=path.read_bytes, file_name=path.name, mime="application/zip",
                       icon=":material/download:", on_click="ignore", key="backup_download")
    st.caption(t("backup.restore_hint"))
