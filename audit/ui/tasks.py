"""Today's tasks on the home page: undone ones of the last week first, one tap to start."""

from __future__ import annotations

import streamlit as st

from audit.errors import AuditError
from audit.model import Role, Task
from audit.services import plans
from audit.services.permissions import Permission, can
from audit.ui.errors import show_error
from audit.ui.session import current_user, database, language, now, t

INSPECT_PAGE = "audit/ui/inspect.py"


def _line(task: Task) -> str:
    late = "" if task.due >= now().date() else t("plan.task.late", day=f"{task.due:%m-%d}")
    return f"{task.site_name} · {task.checklist_title or task.checklist_id}{late}"


def todays_tasks() -> None:
    user = current_user()
    if not can(user, Permission.VIEW_TASKS):
        return
    tasks = plans.my_tasks(database(), user, today=now().date(), now=now(), language=language())
    if not tasks and user.role is not Role.INSPECTOR:
        return  # a supervisor or unit without planned tasks sees the rest of their home first
    open_tasks = [task for task in tasks if not task.done]
    st.subheader(t("plan.task.today", open=len(open_tasks), done=len(tasks) - len(open_tasks)))
    if not tasks:
        st.info(t("plan.task.none"), icon=":material/event_available:")
        return
    for task in tasks:
        with st.container(border=True, key=f"task-{task.id}", horizontal=True, vertical_alignment="center"):
            st.text(("✓ " if task.done else "") + _line(task))
            if (
                not task.done
                and (can(user, Permission.RUN_INSPECTION) or can(user, Permission.SELF_INSPECT))
                and st.button(
                    t("plan.task.start"), key=f"start-{task.id}", type="primary", icon=":material/play_arrow:"
                )
            ):
                try:
                    inspection = plans.start_task(database(), user, task, now=now())
                except AuditError as error:
                    show_error(error)
                else:
                    st.switch_page(INSPECT_PAGE, query_params={"inspection": inspection.id})
