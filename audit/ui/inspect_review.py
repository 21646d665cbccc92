"""The summary before submission, the submitted inspection, and corrections with their reason."""

from __future__ import annotations

import streamlit as st

from audit import i18n
from audit.model import ResponseType, Result
from audit.services.inspections import (
    LIMITS,
    Answer,
    FindingDraft,
    Sheet,
    correct_inspection,
    effective_deadline,
    evidence,
    submit_inspection,
    submit_problems,
)
from audit.ui.errors import show_error
from audit.ui.inspect_common import attempt, finding_caption, labels, plain, show_kept_error
from audit.ui.inspect_items import RESULTS
from audit.ui.photo_address import photo_src
from audit.ui.session import current_user, database, guarded, language, t

JUST_SUBMITTED = "inspect.just_submitted"


def _percent(score: float | None) -> str:
    return "—" if score is None else f"{score:.0%}"


def _item_text(sheet: Sheet, item_id: str | None) -> str:
    if item_id is None:
        return t("inspect.review.adhoc")
    return f"{item_id} {sheet.checklist.item(item_id).text.get(i18n.short(language()))}"


def review(sheet: Sheet) -> None:
    """Score, failures and findings at a glance, what still blocks submission, then submit."""
    st.subheader(t("inspect.review.title"))
    total = len(sheet.checklist.items)
    drafts = sheet.active_drafts
    score, answered = st.columns(2)
    failed, findings = st.columns(2)
    score.metric(t("inspect.review.score"), _percent(sheet.score), border=True)
    answered.metric(t("inspect.review.answered"), f"{total - len(sheet.unanswered)} / {total}", border=True)
    failed.metric(t("inspect.review.failed"), len(sheet.failed_items), border=True)
    findings.metric(t("inspect.review.findings"), len(drafts), border=True)
    if drafts:
        for draft in drafts:
            _finding_line(sheet, draft)
    else:
        st.info(t("inspect.review.no_findings"))
    problems = submit_problems(sheet)
    for problem in problems:
        show_error(problem, icon=":material/pending_actions:", warning=True)
    confirm = st.checkbox(
        t("inspect.review.confirm"), key=f"inspect:{sheet.inspection.id}:confirm", disabled=bool(problems)
    )
    st.button(
        t("inspect.review.submit"),
        type="primary",
        width="stretch",
        icon=":material/send:",
        disabled=bool(problems) or not confirm,
        key=f"inspect:{sheet.inspection.id}:submit",
        on_click=guarded(_submit),
        args=(sheet.inspection.id,),
    )
    show_kept_error(f"inspect:{sheet.inspection.id}:submit")


def _finding_line(sheet: Sheet, draft: FindingDraft) -> None:
    with st.container(border=True):
        st.markdown(f"**{plain(_item_text(sheet, draft.item_id))}**")
        st.markdown(plain(draft.description))
        finding_caption(
            draft.severity,
            draft.responsible_unit,
            effective_deadline(draft, sheet.inspection),
            photos=len(draft.photos),
            repeat=bool(draft.earlier),
        )


def _submit(inspection_id: str) -> None:
    def action():
        submitted = submit_inspection(database(), current_user(), inspection_id)
        st.session_state[JUST_SUBMITTED] = [finding.number for finding in submitted.findings]

    attempt(f"inspect:{inspection_id}:submit", action)


def submitted(sheet: Sheet) -> None:
    """A submitted inspection: read-only, with its numbered findings; changes only as corrections."""
    numbers = st.session_state.pop(JUST_SUBMITTED, None)
    if numbers is not None:
        st.success(
            t("inspect.submitted.now", count=len(numbers), numbers=plain("、".join(numbers), "—")),
            icon=":material/task_alt:",
        )
    inspection = sheet.inspection
    st.caption(
        t("inspect.submitted.at", time=f"{inspection.submitted_at:%Y-%m-%d %H:%M}", score=_percent(inspection.score))
    )
    st.subheader(t("inspect.submitted.findings", count=len(sheet.findings)))
    if not sheet.findings:
        st.info(t("inspect.submitted.no_findings"))
    photos = evidence(database(), current_user(), sheet.findings)
    for finding in sheet.findings:
        with st.container(border=True):
            st.markdown(
                f"**[{plain(finding.number)}](/finding?id={finding.id})** · {plain(_item_text(sheet, finding.item_id))}"
            )
            st.markdown(plain(finding.description))
            finding_caption(
                finding.severity, finding.responsible_unit, finding.deadline, repeat=bool(finding.repeat_of)
            )
            if photos[finding.id]:
                st.image(
                    [photo_src(current_user(), finding.id, sha256, thumbnail=True) for sha256 in photos[finding.id]],
                    width=160,
                )
    with st.expander(t("inspect.submitted.answers")):
        for item in sheet.checklist.items:
            st.markdown(
                f"{_answer_text(sheet, item.id)} · **{plain(item.id)}** {plain(item.text.get(i18n.short(language())))}"
            )
    with st.expander(t("inspect.correct.title"), icon=":material/edit_note:"):
        _correction(sheet)
    st.button(
        t("inspect.start.new"),
        type="primary",
        width="stretch",
        icon=":material/add:",
        on_click=guarded(st.query_params.clear),
    )


def _answer_text(sheet: Sheet, item_id: str) -> str:
    response = sheet.responses.get(item_id)
    if response is None:
        return t("inspect.result.none")
    shown = t(f"inspect.result.{response.result.value}") if response.result else ""
    if response.value is not None:
        shown = f"{response.value:g} ({shown})"
    if response.text:
        shown = plain(response.text[:80])
    return shown


def _correction(sheet: Sheet) -> None:
    prefix = f"inspect:{sheet.inspection.id}:correct"
    st.caption(t("inspect.correct.help"))
    lang = i18n.short(language())
    items = {item.id: item for item in sheet.checklist.items}
    item_id = st.selectbox(
        t("inspect.correct.item"),
        list(items),
        key=f"{prefix}:item",
        format_func=lambda i: f"{i} {items[i].text.get(lang)[:40]}",
    )
    item = items[item_id]
    answer: dict = {}
    if item.response is ResponseType.NUMBER:
        answer["value"] = st.number_input(t("inspect.item.value"), value=None, key=f"{prefix}:value:{item_id}")
        st.caption(t("inspect.item.limit", limit=plain(str(item.limit))))
    elif item.response is ResponseType.TEXT:
        answer["text"] = st.text_area(t("inspect.item.text"), key=f"{prefix}:text:{item_id}", max_chars=LIMITS["text"])
    else:
        chosen = st.segmented_control(
            t("inspect.item.result"),
            RESULTS,
            key=f"{prefix}:result:{item_id}",
            format_func=labels("inspect.result", RESULTS),
            width="stretch",
        )
        answer["result"] = Result(chosen) if chosen else None
    reason = st.text_area(t("inspect.field.reason"), key=f"{prefix}:reason", max_chars=LIMITS["reason"])
    saved = st.button(t("inspect.correct.save"), key=f"{prefix}:save", type="primary", width="stretch")
    if saved and attempt(
        prefix,
        lambda: correct_inspection(
            database(), current_user(), sheet.inspection.id, reason=reason, answer=Answer(item_id, **answer)
        ),
    ):
        st.session_state[f"{prefix}:done"] = True
        st.rerun()
    show_kept_error(prefix)
    if st.session_state.pop(f"{prefix}:done", False):
        st.success(t("inspect.correct.done"), icon=":material/check:")
