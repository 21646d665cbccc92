"""Walking a draft inspection section by section, then reviewing and submitting it.

A reload starts at the first section that still has unanswered items, so the inspector
resumes where they stopped.
"""

from __future__ import annotations

import streamlit as st

from audit import i18n
from audit.model import Result, Section
from audit.services.inspections import Sheet, add_adhoc_finding
from audit.ui.inspect_common import attempt, plain, saved_indicator, seed, show_kept_error
from audit.ui.inspect_finding import finding_form
from audit.ui.inspect_items import item_answer, item_heading
from audit.ui.inspect_review import review
from audit.ui.session import current_user, database, guarded, language, t

ADHOC = "_adhoc"
REVIEW = "_review"


def header(sheet: Sheet) -> None:
    lang = i18n.short(language())
    inspection = sheet.inspection
    st.title(plain(sheet.site.name.get(lang)))
    st.caption(
        " · ".join(
            [
                plain(sheet.checklist.title.get(lang)),
                t("inspect.version", version=inspection.checklist_version),
                f"{inspection.started_at:%Y-%m-%d %H:%M}",
                plain("、".join(inspection.inspectors)),
            ]
        )
    )


def walk(sheet: Sheet) -> None:
    header(sheet)
    total = len(sheet.checklist.items)
    answered = total - len(sheet.unanswered)
    st.progress(answered / total if total else 1.0, text=t("inspect.progress", answered=answered, total=total))
    saved_indicator()
    sections = {section.id: section for section in sheet.checklist.sections}
    steps = [*sections, ADHOC, REVIEW]
    key = f"inspect:{sheet.inspection.id}:step"
    seed(key, _resume_at(sheet))
    st.pills(
        t("inspect.steps"),
        steps,
        key=key,
        required=True,
        label_visibility="collapsed",
        format_func={step: _step_label(sheet, sections, step) for step in steps}.get,
    )
    step = st.session_state[key]
    if step == REVIEW:
        review(sheet)
        return
    if step == ADHOC:
        _adhoc(sheet)
    else:
        _section(sheet, sections[step])
    following = steps[steps.index(step) + 1]
    st.button(
        t("inspect.next", step=_step_label(sheet, sections, following)),
        type="primary",
        width="stretch",
        icon=":material/arrow_forward:",
        key=f"{key}:next",
        on_click=guarded(lambda: st.session_state.update({key: following})),
    )


def _resume_at(sheet: Sheet) -> str:
    """The first part with an unanswered item or an unsaved finding: where the inspector stopped."""
    pending = {item.id for item in sheet.unanswered}
    pending |= {d.item_id for d in sheet.active_drafts if d.item_id and not d.recorded}
    if any(d.item_id is None and not d.recorded for d in sheet.drafts):
        pending.add(ADHOC)
    for section in sheet.checklist.sections:
        if any(item.id in pending for item in section.items):
            return section.id
    return ADHOC if ADHOC in pending else REVIEW


def _step_label(sheet: Sheet, sections: dict[str, Section], step: str) -> str:
    if step == REVIEW:
        return t("inspect.step.review")
    if step == ADHOC:
        count = sum(1 for draft in sheet.drafts if draft.item_id is None)
        return t("inspect.step.adhoc", count=count)
    section = sections[step]
    answered = sum(1 for item in section.items if item not in sheet.unanswered)
    mark = "✓ " if answered == len(section.items) else ""
    return f"{mark}{plain(section.title.get(i18n.short(language())))} {answered}/{len(section.items)}"


def _section(sheet: Sheet, section: Section) -> None:
    st.subheader(plain(section.title.get(i18n.short(language()))))
    for item in section.items:
        with st.container(border=True, key=f"item-{item.id}"):
            item_heading(item)
            item_answer(sheet, item)
            draft = sheet.draft_for(item.id)
            if sheet.result(item.id) is Result.FAIL and draft is not None:
                finding_form(sheet, draft, item)


def _adhoc(sheet: Sheet) -> None:
    st.subheader(t("inspect.adhoc.title"))
    st.caption(t("inspect.adhoc.help"))
    drafts = [draft for draft in sheet.drafts if draft.item_id is None]
    if not drafts:
        st.info(t("inspect.adhoc.none"))
    for draft in drafts:
        finding_form(sheet, draft, None)
    error = f"inspect:{sheet.inspection.id}:adhoc"
    st.button(
        t("inspect.adhoc.add"),
        icon=":material/add:",
        width="stretch",
        key=error,
        on_click=guarded(
            lambda: attempt(error, lambda: add_adhoc_finding(database(), current_user(), sheet.inspection.id))
        ),
    )
    show_kept_error(error)
