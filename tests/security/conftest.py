from tests.app.conftest import app_db, make_app, signed_in  # noqa: F401  (the AppTest fixtures, shared)
