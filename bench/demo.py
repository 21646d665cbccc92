"""How fast the demo generator fills a fresh database (target: 1,000,000 findings in under 2 minutes).

Run: python bench/demo.py [--findings N]. The last line is machine-readable:
demo N=<N> seconds=<s> findings_per_s=<r>
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from audit.checklists import load_checklists  # noqa: E402
from audit.demo import generate_file  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--findings", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=2020)
    args = parser.parse_args()
    checklists = load_checklists(ROOT / "checklists").checklists
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.duckdb"
        started = time.perf_counter()
        report = generate_file(path, checklists, findings=args.findings, seed=args.seed)
        seconds = time.perf_counter() - started
        size = path.stat().st_size / 2**20
    print(f"{report.inspections} inspections, {report.responses} responses, {report.events} events, {size:.0f} MiB")
    print(f"demo N={args.findings} seconds={seconds:.1f} findings_per_s={args.findings / seconds:.0f}")


if __name__ == "__main__":
    main()
