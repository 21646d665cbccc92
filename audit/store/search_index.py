"""The ledger's text search without reading every description: character pairs of each distinct text.

A search tested every finding's number and description with `contains`/`ILIKE`: seconds at ten million
findings. Findings repeat their wording (a team writes the same sentence at many sites and visits), so
the search reads distinct texts instead. `search_texts` holds each distinct text once under its key,
which each finding carries as `search_key`: the description, with the number beside it only when the
number is not of the app's own form YYYY-NNNN (one kept from an imported ledger). `search_grams` holds
every pair of neighbouring characters of each text, lowered, and each text's last character alone, so
that every character of a text begins one of its grams. A term's grams pick the candidate texts, the
search's own test runs on those texts only, and the findings are those whose key is among the texts
that pass. Numbers of the app's form hold digits and '-' only: a term of those alone is also tested
on every finding's number (`needs_numbers`), any other term cannot be in one.

A key is the MD5 of the text, made from the finding alone, so writers need not agree on one: on a lake,
two processes adding the same new text at once leave it twice, which the search (a set of keys) does
not notice. Both tables are derived, never evidence, and kept in the writer's transaction by the
store's writes of findings (`add_finding`) and bulk loads (`add_loaded`); `drift` compares them with
the findings for `python -m audit check`, and `rebuild` makes them again. Numbers and descriptions
never change once a finding is recorded, so no other write touches them.
"""

from __future__ import annotations

import duckdb

# A number of the app's own form (`audit.model.finding_number`) holds only these characters.
NUMBER_CHARACTERS = frozenset("0123456789-")
_OWN_NUMBER = "regexp_full_match({number}, '[0-9]{{4}}-[0-9]+')"


def kept_number_sql(number: str) -> str:
    """The number as a text keeps it: NULL for one of the app's form, which the search tests directly."""
    return f"CASE WHEN {_OWN_NUMBER.format(number=number)} THEN NULL ELSE {number} END"


def key_sql(number: str, description: str) -> str:
    """A finding's search key from its number and description, the same from SQL in every path that writes."""
    return f"md5(to_json([{kept_number_sql(number)}, {description}])::VARCHAR)::UUID"


def needs_numbers(term: str) -> bool:
    """Whether `term` could be in a number of the app's form, which only the findings themselves hold."""
    return set(term) <= NUMBER_CHARACTERS


# Grams of the texts in `source` (key, number, description): two characters from each position, the last alone.
_GRAMS = """
    SELECT DISTINCT gram, key FROM (
        SELECT key, substring(lowered, unnest(range(1, length(lowered) + 1)), 2) AS gram
        FROM (SELECT key, lower(concat_ws(chr(10), number, description)) AS lowered FROM {source})
    )
"""
# The texts of findings in `findings` (keys set) not yet in the table: distinct, so a load adds each once.
_NEW_TEXTS = """
    SELECT DISTINCT search_key AS key, {number} AS number, description FROM {findings} n
    WHERE search_key IS NOT NULL AND NOT EXISTS (SELECT 1 FROM search_texts t WHERE t.key = n.search_key)
"""


def add_finding(cursor: duckdb.DuckDBPyConnection, number: str, description: str) -> str:
    """The search key of a finding being recorded; its text and grams are added unless already there.

    The key is looked up as a constant (an index on a file; a lake scans the distinct texts, sorted by key).
    """
    values = {"number": number, "description": description}
    key = cursor.execute(f"SELECT {key_sql('$number', '$description')}", values).fetchone()[0]
    if cursor.execute("SELECT count(*) FROM search_texts WHERE key = ?", [key]).fetchone()[0]:
        return key
    text = f"(SELECT $key::UUID AS key, {kept_number_sql('$number')} AS number, $description AS description)"
    cursor.execute(f"INSERT INTO search_grams {_GRAMS.format(source=text)}", values | {"key": key})
    cursor.execute(f"INSERT INTO search_texts SELECT * FROM {text}", values | {"key": key})
    return key


def add_loaded(cursor: duckdb.DuckDBPyConnection, findings: str) -> None:
    """The new texts of `findings`, a relation of findings just loaded in bulk (keys set), with their grams."""
    cursor.execute(f"CREATE OR REPLACE TEMP TABLE search_texts_new AS {_new_texts(findings)}")
    _add_new(cursor)


def _new_texts(findings: str) -> str:
    return _NEW_TEXTS.format(findings=findings, number=kept_number_sql("n.number"))


def _add_new(cursor: duckdb.DuckDBPyConnection) -> None:
    cursor.execute(f"INSERT INTO search_grams {_GRAMS.format(source='search_texts_new')} ORDER BY gram")
    cursor.execute("INSERT INTO search_texts SELECT key, number, description FROM search_texts_new")
    cursor.execute("DROP TABLE search_texts_new")


def rebuild(cursor: duckdb.DuckDBPyConnection) -> None:
    """Every finding's key and both tables again from the findings: a few statements, however many there are."""
    key = key_sql("number", "description")
    cursor.execute(f"UPDATE findings SET search_key = {key} WHERE search_key IS DISTINCT FROM {key}")
    cursor.execute("DELETE FROM search_grams")
    cursor.execute("DELETE FROM search_texts")
    add_loaded(cursor, "findings")


def drift(cursor: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """How far each part disagrees with the findings: findings with a wrong key, texts missing or extra,
    grams missing or extra. All zero when the search agrees with reading every finding."""
    keys = cursor.execute(
        f"SELECT count(*) FROM findings WHERE search_key IS DISTINCT FROM {key_sql('number', 'description')}"
    ).fetchone()[0]
    derived = f"SELECT DISTINCT search_key, {kept_number_sql('number')}, description FROM findings"
    texts = _differing(cursor, "SELECT DISTINCT key, number, description FROM search_texts", derived)
    grams = _differing(
        cursor, "SELECT DISTINCT gram, key FROM search_grams", _GRAMS.format(source="(FROM search_texts)")
    )
    return {"keys": keys, "texts": texts, "grams": grams}


def _differing(cursor: duckdb.DuckDBPyConnection, kept: str, derived: str) -> int:
    return cursor.execute(
        f"WITH kept AS ({kept}), derived AS ({derived}) "
        "SELECT count(*) FROM ((FROM kept EXCEPT FROM derived) UNION ALL (FROM derived EXCEPT FROM kept))"
    ).fetchone()[0]


def matching_keys(test: str, length: int) -> str:
    """SQL of the keys of the texts that pass `test` (over `t.number` and `t.description`), for the term
    `$search_term` of `length` characters.

    Candidates first, from the grams: a term of one character begins some gram of every text it is in;
    a longer one has all its pairs among the text's grams. Then the test itself, on those texts only.
    Each candidate set holds every text that passes the test: `contains` implies the lowered text contains
    the lowered term (DuckDB lowers character by character), and so does `ILIKE` on a term without wildcards.
    """
    term = "lower($search_term)"
    if length == 1:
        candidates = f"SELECT key, count(*) AS grams FROM search_grams WHERE starts_with(gram, {term}) GROUP BY key"
    else:
        pairs = f"SELECT DISTINCT substring({term}, unnest(range(1, length({term}))), 2) AS gram"
        candidates = (
            f"SELECT key, count(DISTINCT gram) AS grams FROM search_grams WHERE gram IN (SELECT gram FROM ({pairs})) "
            f"GROUP BY key HAVING count(DISTINCT gram) = (SELECT count(*) FROM ({pairs}))"
        )
    # The test names a column of the candidates, so it runs after the join, on them only: a test of the
    # text alone DuckDB would move below the join, onto every text.
    return (
        f"SELECT t.key FROM search_texts t JOIN ({candidates}) c ON c.key = t.key "
        f"WHERE CASE WHEN c.grams > 0 THEN {test} ELSE false END"
    )
