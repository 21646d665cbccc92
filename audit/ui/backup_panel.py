"""The admin page's Backup tab: the latest backup and the schedule, and a backup to download now.

The app's process holds the database, so this is where a backup can be made while people
work; the command line asks the running app for one through its local route.
"""

from __future__ import annotations

import tempfile
import time
import uuid
from contextlib import suppress
from datetime import datetime
from pathlib import Path

import streamlit as st

from audit.errors import AuditError, PermissionDenied
from audit.services.backup import backup_archive
from audit.services.backup_schedule import BackupRun, backup_folder, backup_warning, last_backup, record_admin_backup
from audit.settings import settings
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
    try:
        with st.spinner(t("backup.working")):
            path, manifest = backup_archive(database(), folder, actor=current_user())
    except AuditError as error:
        if not isinstance(error, PermissionDenied):
            record_admin_backup(database(), current_user(), None, error=error.message)
        raise
    record_admin_backup(database(), current_user(), path, findings=manifest.rows("findings"))
    st.session_state[ARCHIVE_KEY] = {
        "path": str(path),
        "summary": {
            "created_at": f"{datetime.fromisoformat(manifest.created_at).astimezone():%Y-%m-%d %H:%M}",
            "tables": len(manifest.contents.tables),
            "findings": f"{manifest.rows('findings'):,}",
            "photos": f"{manifest.rows('photos'):,}",
            "seq": f"{manifest.contents.audit_log_seq:,}",
        },
    }


def _local(moment: datetime | None) -> str:
    return f"{moment.astimezone():%Y-%m-%d %H:%M}" if moment else "—"


def _latest(run: BackupRun | None) -> None:
    st.markdown(f"**{t('backup.latest')}**")
    warning = backup_warning(run)
    if warning == "failed":
        st.error(t("backup.latest.failed"), icon=":material/error:")
    elif warning:
        st.warning(t(f"backup.latest.{warning}"), icon=":material/warning:")
    else:
        st.success(t("backup.latest.ok"), icon=":material/check_circle:")
    if run is None:
        return
    where = (
        t("backup.where.download", name=Path(run.folder).name)
        if run.trigger == "admin" and run.ok
        else run.folder or "—"
    )
    rows = {
        t("backup.field.at"): _local(run.moment),
        t("backup.field.result"): t(f"backup.result.{'ok' if run.ok else 'failed'}"),
        t("backup.field.trigger"): t(f"backup.trigger.{run.trigger}", by=run.by),
        t("backup.field.folder"): where,
        t("backup.field.findings"): f"{run.findings:,}" if run.findings is not None else "—",
        t("backup.field.last_ok"): _local(run.last_ok),
    }
    # Folders and names come from the server and the accounts: shown as plain text, never as Markdown.
    with st.container(border=True, key="backup_latest"):
        for label, value in rows.items():
            name, shown = st.columns([1, 3], vertical_alignment="center")
            name.caption(label)
            shown.text(value)
    if run.error:
        st.code(run.error, language=None, wrap_lines=True)


def render_backup_panel() -> None:
    st.subheader(t("backup.title"))
    st.caption(t("backup.explain"))
    with suppress(PermissionDenied):  # the button below says so, should someone without the right get here
        _latest(last_backup(database(), current_user()))
    config = settings()
    st.caption(
        t(
            "backup.schedule",
            hours=f"{config.backup_hours:g}",
            folder=str(backup_folder(database())),
            keep=config.backup_keep,
        )
    )
    st.divider()
    if st.button(t("backup.make"), icon=":material/backup:", key="backup_make", type="primary"):
        try:
            _make_backup()
        except AuditError as error:
            show_error(error)
            return
        st.rerun()  # the latest backup above now shows this one
    made = st.session_state.get(ARCHIVE_KEY)
    if made is None:
        st.info(t("backup.none_yet"))
        return
    path = Path(made["path"])
    if not path.is_file():
        st.warning(t("backup.gone"))
        return
    st.success(t("backup.done", **made["summary"]))
    st.download_button(
        t("backup.download"),
        data=path.read_bytes,
        file_name=path.name,
        mime="application/zip",
        icon=":material/download:",
        on_click="ignore",
        key="backup_download",
    )
    st.caption(t("backup.restore_hint"))
