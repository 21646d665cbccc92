"""One finding: its details, photos before and after, what may be done next, and its whole history."""

from __future__ import annotations

from datetime import date

import streamlit as st

from audit.errors import AuditError, Conflict
from audit.model import Overdue, overdue_colour
from audit.services import rectification
from audit.services.ledger import FindingDetail, finding_detail
from audit.services.rectification import Step
from audit.ui.errors import kept, show_error
from audit.ui.photo_address import photo_src
from audit.ui.session import current_user, database, guarded, language, t
from audit.ui.text import plain

LEDGER_PAGE = "audit/ui/ledger.py"
BADGE = {"open": "orange", "awaiting_verification": "blue", "closed": "green", "reopened": "red"}
OVERDUE_BADGE = {"blue": "blue", "yellow": "orange", "red": "red"}
state = st.session_state
user = current_user()


def field(column, label: str, value) -> None:
    column.markdown(f"**{plain(label)}**  \n{plain(value, '—')}")


def when(moment) -> str:
    return f"{moment:%Y-%m-%d %H:%M}" if moment else ""


def header(detail: FindingDetail) -> None:
    finding = detail.finding
    st.title(t("ledger.finding.title", number=plain(finding.number)))
    with st.container(horizontal=True, vertical_alignment="center"):
        st.badge(t(f"ledger.status.{finding.status.value}"), color=BADGE[finding.status.value])
        colour = overdue_colour(finding.deadline, finding.status, date.today())
        if colour is not Overdue.NONE:
            st.badge(t(f"ledger.overdue.{colour.value}"), color=OVERDUE_BADGE[colour.value])
        if finding.repeat_of:
            st.badge(t("ledger.repeat.yes"), color="violet")
        st.page_link(LEDGER_PAGE, label=t("ledger.finding.back"), icon=":material/arrow_back:")


def details(detail: FindingDetail) -> None:
    finding, site = detail.finding, detail.site or {}
    st.subheader(t("ledger.finding.details"))
    left, right = st.columns(2)
    field(left, t("ledger.column.site"), site.get("name"))
    field(left, t("ledger.column.site_unit"), site.get("unit"))
    field(left, t("ledger.column.checklist"), detail.checklist)
    field(left, t("ledger.column.item"), detail.item)
    field(left, t("ledger.column.description"), finding.description)
    field(left, t("ledger.finding.immediate_measure"), finding.immediate_measure)
    field(left, t("ledger.column.requirement"), finding.requirement)
    field(right, t("ledger.column.severity"), t(f"ledger.severity.{finding.severity.value}"))
    field(right, t("ledger.column.responsible_unit"), finding.responsible_unit)
    field(right, t("ledger.column.responsible_person"), finding.responsible_person)
    field(right, t("ledger.column.deadline"), f"{finding.deadline:%Y-%m-%d}")
    field(right, t("ledger.column.found_at"), when(finding.found_at))
    field(right, t("ledger.column.inspector"), detail.name(finding.inspector))
    field(right, t("ledger.column.fix_report"), finding.fix_report)
    field(right, t("ledger.finding.reported_by"), detail.name(finding.reported_by))
    field(right, t("ledger.column.verifier"), detail.name(finding.verifier))
    field(right, t("ledger.column.closed_on"), when(finding.closed_at))


def full_size(finding_id: str, sha256: str) -> None:
    def show() -> None:
        st.image(photo_src(user, finding_id, sha256, thumbnail=False), width="stretch")

    st.dialog(t("ledger.finding.photo.full"), width="large")(show)()


def thumbnails(finding_id: str, hashes, where, scope: str) -> None:
    if not hashes:
        where.caption(t("ledger.finding.photos.none"))
        return
    grid = where.columns(3)
    for index, sha256 in enumerate(hashes):
        cell = grid[index % 3]
        cell.image(photo_src(user, finding_id, sha256, thumbnail=True), width="stretch")
        if cell.button(
            t("ledger.finding.photo.open"), key=f"photo_{scope}_{index}", icon=":material/zoom_in:", width="stretch"
        ):
            full_size(finding_id, sha256)


def photos(detail: FindingDetail) -> None:
    st.subheader(t("ledger.finding.photos"))
    before, after = st.columns(2)
    for column, stage in ((before, "found"), (after, "fix")):
        column.markdown(f"**{t(f'ledger.finding.photos.{stage}')}**")
        thumbnails(detail.finding.id, [p.sha256 for p in detail.photos if p.stage == stage], column, stage)


def take(step: Step, finding_id: str, seen: int, values: dict) -> None:
    calls = {
        Step.REPORT_FIX: lambda: rectification.report_fix(
            database(),
            user,
            finding_id,
            version=seen,
            fix_report=values["text"],
            photos=[upload.getvalue() for upload in values.get("photos") or []],
        ),
        Step.ACCEPT: lambda: rectification.accept_fix(database(), user, finding_id, version=seen, note=values["text"]),
        Step.REJECT: lambda: rectification.reject_fix(
            database(), user, finding_id, version=seen, reason=values["text"]
        ),
        Step.REOPEN: lambda: rectification.reopen(database(), user, finding_id, version=seen, reason=values["text"]),
        Step.REASSIGN: lambda: rectification.reassign(
            database(),
            user,
            finding_id,
            version=seen,
            responsible_unit=values["unit"],
            responsible_person=values["person"],
            deadline=values["deadline"],
            note=values["text"],
        ),
    }
    finding = calls[step]()
    state[f"seen_version_{finding_id}"] = finding.version
    state["finding_saved"] = True


def step_form(step: Step, detail: FindingDetail, seen: int) -> None:
    finding = detail.finding
    with st.form(f"step_{step.value}", clear_on_submit=False, border=False):
        values: dict = {}
        if step is Step.REASSIGN:
            values["unit"] = st.text_input(t("ledger.step.new_unit"), value=finding.responsible_unit)
            values["person"] = st.text_input(t("ledger.step.new_person"), value=finding.responsible_person)
            values["deadline"] = st.date_input(t("ledger.step.new_deadline"), value=finding.deadline)
        text_label = {
            Step.REPORT_FIX: "ledger.step.fix_report",
            Step.ACCEPT: "ledger.step.note",
            Step.REASSIGN: "ledger.step.reassign_note",
        }.get(step, "ledger.step.reason")
        values["text"] = st.text_area(t(text_label), key=f"text_{step.value}")
        if step is Step.REPORT_FIX:
            values["photos"] = st.file_uploader(
                t("ledger.step.evidence"), type=["jpg", "jpeg", "png", "webp"], accept_multiple_files=True
            )
        if st.form_submit_button(t("ledger.step.submit"), type="primary"):
            try:
                take(step, finding.id, seen, values)
            except Conflict as error:
                state[f"conflict_{finding.id}"] = kept(error)
            except AuditError as error:
                show_error(error)
                return
            st.rerun()


def reload(finding_id: str, version: int) -> None:
    """The user has seen the newer version: edits now build on it."""
    state[f"seen_version_{finding_id}"] = version
    state.pop(f"conflict_{finding_id}", None)


def actions(detail: FindingDetail, seen: int) -> None:
    st.subheader(t("ledger.finding.actions"))
    if state.pop("finding_saved", False):
        st.success(t("ledger.finding.saved"))
    conflict = state.get(f"conflict_{detail.finding.id}")
    if conflict:
        show_error(conflict)
        st.button(
            t("ledger.finding.reload"),
            icon=":material/refresh:",
            on_click=guarded(reload),
            args=(detail.finding.id, detail.finding.version),
        )
    if not detail.steps:
        st.caption(t("ledger.finding.actions.none"))
    for step in detail.steps:
        with st.expander(t(f"ledger.step.{step.value}"), expanded=len(detail.steps) == 1):
            step_form(step, detail, seen)


def change_text(name: str, before, after) -> str:
    words = {"status": "ledger.status.", "severity": "ledger.severity."}

    def shown(value):
        if value in (None, ""):
            return "—"
        return t(words[name] + str(value)) if name in words else plain(value)

    label = t(f"ledger.column.{name}") if not t(f"ledger.column.{name}").startswith("ledger.") else plain(name)
    return t("ledger.finding.history.change", field=label, before=shown(before), after=shown(after))


def history(detail: FindingDetail) -> None:
    st.subheader(t("ledger.finding.history"))
    if not detail.timeline:
        st.caption(t("ledger.finding.history.none"))
    for number, entry in enumerate(detail.timeline):
        with st.container(border=True):
            label = t(f"ledger.event.{entry.action}")
            st.markdown(
                f"**{plain(when(entry.at))} · {plain(detail.name(entry.actor))} · "
                f"{plain(label if not label.startswith('ledger.') else entry.action)}**"
            )
            if entry.note:
                st.markdown(plain(entry.note))
            for name, (before, after) in (entry.changes or {}).items():
                if name not in ("reported_at", "closed_at", "reported_by", "verifier"):
                    st.caption(change_text(name, before, after))
            if entry.photos:
                thumbnails(detail.finding.id, list(entry.photos), st.container(), f"event{number}")


finding_id = st.query_params.get("id")
if not finding_id:
    st.title(t("ledger.finding.nav"))
    st.info(t("ledger.finding.missing"))
    st.page_link(LEDGER_PAGE, label=t("ledger.finding.back"), icon=":material/arrow_back:")
    st.stop()
try:
    detail = finding_detail(database(), user, finding_id, language())
except AuditError as error:
    st.title(t("ledger.finding.nav"))
    show_error(error)
    st.page_link(LEDGER_PAGE, label=t("ledger.finding.back"), icon=":material/arrow_back:")
    st.stop()
seen = state.setdefault(f"seen_version_{finding_id}", detail.finding.version)
header(detail)
details(detail)
photos(detail)
actions(detail, seen)
history(detail)
