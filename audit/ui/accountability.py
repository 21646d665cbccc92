"""问责: suggestions to accept or dismiss, a form to record a measure, and the lists with their export."""

from __future__ import annotations

import streamlit as st

from audit.errors import AuditError
from audit.services import accountability as service
from audit.services.permissions import Permission, can
from audit.ui.errors import show_error
from audit.ui.session import current_user, database, language, now, t
from audit.ui.text import plain

NOTICE = "accountability.notice"
PREFILL = "accountability.prefill"
state = st.session_state
user = current_user()
lang = language()
recorder = can(user, Permission.RECORD_MEASURE)


def kinds() -> dict[str, str]:
    return {kind.id: kind.name.get(lang) for kind in service.catalogue()[0]}


def suggestion_list() -> None:
    pending = service.suggestions(database(), user, today=now().date())
    st.subheader(t("accountability.page.suggestions", count=len(pending)))
    if not pending:
        st.info(t("accountability.page.no_suggestions"), icon=":material/check_circle:")
    for suggestion in pending:
        with st.container(border=True, key=f"suggestion-{suggestion.key}"):
            st.text(f"{suggestion.unit} · {service.rule_text(suggestion.rule, lang)}")
            st.text(
                t(
                    "accountability.page.suggested",
                    kind=kinds().get(suggestion.suggest, suggestion.suggest),
                    numbers="、".join(suggestion.numbers),
                )
            )
            accept, dismiss = st.columns(2)
            if accept.button(
                t("accountability.page.accept"),
                key=f"accept-{suggestion.key}",
                icon=":material/gavel:",
                width="stretch",
            ):
                state[PREFILL] = suggestion
                state["measure_unit"] = suggestion.unit
                st.rerun()
            with dismiss.popover(t("accountability.page.dismiss"), icon=":material/close:", width="stretch"):
                reason = st.text_area(t("accountability.page.reason"), key=f"reason-{suggestion.key}")
                if st.button(
                    t("accountability.page.dismiss_confirm"), key=f"dismiss-{suggestion.key}", width="stretch"
                ):
                    try:
                        service.dismiss_suggestion(
                            database(), user, suggestion.key, reason=reason, today=now().date(), now=now()
                        )
                        state[NOTICE] = t("accountability.page.dismissed")
                        st.rerun()
                    except AuditError as error:
                        show_error(error)


def record_form() -> None:
    prefill = state.get(PREFILL)
    st.subheader(t("accountability.page.record"))
    units = service.units(database(), user)
    unit = st.selectbox(
        t("accountability.column.unit"),
        units,
        placeholder=t("accountability.page.pick_unit"),
        index=None,
        key="measure_unit",
    )
    if not unit:
        st.caption(t("accountability.page.pick_unit_first"))
        return
    choices = {row[0]: f"{row[1]} · {row[2][:40]}" for row in service.unit_findings(database(), user, unit)}
    names = kinds()
    with st.form("measure_form", border=True, clear_on_submit=False):
        kind = st.selectbox(
            t("accountability.column.kind"),
            list(names),
            format_func=names.get,
            index=list(names).index(prefill.suggest) if prefill and prefill.suggest in names else 0,
        )
        linked = st.multiselect(
            t("accountability.column.findings"),
            list(choices),
            format_func=choices.get,
            default=[f for f in (prefill.finding_ids if prefill else ()) if f in choices],
        )
        person = st.text_input(t("accountability.column.person"), help=t("accountability.page.person_help"))
        decided_on = st.date_input(
            t("accountability.column.decided_on"), value=now().date(), max_value=now().date(), format="YYYY-MM-DD"
        )
        decided_by = st.text_input(t("accountability.column.decided_by"))
        basis = st.text_area(t("accountability.column.basis"), height=80)
        note = st.text_area(t("accountability.column.note"), height=80)
        files = st.file_uploader(
            t("accountability.column.documents"), type=["pdf", "jpg", "jpeg", "png", "webp"], accept_multiple_files=True
        )
        if st.form_submit_button(
            t("accountability.page.save"), type="primary", icon=":material/save:", width="stretch"
        ):
            try:
                service.record_measure(
                    database(),
                    user,
                    kind=kind,
                    unit=unit,
                    person=person,
                    decided_on=decided_on,
                    decided_by=decided_by,
                    basis=basis,
                    note=note,
                    finding_ids=linked,
                    documents=[(file.name, file.getvalue()) for file in files or []],
                    suggestion=prefill.key if prefill and prefill.unit == unit else None,
                    today=now().date(),
                    now=now(),
                )
                state.pop(PREFILL, None)
                state[NOTICE] = t("accountability.page.saved")
                st.rerun()
            except AuditError as error:
                show_error(error)


def measure_list() -> None:
    left, right = st.columns(2)
    unit = left.text_input(t("accountability.page.filter_unit"), key="measures_unit") if recorder else None
    person = right.text_input(t("accountability.page.filter_person"), key="measures_person")
    rows = service.measures(database(), user, unit=(unit or "").strip() or None, person=person.strip() or None)
    st.subheader(t("accountability.page.list", count=len(rows)))
    if not rows:
        st.info(t("accountability.page.none"), icon=":material/inbox:")
        return
    numbers = service.finding_numbers(database(), user, rows)
    st.dataframe(
        [
            {
                t("accountability.column.decided_on"): m.decided_on,
                t("accountability.column.kind"): service.kind_name(m.kind, lang),
                t("accountability.column.unit"): m.unit,
                t("accountability.column.person"): m.person,
                t("accountability.column.findings"): "、".join(numbers.get(f, "") for f in m.finding_ids),
                t("accountability.column.basis"): m.basis,
            }
            for m in rows
        ],
        hide_index=True,
        width="stretch",
        row_height=44,
    )
    st.download_button(
        t("accountability.page.export"),
        data=service.measures_csv(rows, numbers, lang),
        file_name="accountability.csv",
        mime="text/csv",
        icon=":material/download:",
        on_click="ignore",
        width="stretch",
    )
    for measure in rows:
        for name in measure.documents:
            mime, data = service.measure_document(database(), user, measure.id, name)
            st.download_button(
                plain(f"{measure.decided_on} · {measure.unit} · {name}"),
                data=data,
                file_name=name,
                mime=mime,
                key=f"doc-{measure.id}-{name}",
                on_click="ignore",
                icon=":material/attach_file:",
            )


st.title(t("accountability.page.title"))
if NOTICE in state:
    st.success(state.pop(NOTICE), icon=":material/check_circle:")
if recorder:
    suggestion_list()
    record_form()
measure_list()
