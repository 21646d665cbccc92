"""The cheapest question that proves the database answers."""

import duckdb


def ping(cursor: duckdb.DuckDBPyConnection) -> bool:
    return cursor.execute("SELECT 1").fetchone() == (1,)
