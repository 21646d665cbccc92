"""The rules for usernames and passwords, without I/O.

A username is kept in one normal form (NFKC, case-folded) from a small safe alphabet, so that
full-width letters, another script's look-alikes or invisible characters cannot make a second
account that reads like an existing one; `skeleton` catches the look-alikes left inside that
alphabet (`zhang.wei` against `zhang_wei` or `zhang.vvei`). A password needs 10 characters, may
not be the username, and must not be easy to guess by zxcvbn's estimate, whose reason is named.
"""

from __future__ import annotations

import re
import secrets
import unicodedata

from zxcvbn import zxcvbn

from audit.errors import InvalidInput

MIN_PASSWORD_LENGTH = 10
MAX_USERNAME_LENGTH = 64
# zxcvbn's scale: 3 is "safely unguessable" against an online attacker with throttling.
MIN_PASSWORD_SCORE = 3
USERNAME_CHARACTERS = "a-z 0-9 . _ - @"
_USERNAME = re.compile(r"[a-z0-9._@-]+")
# No 0/o, 1/l/i: generated passwords are read off a screen and typed on a tablet.
_PASSWORD_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"

# zxcvbn's warning (English, fixed in the pinned release) -> the reason our catalogs say in both languages.
_WEAK_REASONS = {
    "Straight rows of keys are easy to guess.": "keyboard",
    "Short keyboard patterns are easy to guess.": "keyboard",
    'Repeats like "aaa" are easy to guess.': "repeat",
    'Repeats like "abcabcabc" are only slightly harder to guess than "abc".': "repeat",
    'Sequences like "abc" or "6543" are easy to guess.': "sequence",
    "Recent years are easy to guess.": "date",
    "Dates are often easy to guess.": "date",
    "This is a top-10 common password.": "common",
    "This is a top-100 common password.": "common",
    "This is a very common password.": "common",
    "This is similar to a commonly used password.": "common",
    "A word by itself is easy to guess.": "word",
    "Names and surnames by themselves are easy to guess.": "name",
    "Common names and surnames are easy to guess.": "name",
}
# Letters of other scripts drawn like Latin ones; NFKC leaves them as they are.
_LOOKALIKES = str.maketrans(
    {
        "а": "a",
        "е": "e",
        "о": "o",
        "р": "p",
        "с": "c",
        "у": "y",
        "х": "x",
        "і": "i",
        "ј": "j",
        "ѕ": "s",
        "ԁ": "d",
        "һ": "h",
        "ӏ": "l",
        "к": "k",
        "м": "m",
        "т": "t",
        "в": "b",
        "н": "h",
        "ɡ": "g",
        "α": "a",
        "ο": "o",
        "ρ": "p",
        "ν": "v",
        "ι": "i",
        "κ": "k",
        "τ": "t",
        "υ": "u",
        "χ": "x",
        "ε": "e",
        "0": "o",
        "1": "l",
        "|": "l",
        ".": "",
        "_": "",
        "-": "",
    }
)
_INVISIBLE = {"Cf", "Zs", "Cc", "Mn"}


def normal_username(typed: str | None) -> str:
    """The form a username is stored and looked up in: NFKC, case-folded, outer spaces dropped."""
    return unicodedata.normalize("NFKC", typed or "").casefold().strip()


def check_username(typed: str | None) -> str:
    name = normal_username(typed)
    if not name or len(name) > MAX_USERNAME_LENGTH or not _USERNAME.fullmatch(name):
        raise InvalidInput(
            "accounts.error.username", field="username", characters=USERNAME_CHARACTERS, length=MAX_USERNAME_LENGTH
        )
    return name


def skeleton(username: str) -> str:
    """What a username looks like to a reader: look-alike letters, separators and invisibles merged."""
    name = "".join(ch for ch in normal_username(username) if unicodedata.category(ch) not in _INVISIBLE)
    name = name.translate(_LOOKALIKES)
    return name.replace("rn", "m").replace("vv", "w")


def confusable_with(username: str, existing: list[str]) -> str | None:
    """The existing username this one could be mistaken for, if any."""
    shape = skeleton(username)
    return next((other for other in existing if skeleton(other) == shape), None)


def check_password(password: str | None, username: str = "", *, other_inputs: tuple[str, ...] = ()) -> str:
    """The password when it is long enough, not the username and hard enough to guess."""
    password = password or ""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput("accounts.error.password_short", field="password", count=MIN_PASSWORD_LENGTH)
    if username and _bare(password) == _bare(username):
        raise InvalidInput("accounts.error.password_username", field="password")
    inputs = [value for value in (username, *other_inputs) if value]
    estimate = zxcvbn(password[:100], user_inputs=inputs)  # zxcvbn slows sharply on very long input
    if estimate["score"] < MIN_PASSWORD_SCORE:
        reason = _WEAK_REASONS.get(estimate["feedback"]["warning"], "guessable")
        if any(match.get("dictionary_name") == "user_inputs" for match in estimate["sequence"]):
            reason = "personal"
        raise InvalidInput(f"accounts.error.password_weak.{reason}", field="password")
    return password


def _bare(text: str) -> str:
    return "".join(normal_username(text).split())


def generate_password() -> str:
    """Twelve random characters in three groups, e.g. k7mp-x2qa-9tfe."""
    groups = ("".join(secrets.choice(_PASSWORD_ALPHABET) for _ in range(4)) for _ in range(3))
    return "-".join(groups)
