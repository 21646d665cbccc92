"""A throwaway PostgreSQL server for the lake tests: Debian's binaries, 127.0.0.1, a free port, a temporary data folder.

initdb and pg_ctl refuse to run as root, so as root they run as the `postgres` user, which owns the folder.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

INSTALL = "lake tests skipped: install PostgreSQL's server (apt-get install postgresql) and run as root or a user who may run initdb"


def _binary(name: str) -> str | None:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return found[-1] if found else shutil.which(name)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Postgres:
    folder: Path
    port: int
    as_user: list[str]
    bin: Path

    def run(self, *command: str) -> None:
        subprocess.run([*self.as_user, *command], check=True, capture_output=True, cwd="/")

    def sql(self, statement: str, database: str = "postgres") -> str:
        """Run one statement with psql as the superuser; its rows, unaligned, one a line."""
        result = subprocess.run(
            [*self.as_user, str(self.bin / "psql"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres"]
            + ["-d", database, "-Atc", statement],
            check=True,
            capture_output=True,
            text=True,
            cwd="/",
        )
        return result.stdout.strip()

    def create_database(self, name: str) -> str:
        """A new empty database; returns the lake's AUDIT_DB for it."""
        self.run(str(self.bin / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", name)
        return f"ducklake:postgres:dbname={name} host=127.0.0.1 port={self.port} user=postgres"

    def stop(self) -> None:
        subprocess.run(
            [*self.as_user, str(self.bin / "pg_ctl"), "-D", str(self.folder / "data"), "-m", "fast", "-w", "stop"],
            capture_output=True,
            cwd="/",
        )
        shutil.rmtree(self.folder, ignore_errors=True)


def start() -> Postgres | None:
    """A running server, or None when this machine cannot run one (then say `INSTALL`)."""
    initdb, pg_ctl = _binary("initdb"), _binary("pg_ctl")
    if not initdb or not pg_ctl:
        return None
    bin_folder = Path(os.path.realpath(initdb)).parent
    as_user: list[str] = []
    owner = None
    if os.geteuid() == 0:
        try:
            owner = pwd.getpwnam("postgres")
        except KeyError:
            return None
        as_user = ["runuser", "-u", "postgres", "--"]
    folder = Path(tempfile.mkdtemp(prefix="audit-postgres-"))
    if owner:
        os.chown(folder, owner.pw_uid, owner.pw_gid)
    server = Postgres(folder, _free_port(), as_user, bin_folder)
    try:
        server.run(str(bin_folder / "initdb"), "-D", str(folder / "data"), "-A", "trust", "-U", "postgres")
        server.run(
            str(bin_folder / "pg_ctl"),
            "-D",
            str(folder / "data"),
            "-o",
            f"-h 127.0.0.1 -p {server.port} -k {folder} -c fsync=off -c max_connections=200",
            "-l",
            str(folder / "log"),
            "-w",
            "start",
        )
    except (subprocess.CalledProcessError, OSError) as error:
        shutil.rmtree(folder, ignore_errors=True)
        output = getattr(error, "stderr", b"") or b""
        raise RuntimeError(f"PostgreSQL is installed but did not start: {output.decode(errors='replace')}") from error
    return server
