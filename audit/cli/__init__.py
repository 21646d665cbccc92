"""The admin command line: `python -m audit ...`.

Every command takes `--db PATH` (or the AUDIT_DB setting) and turns the project's own
errors into one plain line on stderr with exit code 1; anything else is a bug, said in one
line (exit code 2) with the traceback written to a file, never on the screen. Command
modules register on the group in `audit.cli.group`; importing them here adds them to `cli`.
"""

from __future__ import annotations

from audit.cli import backup, base, bulletin, checklists, demo, export, import_ledger, log, plan, sites, users  # noqa: F401 - importing a command module registers its commands
from audit.cli.group import cli

__all__ = ["cli", "main"]


def main() -> None:
    cli(prog_name="python -m audit")
