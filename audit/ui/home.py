"""Home (待办): each role's work list. Every line comes from the store and opens where the work is done."""

import streamlit as st

from audit.model import Overdue, Role, Status
from audit.services import rechecks, worklist
from audit.services.backup_schedule import backup_warning, last_backup
from audit.services.overview import home_figures
from audit.services.permissions import Permission, can, unit_scope
from audit.ui.recheck_tasks import rechecks_due
from audit.ui.session import current_user, database, language, now, t
from audit.ui.tasks import todays_tasks

LEDGER, FINDING, INSPECT, PLANS, ADMIN = (
    "audit/ui/ledger.py",
    "audit/ui/finding.py",
    "audit/ui/inspect.py",
    "audit/ui/plans.py",
    "audit/ui/admin.py",
)
RECHECKS = "audit/ui/rechecks.py"
MARK = {Overdue.RED: "🟥 ", Overdue.YELLOW: "🟨 ", Overdue.BLUE: "🟦 ", Overdue.NONE: ""}
user = current_user()
lang = language()
today = now().date()


def open_ledger(**filters) -> None:
    """The ledger with these filters set, the way its own filter widgets would set them."""
    for name, value in filters.items():
        st.session_state[f"ledger_{name}"] = value
    st.session_state["ledger_page"] = 1
    st.switch_page(LEDGER)


def work_line(text: str, key: str, action: str) -> bool:
    with st.container(border=True, key=f"work-{key}", horizontal=True, vertical_alignment="center"):
        st.text(text)
        return st.button(action, key=f"open-{key}", icon=":material/arrow_forward:")


def finding_lines(lines, title_key: str, empty_key: str) -> None:
    st.subheader(t(title_key, count=len(lines)))
    if not lines:
        st.info(t(empty_key), icon=":material/check_circle:")
    for line in lines:
        due = f" · {t('home.due', day=f'{line.deadline:%m-%d}')}" if line.deadline else ""
        step = f" · {t(line.next_step)}" if line.next_step else ""
        if work_line(
            f"{MARK[line.overdue]}{line.number} · {line.site}{due}{step}\n{line.description[:80]}",
            line.id,
            t("home.open_finding"),
        ):
            st.switch_page(FINDING, query_params={"id": line.id})


def inspector_home() -> None:
    todays_tasks()
    rechecks_due()
    drafts = worklist.drafts_to_finish(database(), user)
    st.subheader(t("home.drafts", count=len(drafts)))
    if not drafts:
        st.info(t("home.drafts.none"), icon=":material/check_circle:")
    for draft in drafts:
        site = (draft.site_en if lang == "en" else draft.site_zh) or draft.site_id
        if work_line(
            t("home.draft_line", site=site, started=f"{draft.started_at:%m-%d %H:%M}", answered=draft.answered),
            draft.id,
            t("home.resume"),
        ):
            st.switch_page(INSPECT, query_params={"inspection": draft.id})
    finding_lines(worklist.fixes_to_verify(database(), user, language=lang), "home.verify", "home.verify.none")


def unit_home() -> None:
    todays_tasks()
    finding_lines(
        worklist.unit_findings(database(), user, today=today, language=lang), "home.unit_open", "home.unit_open.none"
    )


def supervisor_home() -> None:
    counts = worklist.supervisor_counts(database(), user, today=today, now=now())
    st.subheader(t("home.supervisor.title"))
    lines = [
        (
            "awaiting",
            t("home.supervisor.awaiting", count=counts.awaiting),
            lambda: open_ledger(status=(Status.AWAITING_VERIFICATION,)),
        ),
        (
            "overdue",
            t("home.supervisor.overdue", count=counts.overdue, red=counts.long_overdue),
            lambda: open_ledger(overdue=(Overdue.YELLOW, Overdue.RED)),
        ),
        (
            "missed",
            t("home.supervisor.missed", today=counts.missed_today, week=counts.missed_week),
            lambda: st.switch_page(PLANS),
        ),
        (
            "self_missed",
            t("home.supervisor.self_missed", count=counts.self_missed_today),
            lambda: st.switch_page(PLANS),
        ),
        (
            "rechecks",
            t("recheck.home.open_items", count=rechecks.open_items(database(), user)),
            lambda: st.switch_page(RECHECKS),
        ),
    ]
    for key, text, action in lines:
        if work_line(text, key, t("home.go")):
            action()
    todays_tasks()
    rechecks_due()


def admin_home() -> None:
    st.subheader(t("home.admin.title"))
    warning = backup_warning(last_backup(database(), user))
    if warning:
        st.warning(t(f"home.backup.{warning}"), icon=":material/warning:")
    if work_line(t("home.admin.backup_ok") if not warning else t("home.admin.backup_fix"), "backup", t("home.go")):
        st.switch_page(ADMIN)
    problems = worklist.checklist_problems(user)
    if work_line(t("home.admin.checklists", count=len(problems)), "checklists", t("home.go")):
        st.switch_page(ADMIN)
    for problem in problems[:10]:
        st.text(problem)


st.title(t("home.title"))
st.caption(t("home.subtitle"))
{Role.INSPECTOR: inspector_home, Role.UNIT: unit_home, Role.SUPERVISOR: supervisor_home, Role.ADMIN: admin_home}[
    user.role
]()

# An inspector's home is their work list alone; counting every finding on each of their reruns cost the most
# on a large database and told them nothing to do.
if can(user, Permission.VIEW_LEDGER) and user.role is not Role.INSPECTOR:
    figures = home_figures(database(), unit=unit_scope(user))  # a unit sees only its own
    st.subheader(t("home.figures"))
    if figures.inspections == 0 and figures.findings == 0:
        st.info(t("home.empty"))
    else:
        first, second = st.columns(2)
        third, fourth = st.columns(2)
        first.metric(t("home.inspections"), f"{figures.inspections:,}", border=True)
        second.metric(t("home.findings"), f"{figures.findings:,}", border=True)
        third.metric(t("home.open"), f"{figures.open:,}", border=True)
        fourth.metric(t("home.overdue"), f"{figures.overdue:,}", border=True)
