"""Numbered schema migrations, each recorded in `_migrations` once applied.

All pending migrations run in one transaction at start, so a failed upgrade leaves the
file as it was. Tables carry no database-made ids or cross-row constraints: ids come from
the application, which keeps the same schema usable on DuckLake later.
"""

from __future__ import annotations

from collections.abc import Callable, Collection

import duckdb

from audit.store import backend
from audit.store.db import Database, unit_of_work

Migration = Callable[[duckdb.DuckDBPyConnection], None]
MIGRATIONS: list[tuple[int, str, Migration]] = []


def migration(number: int):
    def register(function: Migration) -> Migration:
        if any(existing == number for existing, _, _ in MIGRATIONS):
            raise ValueError(f"migration {number} is defined twice")
        MIGRATIONS.append((number, function.__name__, function))
        MIGRATIONS.sort(key=lambda entry: entry[0])
        return function

    return register


def applied(database: Database) -> list[int]:
    with database.read() as cursor:
        exists = cursor.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = '_migrations'"
        ).fetchone()[0]
        if not exists:
            return []
        rows = cursor.execute("SELECT number FROM _migrations ORDER BY number").fetchall()
        return [row[0] for row in rows]


@unit_of_work
def migrate(database: Database, *, only: Collection[int] | None = None) -> list[int]:
    """Apply what is pending (of `only`, when given); return the numbers applied.

    A restore builds the schema a backup was made with (`only` its migrations), loads it, and
    applies the rest afterwards, as an upgrade of the original file would. On a lake the SQL goes
    through `backend.lake_ddl`; servers starting together conflict, and the later one finds nothing left.
    """
    done = set(applied(database))
    pending = [entry for entry in MIGRATIONS if entry[0] not in done and (only is None or entry[0] in only)]
    if not pending:
        return []
    with database.write() as cursor:
        if database.lake:
            cursor = backend.LakeCursor(cursor, ddl=True)
        cursor.execute(
            "CREATE TABLE IF NOT EXISTS _migrations "
            "(number INTEGER, name VARCHAR, applied_at TIMESTAMP DEFAULT current_timestamp)"
        )
        for number, name, function in pending:
            function(cursor)
            cursor.execute("INSERT INTO _migrations (number, name) VALUES (?, ?)", [number, name])
    return [number for number, _, _ in pending]


@migration(1)
def initial_schema(cursor: duckdb.DuckDBPyConnection) -> None:
    cursor.execute(
        """
        CREATE TABLE sites (
            id VARCHAR NOT NULL, code VARCHAR NOT NULL,
            name_zh VARCHAR NOT NULL, name_en VARCHAR NOT NULL, kind VARCHAR NOT NULL,
            district_zh VARCHAR NOT NULL, district_en VARCHAR NOT NULL,
            subdistrict_zh VARCHAR NOT NULL, subdistrict_en VARCHAR NOT NULL,
            community_zh VARCHAR NOT NULL, community_en VARCHAR NOT NULL,
            unit_zh VARCHAR NOT NULL, unit_en VARCHAR NOT NULL,
            active BOOLEAN NOT NULL DEFAULT true,
            version INTEGER NOT NULL DEFAULT 1, updated_at TIMESTAMP, updated_by VARCHAR
        );
        CREATE TABLE checklists (
            id VARCHAR NOT NULL, version INTEGER NOT NULL, content_hash VARCHAR NOT NULL,
            title_zh VARCHAR NOT NULL, title_en VARCHAR NOT NULL,
            source_file VARCHAR, content JSON NOT NULL, first_seen TIMESTAMP NOT NULL
        );
        CREATE TABLE inspections (
            id VARCHAR NOT NULL, site_id VARCHAR NOT NULL,
            checklist_id VARCHAR NOT NULL, checklist_version INTEGER NOT NULL,
            checklist_hash VARCHAR NOT NULL,
            inspectors VARCHAR[] NOT NULL, started_at TIMESTAMP NOT NULL,
            status VARCHAR NOT NULL, submitted_at TIMESTAMP,
            score DOUBLE, created_by VARCHAR NOT NULL,
            version INTEGER NOT NULL DEFAULT 1, updated_at TIMESTAMP, updated_by VARCHAR
        );
        CREATE TABLE responses (
            inspection_id VARCHAR NOT NULL, item_id VARCHAR NOT NULL,
            result VARCHAR, value DOUBLE, text VARCHAR, note VARCHAR,
            answered_at TIMESTAMP NOT NULL, answered_by VARCHAR
        );
        CREATE TABLE findings (
            id VARCHAR NOT NULL, number VARCHAR NOT NULL,
            inspection_id VARCHAR, site_id VARCHAR NOT NULL,
            checklist_id VARCHAR, item_id VARCHAR,
            description VARCHAR NOT NULL, severity VARCHAR NOT NULL,
            immediate_measure VARCHAR NOT NULL DEFAULT '',
            responsible_unit VARCHAR NOT NULL, responsible_person VARCHAR NOT NULL DEFAULT '',
            requirement VARCHAR NOT NULL DEFAULT '', deadline DATE NOT NULL,
            status VARCHAR NOT NULL, found_at TIMESTAMP NOT NULL, inspector VARCHAR NOT NULL,
            fix_report VARCHAR NOT NULL DEFAULT '', reported_by VARCHAR, reported_at TIMESTAMP,
            verifier VARCHAR, closed_at TIMESTAMP,
            repeat_of VARCHAR, is_repeat BOOLEAN NOT NULL DEFAULT false,
            version INTEGER NOT NULL DEFAULT 1, updated_at TIMESTAMP, updated_by VARCHAR
        );
        CREATE TABLE finding_events (
            id VARCHAR NOT NULL, finding_id VARCHAR NOT NULL, happened_at TIMESTAMP NOT NULL,
            actor VARCHAR NOT NULL, action VARCHAR NOT NULL,
            from_status VARCHAR, to_status VARCHAR, note VARCHAR NOT NULL DEFAULT ''
        );
        CREATE TABLE photos (
            sha256 VARCHAR NOT NULL, mime VARCHAR NOT NULL,
            width INTEGER NOT NULL, height INTEGER NOT NULL, size_bytes INTEGER NOT NULL,
            data BLOB NOT NULL, thumbnail BLOB NOT NULL, created_at TIMESTAMP NOT NULL
        );
        CREATE TABLE finding_photos (
            finding_id VARCHAR NOT NULL, sha256 VARCHAR NOT NULL, stage VARCHAR NOT NULL,
            event_id VARCHAR, added_at TIMESTAMP NOT NULL, added_by VARCHAR NOT NULL
        );
        CREATE TABLE users (
            id VARCHAR NOT NULL, username VARCHAR NOT NULL, display_name VARCHAR NOT NULL,
            role VARCHAR NOT NULL, unit VARCHAR, password_hash VARCHAR,
            active BOOLEAN NOT NULL DEFAULT true,
            failed_logins INTEGER NOT NULL DEFAULT 0, locked_until TIMESTAMP,
            created_at TIMESTAMP NOT NULL, version INTEGER NOT NULL DEFAULT 1,
            updated_at TIMESTAMP, updated_by VARCHAR
        );
        CREATE TABLE audit_log (
            seq BIGINT NOT NULL, logged_at TIMESTAMP NOT NULL, actor VARCHAR NOT NULL,
            action VARCHAR NOT NULL, entity VARCHAR NOT NULL, entity_id VARCHAR,
            before JSON, after JSON, prev_hash VARCHAR NOT NULL, hash VARCHAR NOT NULL
        );
        CREATE TABLE sequences (name VARCHAR NOT NULL, value BIGINT NOT NULL);
        CREATE TABLE meta (name VARCHAR NOT NULL, value VARCHAR);
        """
    )


@migration(3)
def finding_drafts(cursor: duckdb.DuckDBPyConnection) -> None:
    """The finding form of an inspection not yet submitted, kept field by field so a reload loses nothing.

    The indexes keep the inspection page's point reads (an inspection, its answers, the earlier
    findings shown beside a repeat) as fast with a million findings as with a thousand. They are
    plain ART indexes, not constraints; DuckLake has no indexes, so a DuckLake setup leaves these four out.
    """
    cursor.execute(
        """
        CREATE TABLE finding_drafts (
            id VARCHAR NOT NULL, inspection_id VARCHAR NOT NULL, item_id VARCHAR,
            description VARCHAR NOT NULL DEFAULT '', severity VARCHAR NOT NULL,
            immediate_measure VARCHAR NOT NULL DEFAULT '', responsible_unit VARCHAR NOT NULL DEFAULT '',
            responsible_person VARCHAR NOT NULL DEFAULT '', requirement VARCHAR NOT NULL DEFAULT '',
            deadline DATE, photos VARCHAR[] NOT NULL DEFAULT [], earlier VARCHAR[] NOT NULL DEFAULT [],
            recorded BOOLEAN NOT NULL DEFAULT false,
            created_at TIMESTAMP NOT NULL, updated_at TIMESTAMP NOT NULL, updated_by VARCHAR NOT NULL
        );
        CREATE INDEX findings_by_id ON findings (id);
        CREATE INDEX findings_by_inspection ON findings (inspection_id);
        CREATE INDEX inspections_by_id ON inspections (id);
        CREATE INDEX responses_by_inspection ON responses (inspection_id);
        """
    )


@migration(4)
def imported_checklist_text(cursor: duckdb.DuckDBPyConnection) -> None:
    # An imported Excel ledger names its checklist and item in words that may match no
    # registered checklist; kept as written so nothing the office recorded is lost.
    cursor.execute("ALTER TABLE findings ADD COLUMN checklist_text VARCHAR")
    cursor.execute("ALTER TABLE findings ADD COLUMN item_text VARCHAR")


@migration(20)
def bulletins(cursor: duckdb.DuckDBPyConnection) -> None:
    # A draft changes until it is issued; then its content, number and hash never change again.
    cursor.execute(
        """
        CREATE TABLE bulletins (
            id VARCHAR NOT NULL, kind VARCHAR NOT NULL, status VARCHAR NOT NULL,
            year INTEGER, number INTEGER, period_from DATE NOT NULL, period_to DATE NOT NULL,
            subdistrict VARCHAR, language VARCHAR NOT NULL, content JSON NOT NULL, content_hash VARCHAR,
            units VARCHAR[] NOT NULL, corrects VARCHAR,
            created_by VARCHAR NOT NULL, created_at TIMESTAMP NOT NULL, issued_by VARCHAR, issued_at TIMESTAMP,
            version INTEGER NOT NULL DEFAULT 1, updated_at TIMESTAMP, updated_by VARCHAR
        )
        """
    )


@migration(21)
def accountability(cursor: duckdb.DuckDBPyConnection) -> None:
    # Measures are records of a person's decision; suggestions are worked out from the ledger each time,
    # and only a supervisor's answer to one (accepted or dismissed, with the reason) is stored.
    cursor.execute(
        """
        CREATE TABLE measures (
            id VARCHAR NOT NULL, kind VARCHAR NOT NULL, unit VARCHAR NOT NULL, person VARCHAR NOT NULL,
            decided_on DATE NOT NULL, decided_by VARCHAR NOT NULL, basis VARCHAR NOT NULL, note VARCHAR NOT NULL,
            finding_ids VARCHAR[] NOT NULL, suggestion VARCHAR, recorded_by VARCHAR NOT NULL,
            recorded_at TIMESTAMP NOT NULL, version INTEGER NOT NULL, updated_at TIMESTAMP, updated_by VARCHAR
        );
        CREATE TABLE measure_documents (
            measure_id VARCHAR NOT NULL, sha256 VARCHAR NOT NULL, name VARCHAR NOT NULL, mime VARCHAR NOT NULL,
            data BLOB NOT NULL, added_at TIMESTAMP NOT NULL, added_by VARCHAR NOT NULL
        );
        CREATE TABLE suggestion_answers (
            key VARCHAR NOT NULL, rule VARCHAR NOT NULL, unit VARCHAR NOT NULL, answer VARCHAR NOT NULL,
            reason VARCHAR NOT NULL, measure_id VARCHAR, answered_by VARCHAR NOT NULL, answered_at TIMESTAMP NOT NULL
        );
        """
    )


@migration(22)
def plans_and_tasks(cursor: duckdb.DuckDBPyConnection) -> None:
    # A task's id is made from its site, checklist and day, so overlapping plans, or two servers
    # making the same day's tasks, can never give one visit twice.
    cursor.execute(
        """
        CREATE TABLE plans (
            id VARCHAR NOT NULL, name VARCHAR NOT NULL, checklist_ids VARCHAR[] NOT NULL,
            site_codes VARCHAR[] NOT NULL, site_kind VARCHAR, subdistrict VARCHAR, team VARCHAR[] NOT NULL,
            self_inspection BOOLEAN NOT NULL, recurrence VARCHAR NOT NULL, start_day DATE NOT NULL,
            end_day DATE NOT NULL, active BOOLEAN NOT NULL, made_through DATE,
            created_by VARCHAR NOT NULL, created_at TIMESTAMP NOT NULL,
            version INTEGER NOT NULL, updated_at TIMESTAMP, updated_by VARCHAR
        );
        CREATE TABLE tasks (
            id VARCHAR NOT NULL, plan_id VARCHAR NOT NULL, site_id VARCHAR NOT NULL, checklist_id VARCHAR NOT NULL,
            due DATE NOT NULL, team VARCHAR[] NOT NULL, self_inspection BOOLEAN NOT NULL, created_at TIMESTAMP NOT NULL
        );
        CREATE TABLE checklist_retirements (checklist_id VARCHAR NOT NULL, retired_on DATE NOT NULL,
                                            retired_by VARCHAR NOT NULL);
        ALTER TABLE inspections ADD COLUMN self_reported BOOLEAN DEFAULT false;
        """
    )


@migration(30)
def audit_log_rows(cursor: duckdb.DuckDBPyConnection) -> None:
    """The content hash of each audited row, recorded with the log entry that changed it.

    The rows a database already holds are recorded by migration 55, once every audited column exists.
    """
    cursor.execute(
        "CREATE TABLE audit_log_rows (seq BIGINT NOT NULL, table_name VARCHAR NOT NULL, "
        "row_key VARCHAR NOT NULL, row_hash VARCHAR)"
    )
    cursor.execute("ALTER TABLE audit_log ADD COLUMN rows_digest VARCHAR")


@migration(31)
def recheck_campaigns(cursor: duckdb.DuckDBPyConnection) -> None:
    # The seed and the filter are kept with the campaign, so anyone can draw the same sample again.
    cursor.execute(
        """
        CREATE TABLE recheck_campaigns (
            id VARCHAR NOT NULL, name VARCHAR NOT NULL, closed_from DATE NOT NULL, closed_to DATE NOT NULL,
            site_kind VARCHAR, severity VARCHAR, unit VARCHAR, sample_size INTEGER, sample_share DOUBLE,
            seed BIGINT NOT NULL, population INTEGER NOT NULL, drawn INTEGER NOT NULL, team VARCHAR[] NOT NULL,
            due DATE NOT NULL, created_by VARCHAR NOT NULL, created_at TIMESTAMP NOT NULL
        );
        CREATE TABLE recheck_items (
            campaign_id VARCHAR NOT NULL, finding_id VARCHAR NOT NULL, site_id VARCHAR NOT NULL,
            outcome VARCHAR, note VARCHAR NOT NULL DEFAULT '', new_finding_id VARCHAR,
            checked_by VARCHAR, checked_at TIMESTAMP
        );
        """
    )


@migration(40)
def browser_sessions(cursor: duckdb.DuckDBPyConnection) -> None:
    """Sessions a browser keeps by cookie. Only the SHA-256 of the cookie's token is kept, and of the
    one-time code the page exchanges for it; `ended_at` is set when the session ends for any reason."""
    cursor.execute(
        """
        CREATE TABLE browser_sessions (
            id VARCHAR NOT NULL, user_id VARCHAR NOT NULL, token_hash VARCHAR, code_hash VARCHAR,
            code_expires TIMESTAMP, created_at TIMESTAMP NOT NULL, last_used TIMESTAMP NOT NULL,
            client VARCHAR, ended_at TIMESTAMP, ended_reason VARCHAR
        )
        """
    )


@migration(52)
def self_reported_findings(cursor: duckdb.DuckDBPyConnection) -> None:
    # Findings of a unit's self-inspection (自查) carry the mark themselves, so every count can leave them
    # out without a join to inspections.
    cursor.execute(
        """
        ALTER TABLE findings ADD COLUMN self_reported BOOLEAN DEFAULT false;
        UPDATE findings SET self_reported = true
        WHERE inspection_id IN (SELECT id FROM inspections WHERE self_reported);
        """
    )


@migration(32)
def sign_in_limits_and_sso_binding(cursor: duckdb.DuckDBPyConnection) -> None:
    """What sign-in needs to count attempts atomically and to bind an account to its identity provider.

    `attempt_window` starts the 15 minutes in which `failed_logins` counts password checks (a check
    under way counts until it succeeds). `sign_in_addresses` counts the same per client address.
    `sso_issuer`/`sso_subject` are the provider's stable id of the person, set at first link.
    """
    cursor.execute(
        """
        ALTER TABLE users ADD COLUMN attempt_window TIMESTAMP;
        ALTER TABLE users ADD COLUMN email VARCHAR;
        ALTER TABLE users ADD COLUMN sso_issuer VARCHAR;
        ALTER TABLE users ADD COLUMN sso_subject VARCHAR;
        CREATE TABLE sign_in_addresses (
            address VARCHAR NOT NULL, window_start TIMESTAMP NOT NULL, attempts INTEGER NOT NULL
        );
        """
    )


@migration(55)
def audit_rows_recorded(cursor: duckdb.DuckDBPyConnection) -> None:
    """Record every audited row as it is, under one entry, with the hash of today's audited columns.

    Bulletins, accountability measures and re-checks became audited here, and sign-in bindings and the
    self-reported mark joined the hashes of users and findings: from this entry on, any of them changed
    outside the application shows in `verify-log`.
    """
    from audit.store import row_state

    _record_rows(cursor, tuple(row_state.AUDITED))


def _record_rows(cursor: duckdb.DuckDBPyConnection, tables: tuple[str, ...]) -> None:
    """One log entry recording every row of `tables` as it is (none when they are all empty)."""
    from audit.store import audit_log

    counts = {table: cursor.execute(f"SELECT count(*) FROM {table}").fetchone()[0] for table in tables}
    if any(counts.values()):
        audit_log.append(
            cursor,
            actor="migration",
            action="audit.rows_recorded",
            entity="database",
            after={"rows": counts},
            rows_where={table: ("true", []) for table in counts},
        )


@migration(60)
def many_writers(cursor: duckdb.DuckDBPyConnection) -> None:
    """What lets several processes write one lake.

    `_write_units` holds the id of every write committed on a lake, so a commit whose answer was
    lost with the connection can be looked up before it is run again. The audit log's head row is
    made now, so every audited write updates it (and two processes' writes conflict on it and run
    one after the other) rather than two first writes each inserting one.
    """
    from audit.store import audit_log

    cursor.execute("CREATE TABLE IF NOT EXISTS _write_units (id VARCHAR NOT NULL, committed_at TIMESTAMP NOT NULL)")
    if not cursor.execute("SELECT count(*) FROM meta WHERE name = ?", [audit_log.HEAD]).fetchone()[0]:
        last = cursor.execute("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1").fetchone()
        cursor.execute(
            "INSERT INTO meta VALUES (?, ?)", [audit_log.HEAD, "{}:{}".format(*(last or (0, audit_log.GENESIS)))]
        )


@migration(61)
def leases(cursor: duckdb.DuckDBPyConnection) -> None:
    """One row per job that one server at a time does (a lake's maintenance), made now so taking it
    is always an update, which two servers cannot both win."""
    cursor.execute(
        "CREATE TABLE _leases (name VARCHAR NOT NULL, holder VARCHAR NOT NULL, until TIMESTAMP NOT NULL, "
        "last_run TIMESTAMP, last_result VARCHAR)"
    )
    cursor.execute("INSERT INTO _leases VALUES ('lake.maintenance', '', TIMESTAMP '2000-01-01', NULL, NULL)")


@migration(62)
def lake_file_layout(cursor: duckdb.DuckDBPyConnection) -> None:
    """On a lake, how rows lie in its Parquet files, in place of a file's indexes (nothing on a file).

    Small writes stay inlined in the catalog up to `INLINING_ROW_LIMIT` rows. A lake keeps its options, so
    they are set once, here, not on every connection: servers starting together would meet on them.

    A lake finds rows by the min/max of each row group, so each table is kept sorted by what it is
    read by: findings and inspections by time (the dashboard, the ledger and the repeat lookup read
    a window of days), an inspection's answers and drafts and a finding's steps by their parent. Small
    row groups let a lookup read one of them. Files written from now on follow it (inserts, flushes
    and merges sort), so maintenance's merge brings older files into line; nothing is rewritten here.
    """
    if not isinstance(cursor, backend.LakeCursor):
        return
    cursor.execute(f"CALL {backend.LAKE}.set_option('data_inlining_row_limit', {backend.INLINING_ROW_LIMIT})")
    cursor.execute(f"CALL {backend.LAKE}.set_option('parquet_row_group_size', {backend.ROW_GROUP_ROWS})")
    for table, order in backend.SORT_ORDERS.items():
        cursor.execute(f"ALTER TABLE {table} SET SORTED BY ({order})")


@migration(63)
def backup_lease(cursor: duckdb.DuckDBPyConnection) -> None:
    """Scheduled backups are taken by one server of a lake at a time, the one holding this lease row."""
    cursor.execute("INSERT INTO _leases VALUES ('backup.scheduled', '', TIMESTAMP '2000-01-01', NULL, NULL)")


@migration(70)
def finding_events_by_finding(cursor: duckdb.DuckDBPyConnection) -> None:
    """A finding's page reads its steps by finding id: with tens of millions of steps, by index, not a scan.

    A plain ART index, not a constraint, as those of migration 3; DuckLake has no indexes, so a DuckLake
    setup leaves it out and reads the steps by scan, its files pruned by their finding_id ranges.
    """
    cursor.execute("CREATE INDEX finding_events_by_finding ON finding_events (finding_id)")


@migration(75)
def search_index(cursor: duckdb.DuckDBPyConnection) -> None:
    """The ledger's search reads distinct texts by their character pairs (`store.search_index`): each
    finding's key, then the texts and their grams, in a few statements over the whole table.

    Texts are found by key (an index on a file), grams by a range of grams (kept in order: a file's zone
    maps). A lake has no indexes: it sorts both tables' files by those columns and prunes them by range.
    """
    from audit.store import search_index

    cursor.execute("ALTER TABLE findings ADD COLUMN search_key UUID")
    cursor.execute("CREATE TABLE search_texts (key UUID NOT NULL, number VARCHAR, description VARCHAR NOT NULL)")
    cursor.execute("CREATE TABLE search_grams (gram VARCHAR NOT NULL, key UUID NOT NULL)")
    if isinstance(cursor, backend.LakeCursor):
        for table, order in (("search_texts", "key"), ("search_grams", "gram")):
            cursor.execute(f"ALTER TABLE {table} SET SORTED BY ({order})")
    search_index.rebuild(cursor)
    cursor.execute("CREATE INDEX search_texts_by_key ON search_texts (key)")


@migration(76)
def ledger_counts(cursor: duckdb.DuckDBPyConnection) -> None:
    """Findings counted by deadline and the columns most ledger filters test (`store.ledger_counts`),
    from one GROUP BY over the findings: some tens of thousands of rows at ten million findings."""
    from audit.store import ledger_counts

    cursor.execute(
        "CREATE TABLE ledger_counts (deadline DATE, found_at DATE, status VARCHAR, severity VARCHAR, checklist_id VARCHAR, "
        "checklist_text VARCHAR, is_repeat BOOLEAN, self_reported BOOLEAN, findings BIGINT NOT NULL)"
    )
    ledger_counts.rebuild(cursor)


@migration(85)
def verification_queue(cursor: duckdb.DuckDBPyConnection) -> None:
    """Fixes awaiting verification with who made their inspection (`store.verification_queue`), filled in
    one statement from the findings: a few thousand rows, found by a scan of the findings' status."""
    from audit.store import verification_queue

    cursor.execute(
        "CREATE TABLE verification_queue (finding_id VARCHAR NOT NULL, inspection_id VARCHAR, "
        "reported_at TIMESTAMP, created_by VARCHAR, inspectors VARCHAR[])"
    )
    verification_queue.rebuild(cursor)


@migration(86)
def plans_and_tasks_recorded(cursor: duckdb.DuckDBPyConnection) -> None:
    """Plans and their tasks join the audited tables: every row as it is, under one entry, hashed in SQL
    (a year of a province's daily tasks is a few million rows: one statement each table)."""
    _record_rows(cursor, ("plans", "tasks"))
