"""Password and username rules: weak passwords refused with the reason, look-alike usernames refused."""

from __future__ import annotations

import pytest

from audit import i18n
from audit.errors import Conflict, InvalidInput
from audit.services import accounts
from audit.services.credentials import generate_password

PASSWORD = "correct horse battery"


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        (" " * 10, "repeat"),
        ("1234567890", "common"),
        ("password123", "common"),
        ("qwertyuiop", "common"),
        ("aaaaaaaaaaaa", "repeat"),
        ("abcdefghijk", "sequence"),
    ],
)
def test_easy_passwords_are_refused_saying_why_in_both_languages(db, password, reason):
    with pytest.raises(InvalidInput) as refused:
        accounts.add_user(db, None, username="li.na", role="inspector", password=password)
    assert refused.value.field == "password"
    assert refused.value.key == f"accounts.error.password_weak.{reason}"
    assert refused.value.key in i18n.catalog("zh-CN") and refused.value.key in i18n.catalog("en")


@pytest.mark.parametrize("password", ["zhang.wei.1", "ZHANG.WEI.1", "ｚｈａｎｇ.ｗｅｉ.1"])
def test_the_username_in_any_case_or_width_is_not_a_password(db, password):
    with pytest.raises(InvalidInput) as refused:
        accounts.add_user(db, None, username="zhang.wei.1", role="inspector", password=password)
    assert refused.value.key == "accounts.error.password_username"


def test_a_password_built_on_the_name_is_refused(db):
    with pytest.raises(InvalidInput) as refused:
        accounts.add_user(db, None, username="zhangwei", role="inspector", password="zhangwei2026")
    assert refused.value.field == "password" and refused.value.key.startswith("accounts.error.password_weak.")


def test_short_passwords_name_the_length(db):
    with pytest.raises(InvalidInput, match="at least 10 characters"):
        accounts.add_user(db, None, username="li.na", role="inspector", password="Xq7#pL2!")


def test_a_reset_password_follows_the_same_rules(db):
    accounts.add_user(db, None, username="zhang.wei.1", role="inspector", password=PASSWORD)
    with pytest.raises(InvalidInput):
        accounts.reset_password(db, None, "zhang.wei.1", "1234567890")
    with pytest.raises(InvalidInput):
        accounts.reset_password(db, None, "zhang.wei.1", "ZHANG.WEI.1")


def test_generated_passwords_pass_the_rules():
    for _ in range(50):
        assert accounts.check_password(generate_password(), "demo-inspector")


@pytest.mark.parametrize(
    "lookalike",
    [
        "zh\u0430ng.wei",  # Cyrillic а
        "ｚｈａｎｇ.ｗｅｉ",  # full-width letters
        "zhang\u200b.wei",  # zero-width space
        "Zhang.Wei",
        "zhang_wei",
        "zhangwei",
        "zhang.vvei",
    ],
)
def test_a_username_that_reads_like_an_existing_one_is_refused(db, lookalike):
    accounts.add_user(db, None, username="zhang.wei", role="inspector", password=PASSWORD)
    with pytest.raises((InvalidInput, Conflict)) as refused:
        accounts.add_user(db, None, username=lookalike, role="inspector", password=PASSWORD)
    assert refused.value.field == "username"
    assert refused.value.key in {
        "accounts.error.username",
        "accounts.error.username_taken",
        "accounts.error.username_confusable",
    }


def test_an_old_lookalike_account_blocks_the_plain_name_too(db):
    with db.write() as cursor:  # made before these rules, directly in the table
        cursor.execute(
            "INSERT INTO users (id, username, display_name, role, created_at) "
            "VALUES ('old', 'zh\u0430ng.wei', 'x', 'inspector', now())"
        )
    with pytest.raises(Conflict) as refused:
        accounts.add_user(db, None, username="zhang.wei", role="inspector", password=PASSWORD)
    assert refused.value.key == "accounts.error.username_confusable"


def test_full_width_names_are_stored_and_found_in_their_plain_form(db):
    user = accounts.add_user(db, None, username="ＬＩ.ＮＡ", role="inspector", password=PASSWORD)
    assert user.username == "li.na"
    assert accounts.authenticate(db, "ｌｉ.ｎａ", PASSWORD).id == user.id


def test_the_username_error_names_the_allowed_characters_in_both_languages(db):
    with pytest.raises(InvalidInput) as refused:
        accounts.add_user(db, None, username="张伟", role="inspector", password=PASSWORD)
    assert "a-z 0-9 . _ - @" in refused.value.text("zh-CN") and "a-z 0-9 . _ - @" in refused.value.text("en")
