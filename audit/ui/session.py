"""What every page shares: the database, the language and the user's session."""

from __future__ import annotations

import functools
import html
import secrets
import time
from datetime import datetime

import streamlit as st
from streamlit.errors import StreamlitSecretNotFoundError

from audit import i18n
from audit.errors import AuditError, InvalidInput
from audit.model import User
from audit.services import accounts, sessions, sso
from audit.services.checklists import checklists_directory, sync_checklists
from audit.services.database import Database, database_path, open_database
from audit.settings import settings
from audit.ui.text import plain

LANGUAGE_KEY = "language"
USER_KEY = "user"


@st.cache_resource(show_spinner=False)
def _open(path: str) -> Database:
    # Shared by every session of the server: pages take cursors from it, never the connection.
    database = open_database(path)
    sync_checklists(database, checklists_directory())
    return database


def database() -> Database:
    target = database_path()
    return _open(target if isinstance(target, str) else str(target.resolve()))


def check_settings() -> None:
    """A setting that cannot be used stops every page with what is wrong, rather than running on a guess."""
    try:
        settings()
    except InvalidInput as error:
        st.error(error.title(language()), icon=":material/settings:")
        st.text(error.text(language()))  # the text quotes the variable's value as it was set
        st.stop()


def language() -> str:
    if LANGUAGE_KEY not in st.session_state:
        st.session_state[LANGUAGE_KEY] = i18n.language_for(st.context.locale)
    return st.session_state[LANGUAGE_KEY]


def t(key: str, **values) -> str:
    return i18n.t(key, language(), **values)


def language_switch() -> None:
    """The language starts as the browser's and can be changed at any time, on every page."""
    names = {"zh-CN": "中文", "en": "English"}
    language()
    st.segmented_control(
        "语言 / Language",
        options=list(names),
        format_func=names.get,
        key=LANGUAGE_KEY,
        selection_mode="single",
        label_visibility="collapsed",
    )
    if st.session_state.get(LANGUAGE_KEY) is None:  # deselecting keeps the current language
        st.session_state[LANGUAGE_KEY] = i18n.DEFAULT_LANGUAGE


def current_user() -> User | None:
    """The signed-in user of this browser session, or None."""
    return st.session_state.get(USER_KEY)


# --- Signing in and out -------------------------------------------------------------------

LAST_ACTIVE_KEY = "last_active"
SIGNED_OUT_KEY = "signed_out_reason"
SSO_REFUSED_KEY = "sso_refused"


def now() -> datetime:
    """The clock every sign-in decision reads; tests replace it to move time on."""
    return datetime.now()


def idle_minutes() -> float:
    """The AUDIT_IDLE_MINUTES setting: a session unused this long is signed out."""
    return settings().idle_minutes


def client_address() -> str | None:
    """The address of the browser's connection, which sign-in throttles by; None from this machine.

    Behind a reverse proxy this is the proxy's address unless the server is told to trust its
    forwarded-for header (uvicorn's --forwarded-allow-ips).
    """
    address = st.context.ip_address
    return address if isinstance(address, str) else None  # without a browser connection there is none


def sign_in(user: User) -> None:
    st.session_state[USER_KEY] = user
    st.session_state[LAST_ACTIVE_KEY] = now().timestamp()
    st.session_state.pop(SIGNED_OUT_KEY, None)


# --- Staying signed in (the session cookie) ---------------------------------------------------

SESSION_ID_KEY = "browser_session"
COOKIE_REQUEST_KEY = "cookie_request"  # (address the page loads once, until when)
ENDED_REASONS = {
    sessions.IDLE: "accounts.signed_out.idle",
    sessions.DISABLED: "accounts.signed_out.disabled",
    sessions.SIGNED_OUT: "accounts.signed_out.elsewhere",
    sessions.EVERYWHERE: "accounts.signed_out.everywhere",
    sessions.BY_ADMIN: "accounts.signed_out.by_admin",
    sessions.PASSWORD_RESET: "accounts.signed_out.password_reset",
    sessions.EXPIRED: "accounts.signed_out.idle",
}


def _client() -> str | None:
    address = st.context.ip_address
    agent = st.context.headers.get("User-Agent")
    agent = agent if isinstance(agent, str) else ""
    return " · ".join(part for part in (address if isinstance(address, str) else "", agent[:150]) if part) or None


def remember(user: User) -> None:
    """After sign-in: a stored session, and the page asks the server once for its cookie."""
    started = sessions.start(database(), user, client=_client(), now=now())
    st.session_state[SESSION_ID_KEY] = started.session_id
    st.session_state[COOKIE_REQUEST_KEY] = (f"/session/start?code={started.code}", time.time() + sessions.CODE_SECONDS)


def _resume_from_cookie() -> User | None:
    """A reload, a second tab or a link opened from a notice: signed in by the browser's cookie."""
    token = st.context.cookies.get("audit_session")
    if not isinstance(token, str) or not token:  # without a browser connection there are no cookies
        return None
    outcome = sessions.resume(database(), token, idle_minutes=idle_minutes(), now=now())
    if outcome.user is None:
        return None
    sign_in(outcome.user)
    st.session_state[SESSION_ID_KEY] = outcome.session_id
    return outcome.user


def cookie_exchange() -> None:
    """Load the route that sets or clears the cookie, as an image the page never shows.

    It stays on the page for the code's 30 seconds so a rerun meanwhile does not cancel the request.
    """
    request = st.session_state.get(COOKIE_REQUEST_KEY)
    if request is None:
        return
    address, until = request
    if time.time() > until:
        st.session_state.pop(COOKIE_REQUEST_KEY, None)
        return
    st.html(pixel(address))


def pixel(address: str) -> str:
    """A hidden image that makes the browser call one of the app's own routes; the address is escaped."""
    return f'<img src="{html.escape(address, quote=True)}" alt="" width="1" height="1" hidden>'


def sign_out_everywhere() -> None:
    user = current_user()
    if user is not None:
        sessions.sign_out_everywhere(database(), user, now=now())
    sign_out("accounts.signed_out.everywhere")


def sign_out(reason: str | None = None) -> None:
    """End the session, the stored one too, and clear the cookie; `reason` is a catalog key the
    login page shows once."""
    session_id = st.session_state.pop(SESSION_ID_KEY, None)
    if session_id:
        sessions.end(database(), session_id, now=now())
        st.session_state[COOKIE_REQUEST_KEY] = (
            f"/session/end?n={secrets.token_hex(8)}",
            time.time() + sessions.CODE_SECONDS,
        )
    st.session_state.pop(USER_KEY, None)
    st.session_state.pop(LAST_ACTIVE_KEY, None)
    if reason:
        st.session_state[SIGNED_OUT_KEY] = reason
    if sso_configured() and st.user.get("is_logged_in"):
        st.logout()  # also drop the identity cookie, or a reload would sign straight back in


def signed_out_reason() -> str | None:
    return st.session_state.pop(SIGNED_OUT_KEY, None)


def keep_session() -> User | None:
    """The user of this session after the idle check and a fresh look at their account."""
    user = current_user()
    if user is None:
        return _resume_from_cookie()
    moment = now().timestamp()
    session_id = st.session_state.get(SESSION_ID_KEY)
    if session_id:
        # The stored session is shared by every tab of the browser: its last use is the idle clock.
        outcome = sessions.check(database(), session_id, idle_minutes=idle_minutes(), now=now())
        if outcome.user is None:
            sign_out(ENDED_REASONS.get(outcome.ended, "accounts.signed_out.elsewhere"))
            return None
    elif moment - st.session_state.get(LAST_ACTIVE_KEY, moment) > idle_minutes() * 60:
        sign_out("accounts.signed_out.idle")
        return None
    stored = accounts.current_account(database(), user)
    if stored is None:
        sign_out("accounts.signed_out.disabled")
        return None
    st.session_state[USER_KEY] = stored
    st.session_state[LAST_ACTIVE_KEY] = moment
    return stored


def guarded(function):
    """Run a widget callback or fragment only for a session whose account may still act.

    Callbacks and fragment reruns skip the top of app.py, so each goes through this: the account
    is read again (enabled, role, idle time). A session that fails is signed out and the whole
    app reruns, which shows the sign-in page. A changed role or unit reruns the whole app too, so
    the pages and what they show follow the new role from this tap on.
    """

    @functools.wraps(function)
    def run(*args, **kwargs):
        before = current_user()
        user = keep_session()
        if user is None:
            if before is not None:
                st.rerun()  # just signed out: rerun the whole app (from a callback too), which shows sign-in
            return None
        if (user.role, user.unit) != (before.role, before.unit):
            st.rerun()
        args = [user if isinstance(value, User) and value.id == user.id else value for value in args]
        kwargs = {
            name: user if isinstance(value, User) and value.id == user.id else value for name, value in kwargs.items()
        }
        return function(*args, **kwargs)

    return run


def _secret(name: str):
    try:
        return st.secrets.get(name)
    except (FileNotFoundError, StreamlitSecretNotFoundError):
        return None


def sso_configured() -> bool:
    """Single sign-on is offered only when `.streamlit/secrets.toml` has an [auth] table."""
    return bool(_secret("auth"))


def sso_roles() -> sso.SsoRoles | None:
    """[audit_sso] claim = "groups", [audit_sso.roles] "claim value" = "role"; absent = local roles."""
    table = _secret("audit_sso")
    if not table or not table.get("claim"):
        return None
    return sso.SsoRoles(claim=str(table["claim"]), roles={str(k): str(v) for k, v in table.get("roles", {}).items()})


def sso_sign_in() -> User | None:
    """Turn an identity-provider sign-in into a session of the matching local account.

    A refusal is kept for the login page (which offers to leave the provider's account),
    and is not retried in this session.
    """
    if not (sso_configured() and st.user.get("is_logged_in")) or SSO_REFUSED_KEY in st.session_state:
        return None
    try:
        user = sso.sso_sign_in(database(), st.user.to_dict(), sso_roles(), now=now())
    except AuditError as error:
        st.session_state[SSO_REFUSED_KEY] = error.with_traceback(None)
        return None
    sign_in(user)
    if SESSION_ID_KEY not in st.session_state:
        remember(user)
    return user


def top_bar(user: User | None) -> None:
    """One row above every page: who is signed in, in which role, the language, and the way out.

    It takes the place of a sidebar, which would cost a portrait tablet a third of its width.
    """
    with st.container(horizontal=True, horizontal_alignment="right", vertical_alignment="center", key="top_bar"):
        if user is not None:
            unit = f" · {plain(user.unit)}" if user.unit else ""
            st.caption(
                t("accounts.signed_in_as", name=plain(user.display_name), role=t(f"accounts.role.{user.role.value}"))
                + unit
            )
        language_switch()
        if user is not None and st.button(t("accounts.sign_out"), icon=":material/logout:", key="sign_out"):
            sign_out("accounts.signed_out.by_user")
            st.rerun()
        if user is not None and st.button(
            t("accounts.sign_out_everywhere"),
            icon=":material/devices_off:",
            key="sign_out_everywhere",
            help=t("accounts.sign_out_everywhere.help"),
        ):
            sign_out_everywhere()
            st.rerun()
