"""The finding form under a failed item (or for an ad-hoc finding), saved field by field.

Photos are checked and stored the moment they are taken or chosen, then shown as
thumbnails from the database; the camera and the uploader are emptied afterwards.
"""

from __future__ import annotations

import streamlit as st

from audit.model import Item, Severity, default_deadline
from audit.photos import MAX_BYTES
from audit.services.inspections import (
    LIMITS,
    FindingDraft,
    Sheet,
    add_finding_photo,
    discard_adhoc_finding,
    effective_deadline,
    record_finding,
    remove_finding_photo,
    reopen_finding,
    save_finding_draft,
)
from audit.ui.inspect_common import attempt, finding_caption, given, labels, plain, seed, show_kept_error
from audit.ui.photo_address import photo_src
from audit.ui.session import current_user, database, guarded, t

SEVERITIES = [severity.value for severity in Severity]
TEXT_FIELDS = ("description", "immediate_measure", "requirement")


def _key(draft: FindingDraft, part: str) -> str:
    return f"finding:{draft.id}:{part}"


def _save_field(draft_id: str, name: str, key: str) -> None:
    known, value = given(key)
    if known and value is not None:
        attempt(
            _form_error(draft_id), lambda: save_finding_draft(database(), current_user(), draft_id, **{name: value})
        )


def _save_severity(draft_id: str, key: str, deadline_key: str, started: object, deadline_set: bool) -> None:
    known, chosen = given(key)
    if not known or not chosen:
        return
    _save_field(draft_id, "severity", key)
    if not deadline_set:
        st.session_state[deadline_key] = default_deadline(started, Severity(chosen))


def _form_error(draft_id: str) -> str:
    return f"finding:{draft_id}:form"


def _add_photos(draft_id: str, key: str) -> None:
    value = st.session_state.get(key)
    files = value if isinstance(value, list) else [value] if value else []
    for file in files:
        attempt(
            f"finding:{draft_id}:photos",
            lambda file=file: add_finding_photo(database(), current_user(), draft_id, file.getvalue(), file.name),
        )
    nonce = f"finding:{draft_id}:nonce"
    st.session_state[nonce] = st.session_state.get(nonce, 0) + 1


def finding_form(sheet: Sheet, draft: FindingDraft, item: Item | None) -> None:
    with st.container(border=True, key=f"finding-{draft.id}"):
        _earlier(sheet, draft)
        if draft.recorded:
            _recorded(sheet, draft)
        else:
            _editing(sheet, draft, item)


def _earlier(sheet: Sheet, draft: FindingDraft) -> None:
    earlier = [sheet.earlier[i] for i in draft.earlier if i in sheet.earlier]
    if not earlier:
        return
    lines = [t("inspect.repeat.title", count=len(earlier))]
    for found in earlier:
        status = t(f"inspect.status.{found.status}")
        lines.append(
            f"- [{plain(found.number)}](/finding?id={found.id}) · {found.found_at:%Y-%m-%d} · {status} · "
            f"{plain(found.description[:80])}"
        )
    st.warning("\n".join(lines), icon=":material/repeat:")


def _recorded(sheet: Sheet, draft: FindingDraft) -> None:
    deadline = effective_deadline(draft, sheet.inspection)
    st.success(t("inspect.finding.recorded"), icon=":material/task_alt:")
    st.markdown(plain(draft.description))
    finding_caption(draft.severity, draft.responsible_unit, deadline, photos=len(draft.photos))
    st.button(
        t("inspect.finding.edit"),
        key=_key(draft, "edit"),
        icon=":material/edit:",
        on_click=guarded(
            lambda: attempt(_form_error(draft.id), lambda: reopen_finding(database(), current_user(), draft.id))
        ),
    )


def _editing(sheet: Sheet, draft: FindingDraft, item: Item | None) -> None:
    st.markdown(f"**{t('inspect.finding.title')}**")
    _text(draft, "description", draft.description, area=True)
    _severity(sheet, draft)
    _text(
        draft,
        "immediate_measure",
        draft.immediate_measure,
        area=True,
        placeholder=t("inspect.finding.immediate_placeholder"),
    )
    unit, person = st.columns([3, 2])
    with unit:
        _text(draft, "responsible_unit", draft.responsible_unit)
    with person:
        _text(draft, "responsible_person", draft.responsible_person)
    _text(draft, "requirement", draft.requirement, area=True)
    _deadline(sheet, draft)
    _photos(draft, item)
    show_kept_error(_form_error(draft.id))
    buttons = st.columns(2 if item is None else 1)
    buttons[0].button(
        t("inspect.finding.save"),
        key=_key(draft, "save"),
        type="primary",
        width="stretch",
        icon=":material/save:",
        on_click=guarded(
            lambda: attempt(_form_error(draft.id), lambda: record_finding(database(), current_user(), draft.id))
        ),
    )
    if item is None:
        buttons[1].button(
            t("inspect.finding.discard"),
            key=_key(draft, "discard"),
            width="stretch",
            icon=":material/delete:",
            on_click=guarded(
                lambda: attempt(
                    _form_error(draft.id), lambda: discard_adhoc_finding(database(), current_user(), draft.id)
                )
            ),
        )


def _text(draft: FindingDraft, name: str, value: str, *, area: bool = False, placeholder: str | None = None) -> None:
    key = _key(draft, name)
    seed(key, value)
    widget = st.text_area if area else st.text_input
    widget(
        t(f"inspect.field.{name}"),
        key=key,
        max_chars=LIMITS[name],
        placeholder=placeholder,
        on_change=guarded(_save_field),
        args=(draft.id, name, key),
    )


def _severity(sheet: Sheet, draft: FindingDraft) -> None:
    key, deadline_key = _key(draft, "severity"), _key(draft, "deadline")
    seed(key, draft.severity.value)
    st.segmented_control(
        t("inspect.field.severity"),
        SEVERITIES,
        key=key,
        required=True,
        width="stretch",
        format_func=labels("inspect.severity", SEVERITIES),
        on_change=guarded(_save_severity),
        args=(draft.id, key, deadline_key, sheet.inspection.started_at.date(), draft.deadline is not None),
    )


def _deadline(sheet: Sheet, draft: FindingDraft) -> None:
    key = _key(draft, "deadline")
    seed(key, effective_deadline(draft, sheet.inspection))
    st.date_input(
        t("inspect.field.deadline"),
        key=key,
        format="YYYY-MM-DD",
        on_change=guarded(_save_field),
        args=(draft.id, "deadline", key),
        help=t("inspect.finding.deadline_help"),
    )


def _photos(draft: FindingDraft, item: Item | None) -> None:
    label = t("inspect.field.photos") + (
        " · " + t("inspect.item.photo_required") if item and item.photo_required else ""
    )
    st.markdown(f"**{plain(label)}**")
    if draft.photos:
        columns = st.columns(3)
        for index, sha256 in enumerate(draft.photos):
            with columns[index % 3]:
                st.image(photo_src(current_user(), draft.id, sha256, thumbnail=True, kind="draft"), width="stretch")
                st.button(
                    t("inspect.photo.remove"),
                    key=_key(draft, f"remove-{sha256}"),
                    width="stretch",
                    icon=":material/delete:",
                    on_click=guarded(
                        lambda sha256=sha256: attempt(
                            _form_error(draft.id),
                            lambda: remove_finding_photo(database(), current_user(), draft.id, sha256),
                        )
                    ),
                )
    else:
        st.caption(t("inspect.photo.none"))
    nonce = st.session_state.get(_key(draft, "nonce"), 0)
    camera_open = _key(draft, "camera")
    st.toggle(t("inspect.photo.camera"), key=camera_open)
    if st.session_state.get(camera_open):
        camera = _key(draft, f"shot-{nonce}")
        st.camera_input(t("inspect.photo.take"), key=camera, on_change=guarded(_add_photos), args=(draft.id, camera))
    upload = _key(draft, f"upload-{nonce}")
    st.file_uploader(
        t("inspect.photo.upload"),
        key=upload,
        accept_multiple_files=True,
        type=["jpg", "jpeg", "png", "webp"],
        max_upload_size=MAX_BYTES // 2**20,
        on_change=guarded(_add_photos),
        args=(draft.id, upload),
    )
    show_kept_error(_key(draft, "photos"))
