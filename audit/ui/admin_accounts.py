"""The accounts tab of the administration page: list, create, change role and unit, disable, reset.

Actions run in button callbacks, so a form can be emptied after success and the table above
it is drawn from the store after the change. A generated password is kept in the session only
until the next screen draws it, once.
"""

from __future__ import annotations

import streamlit as st

from audit import i18n
from audit.errors import AuditError
from audit.model import Role, User
from audit.services import accounts, sessions, sso
from audit.ui.errors import kept, show_error
from audit.ui.session import database, guarded, language, now, t
from audit.ui.text import plain

_SHOW_PASSWORD = "admin.shown_password"
_NOTICE = "admin.notice"


def _role_name(role: Role | str, lang: str | None = None) -> str:
    return i18n.t(f"accounts.role.{Role(role).value}", lang or language())


def _role_names():
    """A format function bound to this run's language (Streamlit may call it outside the run)."""
    lang = language()
    return lambda role: _role_name(role, lang)


def _state(account) -> str:
    if not account.user.active:
        return t("admin.accounts.disabled")
    if account.locked_until and account.locked_until > now():
        return t("admin.accounts.locked", time=f"{account.locked_until:%H:%M}")
    return t("admin.accounts.active")


def attempt(action, success, tab: str = "accounts") -> None:
    """Run a service call from a callback; keep its outcome for the next draw of the same tab."""
    try:
        result = action()
    except AuditError as error:
        st.session_state[f"{_NOTICE}.{tab}"] = ("error", kept(error))
    else:
        st.session_state[f"{_NOTICE}.{tab}"] = ("success", success(result))


def show_outcome(tab: str = "accounts") -> None:
    kind, outcome = st.session_state.pop(f"{_NOTICE}.{tab}", (None, None))
    # Both name accounts and may carry what was typed: the success text is escaped, the error by show_error.
    if kind == "error":
        show_error(outcome)
    elif kind == "success":
        st.success(plain(outcome), icon=":material/check_circle:")
    shown = st.session_state.pop(_SHOW_PASSWORD, None)
    if shown:
        st.warning(t("admin.accounts.shown_once", username=plain(shown[0])), icon=":material/key:")
        st.code(shown[1], language=None)


def _remember_password(username: str, typed: str, password: str) -> None:
    if not typed:
        st.session_state[_SHOW_PASSWORD] = (username, password)


def _account_table(admin: User) -> list:
    listed = accounts.list_accounts(database(), admin)
    if not listed:
        st.info(t("admin.accounts.empty"))
        return listed
    st.dataframe(
        [
            {
                t("accounts.username"): a.user.username,
                t("admin.accounts.display_name"): a.user.display_name,
                t("admin.accounts.role"): _role_name(a.user.role),
                t("admin.accounts.unit"): a.user.unit or "",
                t("admin.accounts.state"): _state(a),
            }
            for a in listed
        ],
        hide_index=True,
        width="stretch",
    )
    return listed


def _unit_box(label_key: str, key: str, current: str | None = None) -> None:
    units = accounts.known_units(database())
    options = units + ([current] if current and current not in units else [])
    st.selectbox(
        t(label_key),
        options,
        index=options.index(current) if current else None,
        key=key,
        accept_new_options=True,
        help=t("admin.accounts.unit_help"),
        placeholder="",
    )


def _create(admin: User) -> None:
    state = st.session_state
    typed = state.get("new.password", "")
    username = state.get("new.username", "")

    def action():
        password = typed or accounts.generate_password()
        user = accounts.add_user(
            database(),
            admin,
            username=username,
            role=state["new.role"],
            password=password,
            display_name=state.get("new.display_name"),
            unit=state.get("new.unit"),
            email=state.get("new.email"),
        )
        _remember_password(user.username, typed, password)
        for key in ("new.username", "new.display_name", "new.password", "new.unit", "new.email"):
            state.pop(key, None)
        return user

    attempt(action, lambda user: t("admin.accounts.created", username=user.username))


def _new_account_form(admin: User) -> None:
    with st.expander(t("admin.accounts.new"), icon=":material/person_add:"):
        first, second = st.columns(2)
        first.text_input(
            t("accounts.username"),
            key="new.username",
            help=t("admin.accounts.username_help", characters=accounts.USERNAME_CHARACTERS),
        )
        second.text_input(t("admin.accounts.display_name"), key="new.display_name")
        st.text_input(t("admin.accounts.email"), key="new.email", help=t("admin.accounts.email_help"))
        first, second = st.columns(2)
        with first:
            st.selectbox(t("admin.accounts.role"), [r.value for r in Role], format_func=_role_names(), key="new.role")
        with second:
            _unit_box("admin.accounts.unit", "new.unit")
        st.text_input(
            t("accounts.password"),
            type="password",
            key="new.password",
            autocomplete="new-password",
            help=t("admin.accounts.password_help", count=accounts.MIN_PASSWORD_LENGTH),
        )
        st.button(t("admin.accounts.create"), type="primary", on_click=guarded(_create), args=(admin,), width="stretch")


def _edit_account(admin: User, listed: list) -> None:
    names = [a.user.username for a in listed]
    with st.expander(t("admin.accounts.edit"), icon=":material/manage_accounts:"):
        username = st.selectbox(t("admin.accounts.pick"), names, index=None, placeholder="", key="edit.username")
        account = next((a for a in listed if a.user.username == username), None)
        if account is None:
            return
        chosen = account.user
        _role_and_unit(admin, chosen, account.email)
        st.divider()
        _password_reset(admin, chosen)
        st.button(
            t("admin.accounts.unlock"),
            width="stretch",
            key=f"edit.unlock.{chosen.id}",
            on_click=guarded(attempt),
            args=(
                lambda: accounts.unlock(database(), admin, chosen.username),
                lambda user: t("admin.accounts.unlocked", username=user.username),
            ),
        )
        st.divider()
        _single_sign_on(admin, account)
        st.divider()
        active = not chosen.active
        st.button(
            t("admin.accounts.enable" if active else "admin.accounts.disable"),
            width="stretch",
            key=f"edit.active.{chosen.id}",
            on_click=guarded(attempt),
            args=(
                lambda: accounts.set_active(database(), admin, chosen.username, active),
                lambda user: t(
                    "admin.accounts.enabled_done" if active else "admin.accounts.disabled_done", username=user.username
                ),
            ),
        )
        _end_sessions(admin, chosen)


def _end_sessions(admin: User, chosen: User) -> None:
    """Sign the account out on every device at once (a lost tablet, a shared one left signed in)."""
    st.divider()
    count = sessions.open_sessions(database(), admin, chosen.username)
    st.caption(t("admin.accounts.open_sessions", count=count))
    st.button(
        t("admin.accounts.end_sessions"),
        width="stretch",
        key=f"edit.end_sessions.{chosen.id}",
        icon=":material/devices_off:",
        on_click=guarded(attempt),
        args=(
            lambda: (chosen, sessions.end_sessions(database(), admin, chosen.username))[0],
            lambda user: t("admin.accounts.sessions_ended", username=user.username),
        ),
    )


def _role_and_unit(admin: User, chosen: User, email: str | None) -> None:
    prefix = f"edit.{chosen.id}"
    first, second = st.columns(2)
    roles = [r.value for r in Role]
    first.selectbox(
        t("admin.accounts.role"),
        roles,
        index=roles.index(chosen.role.value),
        format_func=_role_names(),
        key=f"{prefix}.role",
    )
    with second:
        _unit_box("admin.accounts.unit", f"{prefix}.unit", chosen.unit)
    st.text_input(t("admin.accounts.display_name"), value=chosen.display_name, key=f"{prefix}.display_name")
    st.text_input(
        t("admin.accounts.email"), value=email or "", key=f"{prefix}.email", help=t("admin.accounts.email_help")
    )
    state = st.session_state
    st.button(
        t("admin.accounts.save"),
        type="primary",
        width="stretch",
        key=f"{prefix}.save",
        on_click=guarded(attempt),
        args=(
            lambda: accounts.set_role(
                database(),
                admin,
                chosen.username,
                state[f"{prefix}.role"],
                state.get(f"{prefix}.unit"),
                state.get(f"{prefix}.display_name"),
                state.get(f"{prefix}.email", ""),
            ),
            lambda user: t("admin.accounts.saved", username=user.username),
        ),
    )


def _password_reset(admin: User, chosen: User) -> None:
    key = f"edit.{chosen.id}.password"
    st.text_input(
        t("admin.accounts.new_password"),
        type="password",
        key=key,
        autocomplete="new-password",
        help=t("admin.accounts.password_help", count=accounts.MIN_PASSWORD_LENGTH),
    )

    def action():
        typed = st.session_state.pop(key, "")
        password = accounts.reset_password(database(), admin, chosen.username, typed or None)
        _remember_password(chosen.username, typed, password)
        return chosen

    st.button(
        t("admin.accounts.reset"),
        width="stretch",
        key=f"{key}.reset",
        on_click=guarded(attempt),
        args=(action, lambda user: t("admin.accounts.reset_done", username=user.username)),
    )


def _single_sign_on(admin: User, account) -> None:
    """Which identity-provider user may sign in as this account; the provider's ids are shown as typed."""
    chosen, prefix = account.user, f"edit.{account.user.id}.sso"
    st.caption(t("admin.accounts.sso"))
    if account.sso_subject:
        st.text(f"{account.sso_issuer} · {account.sso_subject}")
        st.button(
            t("admin.accounts.sso_unlink"),
            width="stretch",
            key=f"{prefix}.unlink",
            on_click=guarded(attempt),
            args=(
                lambda: sso.unlink(database(), admin, chosen.username),
                lambda user: t("admin.accounts.sso_unlinked", username=user.username),
            ),
        )
        return
    st.text(t("admin.accounts.sso_none"))
    first, second = st.columns(2)
    first.text_input(t("admin.accounts.sso_issuer"), key=f"{prefix}.issuer")
    second.text_input(t("admin.accounts.sso_subject"), key=f"{prefix}.subject")
    state = st.session_state
    st.button(
        t("admin.accounts.sso_link"),
        width="stretch",
        key=f"{prefix}.link",
        on_click=guarded(attempt),
        args=(
            lambda: sso.link(
                database(),
                admin,
                chosen.username,
                state.get(f"{prefix}.issuer", ""),
                state.get(f"{prefix}.subject", ""),
            ),
            lambda user: t("admin.accounts.sso_linked", username=user.username),
        ),
    )


def accounts_tab(admin: User) -> None:
    show_outcome()
    listed = _account_table(admin)
    _new_account_form(admin)
    _edit_account(admin, listed)
