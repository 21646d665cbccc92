"""One checklist item on the tablet: pass / fail / not applicable, a measured value, or text.

Every change is saved from the widget's callback before the page redraws, so what the
inspector sees is what the database holds.
"""

from __future__ import annotations

import streamlit as st

from audit import i18n
from audit.model import Item, ResponseType, Result
from audit.services.inspections import LIMITS, Sheet, record_response
from audit.ui.inspect_common import attempt, given, labels, plain, seed, show_kept_error
from audit.ui.session import current_user, database, guarded, language, t

RESULTS = [Result.PASS.value, Result.FAIL.value, Result.NA.value]


def _key(sheet: Sheet, item: Item, part: str) -> str:
    return f"inspect:{sheet.inspection.id}:{item.id}:{part}"


def _save(inspection_id: str, item_id: str, error_key: str, **answer) -> None:
    attempt(
        error_key,
        lambda: record_response(database(), current_user(), inspection_id, item_id, language=language(), **answer),
    )


def _on_result(inspection_id: str, item_id: str, key: str) -> None:
    known, chosen = given(key)
    if known and chosen:
        _save(inspection_id, item_id, key, result=Result(chosen))


def _on_value(inspection_id: str, item_id: str, key: str, na_key: str) -> None:
    known, value = given(key)
    if known:
        st.session_state[na_key] = None
        _save(inspection_id, item_id, key, value=value)


def _on_value_na(inspection_id: str, item_id: str, key: str, value_key: str) -> None:
    known, chosen = given(key)
    if not known:
        return
    if chosen:
        st.session_state[value_key] = None
    _save(inspection_id, item_id, key, result=Result.NA if chosen else None)


def _on_text(inspection_id: str, item_id: str, key: str) -> None:
    known, text = given(key)
    if known:
        _save(inspection_id, item_id, key, text=text or "")


def item_heading(item: Item) -> None:
    lang = i18n.short(language())
    st.markdown(f"**{plain(item.id)}** {plain(item.text.get(lang))}")
    notes = [t(f"inspect.severity.{item.severity.value}")]
    if item.photo_required:
        notes.append(t("inspect.item.photo_required"))
    if item.rule:
        notes.append(item.rule)
    st.caption(" · ".join(plain(note) for note in notes))


def item_answer(sheet: Sheet, item: Item) -> None:
    """The answer widgets of one item, seeded from the database."""
    {ResponseType.PASS_FAIL: _pass_fail, ResponseType.NUMBER: _measurement, ResponseType.TEXT: _free_text}[
        item.response
    ](sheet, item)


def _pass_fail(sheet: Sheet, item: Item) -> None:
    key = _key(sheet, item, "result")
    result = sheet.result(item.id)
    seed(key, result.value if result else None)
    st.segmented_control(
        t("inspect.item.result"),
        RESULTS,
        key=key,
        format_func=labels("inspect.result", RESULTS),
        on_change=guarded(_on_result),
        args=(sheet.inspection.id, item.id, key),
        label_visibility="collapsed",
        width="stretch",
        required=result is not None,
    )
    show_kept_error(key)


def _measurement(sheet: Sheet, item: Item) -> None:
    value_key, na_key = _key(sheet, item, "value"), _key(sheet, item, "na")
    response = sheet.responses.get(item.id)
    seed(value_key, response.value if response else None)
    seed(na_key, "na" if response and response.result is Result.NA else None)
    number, limit = st.columns([3, 2], vertical_alignment="bottom")
    number.number_input(
        t("inspect.item.value"),
        value=None,
        key=value_key,
        step=1.0,
        format="%g",
        on_change=guarded(_on_value),
        args=(sheet.inspection.id, item.id, value_key, na_key),
        placeholder=t("inspect.item.value_placeholder"),
    )
    limit.markdown(t("inspect.item.limit", limit=plain(str(item.limit))))
    st.pills(
        t("inspect.item.na"),
        ["na"],
        key=na_key,
        format_func=labels("inspect.result", ["na"]),
        on_change=guarded(_on_value_na),
        args=(sheet.inspection.id, item.id, na_key, value_key),
        label_visibility="collapsed",
    )
    result = sheet.result(item.id)
    if result is Result.FAIL:
        st.badge(t("inspect.item.beyond_limit"), icon=":material/close:", color="red")
    elif result is Result.PASS:
        st.badge(t("inspect.item.within_limit"), icon=":material/check:", color="green")
    show_kept_error(value_key)
    show_kept_error(na_key)


def _free_text(sheet: Sheet, item: Item) -> None:
    key = _key(sheet, item, "text")
    response = sheet.responses.get(item.id)
    seed(key, (response.text or "") if response else "")
    st.text_area(
        t("inspect.item.text"),
        key=key,
        max_chars=LIMITS["text"],
        on_change=guarded(_on_text),
        args=(sheet.inspection.id, item.id, key),
    )
    show_kept_error(key)
