"""Sign in: username and password, or the organisation's single sign-on when configured."""

import streamlit as st

from audit.errors import AuditError
from audit.services.accounts import authenticate, is_demo
from audit.ui.errors import show_error
from audit.ui.session import (
    SSO_REFUSED_KEY,
    client_address,
    database,
    now,
    remember,
    sign_in,
    signed_out_reason,
    sso_configured,
    t,
)

with st.container(key="login"):
    st.title(t("accounts.login.title"))
    st.caption(t("accounts.login.subtitle"))
    reason = signed_out_reason()
    if reason:
        st.info(t(reason), icon=":material/logout:")
    if is_demo(database()):
        st.warning(t("accounts.login.demo"), icon=":material/science:")

    with st.form("sign_in"):
        username = st.text_input(t("accounts.username"), autocomplete="username")
        password = st.text_input(t("accounts.password"), type="password", autocomplete="current-password")
        submitted = st.form_submit_button(t("accounts.sign_in"), type="primary", width="stretch")
    if submitted:
        try:
            user = authenticate(database(), username, password, now=now(), address=client_address())
        except AuditError as error:
            show_error(error)
        else:
            sign_in(user)
            remember(user)
            st.rerun()

    if sso_configured():
        refused = st.session_state.get(SSO_REFUSED_KEY)
        if refused:
            show_error(refused, icon=":material/block:")
            if st.button(t("accounts.sso.leave"), width="stretch"):
                st.session_state.pop(SSO_REFUSED_KEY)
                st.logout()
        elif st.button(t("accounts.sso.sign_in"), icon=":material/badge:", width="stretch"):
            st.login()
