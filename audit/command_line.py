"""Who acts when the command line does: the operating-system account and the machine it runs on.

Whoever can run the CLI can open the database file, so there is no sign-in to name them; the log
records the account and host instead, as `cli:<user>@<host>`.
"""

from __future__ import annotations

import getpass
import os
import socket


def command_line_actor() -> str:
    try:
        user = getpass.getuser()
    except (OSError, KeyError):  # no name for this uid (some containers)
        user = f"uid{os.getuid()}"
    return f"cli:{user}@{socket.gethostname()}"
