from __future__ import annotations

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from audit import settings
from audit.model import Role, User
from audit.services import accounts
from tests.conftest import ROOT

APP = str(ROOT / "app.py")


@pytest.fixture
def app_db(db_path, monkeypatch):
    """The app pointed at a fresh database, with Streamlit's caches emptied."""
    monkeypatch.setenv("AUDIT_DB", str(db_path))
    settings.reload()
    st.cache_resource.clear()
    st.cache_data.clear()
    yield db_path
    st.cache_resource.clear()
    st.cache_data.clear()


@pytest.fixture
def make_app(app_db):
    def build(language: str | None = None) -> AppTest:
        app = AppTest.from_file(APP, default_timeout=30)
        if language:
            app.session_state["language"] = language
        return app

    return build


PASSWORD = "correct horse battery"
UNIT = "光明社区居委会"


class SignIn:
    """Real accounts in the app's database, made through the accounts service, and sessions signed in as them.

    `signed_in(app, "supervisor")` makes a supervisor and signs the AppTest in as it;
    `signed_in.account("unit", username="guangming")` only makes the account (to seed data as it first).
    """

    def __init__(self):
        self.made = 0

    @property
    def database(self):
        from audit.ui.session import database

        return database()  # the connection the app itself uses: the server holds the file

    def account(
        self,
        role: str = "inspector",
        *,
        username: str | None = None,
        display_name: str | None = None,
        unit: str | None = None,
    ) -> User:
        self.made += 1
        role = Role(role)
        return accounts.add_user(
            self.database,
            None,
            username=username or f"{role.value}.{self.made}",
            role=role,
            password=PASSWORD,
            display_name=display_name,
            unit=unit or (UNIT if role is Role.UNIT else None),
        )

    def like(self, user: User) -> User:
        """The account with this user's username, role, unit and name, made the first time it is asked for.

        An account seeded without a password (as the ledger fixtures do) is given the test password.
        """
        stored = [known for known in accounts.list_users(self.database, None) if known.username == user.username]
        if not stored:
            return self.account(user.role.value, username=user.username, display_name=user.display_name, unit=user.unit)
        accounts.reset_password(self.database, None, user.username, PASSWORD)
        return stored[0]

    def __call__(self, app: AppTest, who: User | str = "inspector", **fields) -> User:
        """Sign in as `who`: a role (a new account), or a User (the account like it, see `like`)."""
        user = self.like(who) if isinstance(who, User) else self.account(who, **fields)
        signed = accounts.authenticate(self.database, user.username, PASSWORD)
        app.session_state["user"] = signed
        return signed


@pytest.fixture
def signed_in(app_db) -> SignIn:
    return SignIn()
