"""The one rule for text a spreadsheet could run as a formula, used by every export.

Excel and LibreOffice skip leading blanks (including the no-break and ideographic spaces
of Chinese text) and read the full-width signs of a Chinese input method as the ASCII
ones, so `　＝1+1` is as live as `=1+1`. A cell starting with a tab, CR or LF is also
suspect (OWASP). CSV has no cell types, so such text gets a leading single quote there;
an XLSX writes every text cell as a string, which is never run.
"""

from __future__ import annotations

import re

import pyarrow as pa
import pyarrow.compute as pc

# Every character Python counts as white space, plus the zero-width ones a paste carries.
_BLANKS = "".join(c for c in map(chr, range(0x3001)) if c.isspace()) + "\u200b\u200c\u200d\u2060\ufeff"
_SIGNS = "=+@＝＋－＠\\-"
FORMULA_RISK = f"^[{_BLANKS}]*[{_SIGNS}]|^[\t\r\n]"
"""One pattern, read the same by Python's `re` and by Arrow's RE2 (literal characters only)."""

_RISK = re.compile(FORMULA_RISK)


def is_formula_risk(text: str) -> bool:
    return bool(_RISK.match(text))


def neutralise(value):
    """Text that could start a formula gets a leading single quote; anything else is returned as it is."""
    return "'" + value if isinstance(value, str) and _RISK.match(value) else value


def neutralise_column(column: pa.Array) -> pa.Array:
    """`neutralise` for a whole Arrow string column at once."""
    risky = pc.fill_null(pc.match_substring_regex(column, FORMULA_RISK), False)
    return pc.if_else(risky, pc.binary_join_element_wise("'", column, ""), column)
