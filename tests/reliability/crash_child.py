"""A process that saves findings one at a time, to be killed mid-stream.

Run: python -m tests.reliability.crash_child DB COUNT CHECKPOINT_EVERY
Prints `ack <id>` after each commit, and `checkpoint` / `checkpointed` around each CHECKPOINT,
flushing every line, so the parent knows exactly what was acknowledged when it kills us and
whether a checkpoint was still running. Each finding carries a long rectification
requirement so that a checkpoint has real work to do (and lasts long enough to be hit).
"""

from __future__ import annotations

import random
import sys
import time

from audit.store import open_database
from tests.reliability.records import record_finding


def requirement(seed: int) -> str:
    """About 16 KB of text that does not compress away."""
    rng = random.Random(seed)
    return "".join(chr(rng.randrange(0x4E00, 0x9FA5)) for _ in range(5000))


def main(path: str, count: int, checkpoint_every: int) -> None:
    database = open_database(path)
    print("ready", flush=True)
    for saved in range(1, count + 1):
        finding_id = record_finding(database, inspector="crash-test", requirement=requirement(saved))
        print(f"ack {finding_id}", flush=True)
        if saved % checkpoint_every == 0:
            print("checkpoint", flush=True)
            started = time.perf_counter()
            database.checkpoint()
            print(f"checkpointed {time.perf_counter() - started:.4f}", flush=True)
    database.close()
    print("done", flush=True)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))
