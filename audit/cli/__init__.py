"""The admin command line: `python -m audit ...`.

Every command takes `--db PATH` (or the AUDIT_DB setting) and turns the project's own
errors into one plain line on stderr with exit code 1. Command modules register on the
group in `audit.cli.group`; importing them here is what makes them part of `cli`.
"""

from __future__ import annotations

from audit.cli import backup, base, bulletin, checklists, demo, export, import_ledger, log, plan, sites, users  # noqa: F401 - importing a command module registers its commands
from audit.cli.group import cli

__all__ = ["cli", "main"]


def main() -> None:
    cli(prog_name="python -m audit")
