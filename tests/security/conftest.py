"""The AppTest fixtures of tests/app serve the security tests of pages too."""

from tests.app.conftest import app_db, make_app, signed_in  # noqa: F401 (fixtures)
