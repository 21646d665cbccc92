"""`python -m audit users ...`: passwords asked twice at a hidden prompt or read from stdin."""

from __future__ import annotations

import contextlib

from click.testing import CliRunner

from audit.cli import cli
from audit.services import accounts
from audit.store import open_database

PASSWORD = "correct horse battery"


def run(db_path, *args, input=None):
    return CliRunner().invoke(cli, [*args, "--db", str(db_path)], input=input)


def sign_in(db_path, username, password):
    database = open_database(db_path)
    try:
        return accounts.authenticate(database, username, password)
    finally:
        database.close()


def test_add_asks_for_the_password_twice(db_path):
    result = run(
        db_path, "users", "add", "chen", "--role", "admin", "--display-name", "陈", input=f"{PASSWORD}\n{PASSWORD}\n"
    )
    assert result.exit_code == 0, result.output
    assert "Account created: chen (admin)" in result.output
    assert PASSWORD not in result.output  # the prompt hides what is typed
    assert sign_in(db_path, "chen", PASSWORD).display_name == "陈"


def test_add_asks_again_when_the_two_passwords_differ(db_path):
    result = run(
        db_path,
        "users",
        "add",
        "chen",
        "--role",
        "admin",
        input=f"{PASSWORD}\nsomething else\n{PASSWORD}\n{PASSWORD}\n",
    )
    assert result.exit_code == 0 and "Error: The two entered values do not match." in result.output


def test_add_reads_stdin_and_binds_a_unit(db_path):
    result = run(
        db_path,
        "users",
        "add",
        "guangming",
        "--role",
        "unit",
        "--unit",
        "光明社区居委会",
        "--password-stdin",
        input=f"{PASSWORD}\n",
    )
    assert result.exit_code == 0, result.output
    assert sign_in(db_path, "guangming", PASSWORD).unit == "光明社区居委会"


def test_add_refuses_a_short_password_plainly(db_path):
    result = run(db_path, "users", "add", "chen", "--role", "admin", "--password-stdin", input="short\n")
    assert result.exit_code == 1
    assert "Error: Password must be at least 10 characters long." in result.output
    assert "Traceback" not in result.output


def test_add_refuses_a_unit_account_without_unit(db_path):
    result = run(db_path, "users", "add", "u", "--role", "unit", "--password-stdin", input=f"{PASSWORD}\n")
    assert result.exit_code == 1 and "account needs its unit" in result.output


def test_list_disable_enable_and_reset(db_path):
    missing = run(db_path, "users", "list")
    assert missing.exit_code == 1 and f"There is no database at {db_path}" in missing.output
    run(db_path, "init")
    assert "No accounts yet" in run(db_path, "users", "list").output
    run(db_path, "users", "add", "chen", "--role", "admin", "--password-stdin", input=f"{PASSWORD}\n")
    run(db_path, "users", "add", "li", "--role", "inspector", "--password-stdin", input=f"{PASSWORD}\n")
    assert run(db_path, "users", "disable", "li").output.strip() == "Account li disabled."
    listed = run(db_path, "users", "list").output.splitlines()
    assert listed == ["chen\tadmin\t-\tactive\tchen", "li\tinspector\t-\tdisabled\tli"]
    assert run(db_path, "users", "enable", "li").exit_code == 0
    result = run(db_path, "users", "reset-password", "li", "--password-stdin", input="a new long password\n")
    assert result.exit_code == 0 and sign_in(db_path, "li", "a new long password").active


def test_disabling_the_last_admin_is_refused(db_path):
    run(db_path, "users", "add", "chen", "--role", "admin", "--password-stdin", input=f"{PASSWORD}\n")
    result = run(db_path, "users", "disable", "chen")
    assert result.exit_code == 1 and "last active administrator" in result.output


def test_disabling_an_unknown_account_names_it(db_path):
    result = run(db_path, "users", "disable", "ghost")
    assert result.exit_code == 1 and "There is no account named 'ghost'." in result.output


def test_unlock_lifts_the_lock_and_keeps_the_password(db_path):
    run(db_path, "users", "add", "chen", "--role", "admin", "--password-stdin", input=f"{PASSWORD}\n")
    for _ in range(accounts.MAX_FAILED_LOGINS):
        with contextlib.suppress(accounts.SignInRefused):
            sign_in(db_path, "chen", "a wrong guess")
    result = run(db_path, "users", "unlock", "chen")
    assert result.exit_code == 0 and "Sign-in lock of chen lifted." in result.output
    assert sign_in(db_path, "chen", PASSWORD).username == "chen"


def test_link_and_unlink_single_sign_on(db_path):
    from audit.services.sso import sso_sign_in

    run(
        db_path,
        "users",
        "add",
        "chen",
        "--role",
        "inspector",
        "--email",
        "chen@example.cn",
        "--password-stdin",
        input=f"{PASSWORD}\n",
    )
    result = run(db_path, "users", "link-sso", "chen", "--issuer", "https://idp.example.cn", "--subject", "c-1")
    assert result.exit_code == 0, result.output
    database = open_database(db_path)
    try:
        assert sso_sign_in(database, {"iss": "https://idp.example.cn", "sub": "c-1"}).username == "chen"
    finally:
        database.close()
    assert run(db_path, "users", "unlink-sso", "chen").exit_code == 0


def test_a_weak_password_is_refused_saying_why(db_path):
    result = run(db_path, "users", "add", "chen", "--role", "admin", "--password-stdin", input="1234567890\n")
    assert result.exit_code != 0 and "common passwords" in result.output
