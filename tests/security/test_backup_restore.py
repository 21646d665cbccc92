"""A backup is data only: restore never runs anything a backup holds, loads only the tables
and columns the app's own migrations make, checks every file's hash, and refuses a backup
changed after the server signed it unless told on purpose to trust it."""

from __future__ import annotations

import hashlib
import json
import zipfile
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from audit import settings
from audit.cli import cli
from audit.errors import InvalidInput
from audit.secret_key import key_path, server_key
from audit.services.backup import MANIFEST, backup, restore, sign
from audit.store import open_database
from audit.store.backup import contents
from tests.reliability.records import record_finding


@pytest.fixture
def server(tmp_path, monkeypatch):
    """The server's database (AUDIT_DB) with one finding, its key file made by the first backup."""
    path = tmp_path / "server" / "audit.duckdb"
    monkeypatch.setenv("AUDIT_DB", str(path))
    monkeypatch.delenv("AUDIT_SECRET_KEY", raising=False)
    settings.reload()
    database = open_database(path)
    record_finding(database, "陈明")
    database.close()
    yield path
    monkeypatch.undo()
    settings.reload()


@pytest.fixture
def made(server, tmp_path):
    database = open_database(server)
    backup(database, tmp_path / "backup")
    database.close()
    return tmp_path / "backup"


def body(folder: Path) -> dict:
    return json.loads((folder / MANIFEST).read_text(encoding="utf-8"))


def seal(folder: Path, manifest: dict, key: bytes | None) -> None:
    """Write `manifest` with each file's size and hash as they now are, signed with `key` (or not at all)."""
    for name in manifest["files"]:
        data = (folder / name).read_bytes()
        manifest["files"][name] = {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    manifest.pop("signature", None)
    if key is not None:
        manifest["signature"] = {"algorithm": "HMAC-SHA256", "key_id": "", "value": sign(manifest, key)}
    (folder / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")


def rewrite(path: Path, select: str) -> None:
    duckdb.execute(f"COPY (SELECT {select} FROM '{path}') TO '{path}.new' (FORMAT parquet)")
    Path(f"{path}.new").replace(path)


def nothing_restored(tmp_path: Path) -> bool:
    return not any(path.name.startswith((".restored", "restored")) for path in tmp_path.iterdir())


@pytest.mark.parametrize("trust_unsigned", [False, True])
def test_sql_added_to_a_backup_is_never_run(made, tmp_path, trust_unsigned):
    written = tmp_path / "written-by-the-backup.csv"
    attached = tmp_path / "attached-by-the-backup.duckdb"
    with (made / "schema.sql").open("a", encoding="utf-8") as schema:
        schema.write(f"COPY (SELECT 'owned') TO '{written}';\nATTACH '{attached}' AS elsewhere;\n")
    with pytest.raises(InvalidInput) as refused:
        restore(made, tmp_path / "restored.duckdb", trust_unsigned=trust_unsigned)
    assert f"{made} holds schema.sql, which is not part of a backup" in refused.value.message
    assert not written.exists() and not attached.exists()
    assert nothing_restored(tmp_path)


@pytest.mark.parametrize("extra", ["load.sql", "notes.txt", ".hidden", "folder"])
def test_any_file_the_manifest_does_not_name_is_refused_by_name(made, tmp_path, extra):
    if extra == "folder":
        (made / extra).mkdir()
    else:
        (made / extra).write_text("SELECT 1;", encoding="utf-8")
    with pytest.raises(InvalidInput, match=f"holds {extra}, which is not part of a backup"):
        restore(made, tmp_path / "restored.duckdb", trust_unsigned=True)
    assert nothing_restored(tmp_path)


def test_a_backup_of_the_old_format_with_sql_files_is_refused(made, tmp_path):
    manifest = body(made)
    manifest["format"] = 1
    (made / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
    (made / "schema.sql").write_text("CREATE TABLE x (a INTEGER);", encoding="utf-8")
    with pytest.raises(InvalidInput, match="old format, which carried SQL"):
        restore(made, tmp_path / "restored.duckdb", trust_unsigned=True)
    assert nothing_restored(tmp_path)


def test_a_table_the_app_does_not_have_is_refused_even_when_signed(server, made, tmp_path):
    duckdb.execute(f"COPY (SELECT 1 AS a) TO '{made / 'intruder.parquet'}' (FORMAT parquet)")
    manifest = body(made)
    manifest["tables"]["intruder"] = {"rows": 1, "sha256": "0" * 64}
    manifest["files"]["intruder.parquet"] = {}
    seal(made, manifest, server_key(server))
    with pytest.raises(InvalidInput, match="intruder.parquet in .* holds table intruder, which this app does not have"):
        restore(made, tmp_path / "restored.duckdb")
    assert nothing_restored(tmp_path)


@pytest.mark.parametrize(
    "select, said",
    [
        ("*, 'x' AS extra_column", "has a column extra_column that table findings does not have"),
        ("* EXCLUDE (description)", "lacks the column description of table findings"),
    ],
)
def test_a_column_the_table_does_not_have_is_refused_even_when_signed(server, made, tmp_path, select, said):
    rewrite(made / "findings.parquet", select)
    seal(made, body(made), server_key(server))
    with pytest.raises(InvalidInput, match=f"findings.parquet in .* {said}"):
        restore(made, tmp_path / "restored.duckdb")
    assert nothing_restored(tmp_path)


def test_a_changed_file_is_refused_by_its_hash_whatever_is_trusted(made, tmp_path):
    rewrite(made / "findings.parquet", "* REPLACE ('closed' AS status)")
    with pytest.raises(InvalidInput, match="findings.parquet in .* does not match the size and hash"):
        restore(made, tmp_path / "restored.duckdb", trust_unsigned=True)
    assert nothing_restored(tmp_path)


def edit_by_hand(folder: Path, signature: dict | None) -> None:
    """Change a finding and make the manifest agree, as someone without the key would."""
    scratch = folder.parent / "scratch.duckdb"
    restore(folder, scratch)
    database = open_database(scratch)
    with database.write() as cursor:
        cursor.execute("UPDATE findings SET status = 'closed'")
        changed = contents(cursor)
    database.close()
    rewrite(folder / "findings.parquet", "* REPLACE ('closed' AS status)")
    manifest = body(folder)
    manifest["tables"]["findings"]["sha256"] = changed.tables["findings"].sha256
    seal(folder, manifest, None)
    if signature is not None:
        manifest = body(folder)
        manifest["signature"] = signature
        (folder / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
    for path in folder.parent.glob("scratch.duckdb*"):
        path.unlink()


@pytest.mark.parametrize(
    "keep_signature, said",
    [
        (False, "carries no signature, so it may have been changed by hand"),
        (True, "does not match its signature: the backup was changed after the server signed it"),
    ],
)
def test_a_backup_edited_by_hand_is_refused_unless_trusted_on_purpose(made, tmp_path, keep_signature, said):
    edit_by_hand(made, body(made)["signature"] if keep_signature else None)
    with pytest.raises(InvalidInput, match=said):
        restore(made, tmp_path / "restored.duckdb")
    assert nothing_restored(tmp_path)
    manifest = restore(made, tmp_path / "restored.duckdb", trust_unsigned=True)
    assert manifest.signed is False
    database = open_database(tmp_path / "restored.duckdb", read_only=True)
    with database.read() as cursor:
        assert cursor.execute("SELECT DISTINCT status FROM findings").fetchall() == [("closed",)]
    database.close()


def test_the_command_says_loudly_that_a_trusted_backup_is_unsigned(made, tmp_path):
    edit_by_hand(made, None)
    runner = CliRunner()
    refused = runner.invoke(cli, ["restore", "--from", str(made), "--db", str(tmp_path / "restored.duckdb")])
    assert refused.exit_code == 1 and "--trust-unsigned" in refused.output
    trusted = runner.invoke(
        cli, ["restore", "--from", str(made), "--db", str(tmp_path / "restored.duckdb"), "--trust-unsigned"]
    )
    assert trusted.exit_code == 0, trusted.output
    assert "WARNING" in trusted.output and "is NOT signed by a key this server holds" in trusted.output
    signed = runner.invoke(cli, ["restore", "--from", str(made), "--db", str(tmp_path / "again.duckdb")])
    assert signed.exit_code == 1  # trusting once changes nothing for the next restore


def test_another_machine_needs_the_same_key(server, made, tmp_path, monkeypatch):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.setenv("AUDIT_DB", str(elsewhere / "audit.duckdb"))  # another server: no key of the first
    settings.reload()
    with pytest.raises(InvalidInput, match="holds no key to check the signature.*--key-file"):
        restore(made, elsewhere / "audit.duckdb")
    open_database(elsewhere / "other.duckdb").close()
    server_key(elsewhere / "other.duckdb")  # this machine's own key
    with pytest.raises(InvalidInput, match="signed with another key.*AUDIT_SECRET_KEY.*--key-file"):
        restore(made, elsewhere / "other.duckdb", force=True)
    assert not (elsewhere / "audit.duckdb").exists()
    restore(made, elsewhere / "audit.duckdb", key_file=key_path(server))
    assert key_path(elsewhere / "audit.duckdb").read_bytes() == key_path(server).read_bytes()
    assert (
        key_path(server).stat().st_mode & 0o777 == 0o600 == key_path(elsewhere / "audit.duckdb").stat().st_mode & 0o777
    )
    restore(made, elsewhere / "audit.duckdb", force=True)  # from then on its own key file verifies it


def test_the_same_key_in_the_environment_restores_anywhere(server, made, tmp_path, monkeypatch):
    monkeypatch.setenv("AUDIT_DB", str(tmp_path / "elsewhere.duckdb"))
    monkeypatch.setenv("AUDIT_SECRET_KEY", key_path(server).read_text().strip())
    settings.reload()
    restore(made, tmp_path / "elsewhere.duckdb")
    assert not key_path(tmp_path / "elsewhere.duckdb").exists()  # the environment keeps the key, not a file


def test_a_zip_cannot_write_outside_the_restore(server, made, tmp_path):
    archive = tmp_path / "backup.zip"
    with zipfile.ZipFile(archive, "w") as out:
        for path in made.iterdir():
            out.write(path, path.name)
        out.writestr("../escaped.parquet", b"PAR1")
    with pytest.raises(InvalidInput, match=r"holds \.\./escaped\.parquet, which is not part of a backup"):
        restore(archive, tmp_path / "restored" / "audit.duckdb", trust_unsigned=True)
    assert not (tmp_path / "escaped.parquet").exists() and not (tmp_path / "restored" / "escaped.parquet").exists()
    manifest = body(made)
    manifest["tables"]["../escaped"] = {"rows": 0, "sha256": ""}
    manifest["files"]["../escaped.parquet"] = {"bytes": 4, "sha256": ""}
    seal_zip = tmp_path / "sealed.zip"
    with zipfile.ZipFile(seal_zip, "w") as out:
        for path in made.iterdir():
            if path.name != MANIFEST:
                out.write(path, path.name)
        manifest.pop("signature")
        manifest["signature"] = {"algorithm": "HMAC-SHA256", "key_id": "", "value": sign(manifest, server_key(server))}
        out.writestr(MANIFEST, json.dumps(manifest))
        out.writestr("../escaped.parquet", b"PAR1")
    with pytest.raises(InvalidInput, match="is not the plain file name of exactly one table"):
        restore(seal_zip, tmp_path / "restored" / "audit.duckdb")
    assert not (tmp_path / "escaped.parquet").exists()


def test_a_file_larger_than_its_manifest_says_is_refused(made, tmp_path):
    path = made / "photos.parquet"
    path.write_bytes(path.read_bytes() + b"\0" * (8 * 2**20))
    with pytest.raises(InvalidInput, match="photos.parquet in .* does not match the size and hash"):
        restore(made, tmp_path / "restored.duckdb", trust_unsigned=True)
    assert nothing_restored(tmp_path)


def test_a_link_in_a_backup_folder_is_refused(made, tmp_path):
    elsewhere = tmp_path / "elsewhere.parquet"
    (made / "photos.parquet").rename(elsewhere)
    (made / "photos.parquet").symlink_to(elsewhere)
    with pytest.raises(InvalidInput, match="photos.parquet in .* is not a plain file"):
        restore(made, tmp_path / "restored.duckdb")
    assert nothing_restored(tmp_path)


def test_a_damaged_zip_is_refused_naming_the_file(made, tmp_path):
    archive = tmp_path / "backup.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_STORED) as out:
        for path in sorted(made.iterdir()):
            out.write(path, path.name)
    with zipfile.ZipFile(archive) as readable:
        member = readable.getinfo("findings.parquet")
    data = bytearray(archive.read_bytes())
    middle = member.header_offset + 30 + len(member.filename) + member.file_size // 2
    data[middle] ^= 0xFF
    archive.write_bytes(bytes(data))
    with pytest.raises(InvalidInput, match="is damaged, so nothing was restored: findings.parquet"):
        restore(archive, tmp_path / "restored.duckdb")
    assert nothing_restored(tmp_path)
