"""Work files of runs that were killed: found by the process id in their name, removed once it is gone.

Restore and demo build a new database aside (`.<name>.restoring-<pid>`, `.<name>.partial-<pid>`, with
their `.wal` and folders of the same stem) and rename it into place only when it is complete. A run
that is killed cannot remove its own; the next run does, but never while the process that made
them is still running.
"""

from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

RESTORING = "restoring"
PARTIAL = "partial"


@dataclass(frozen=True)
class Leftover:
    path: Path
    pid: int


def work_path(target: Path, kind: str, pid: int | None = None) -> Path:
    """Where this process builds `target` aside; others' work paths for it differ only by pid."""
    return target.with_name(f".{target.name}.{kind}-{os.getpid() if pid is None else pid}")


def abandoned(target: Path, kind: str) -> list[Leftover]:
    """Work paths for `target` whose process no longer runs."""
    pattern = re.compile(rf"\.{re.escape(target.name)}\.{re.escape(kind)}-(\d+)(\.[a-z]+)?")
    if not target.parent.is_dir():
        return []
    found = []
    for path in sorted(target.parent.iterdir()):
        match = pattern.fullmatch(path.name)
        if match and not _running(int(match.group(1))):
            found.append(Leftover(path, int(match.group(1))))
    return found


def remove_abandoned(target: str | os.PathLike, kind: str) -> list[Leftover]:
    """Remove what killed runs left for `target`; return what was removed, to be told."""
    removed = []
    for leftover in abandoned(Path(target), kind):
        if leftover.path.is_dir() and not leftover.path.is_symlink():
            shutil.rmtree(leftover.path)
        else:
            leftover.path.unlink(missing_ok=True)
        removed.append(leftover)
    return removed


def _running(pid: int) -> bool:
    if pid == os.getpid():
        return True
    if os.name != "posix":  # no harmless way to ask elsewhere: keep the files rather than guess
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, owned by someone else
        return True
    return True
