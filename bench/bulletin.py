"""How fast a month's bulletin is drafted and written (targets: DOCX and PDF each at most 10 s,
peak memory at most 500 MB) over 1,000,000 findings, with 10 typical cases that have photos.

Run: python bench/bulletin.py [--findings N]. The database is generated once under bench/out/
and reused. The bulletin is drafted, saved with 10 typical cases (each with a 4000 x 3000 JPEG
stored the way the app stores photos), and issued; DOCX and PDF are then written, each timed.
The baseline is what a supervisor does today to write one by hand: export the same month's
ledger to Excel, run the same way (a fresh process on the same database). Peak memory is the
whole bulletin process's high-water mark, opening the database included. The last line is machine-readable:
bulletin findings=<n> docx_s=<a> pdf_s=<b> peak_mb=<c> vs_xlsx_export=<d>
"""

from __future__ import annotations

import argparse
import io
import json
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from PIL import Image  # noqa: E402

from audit.checklists import load_checklists  # noqa: E402
from audit.demo import generate_file  # noqa: E402
from audit.model import (  # noqa: E402
    BulletinKind,
    FindingFilter,  # noqa: E402
    Role,
    User,
)
from audit.photos import prepare_photo  # noqa: E402
from audit.services import bulletins as service  # noqa: E402
from audit.services.ledger import export_ledger  # noqa: E402
from audit.store import open_database  # noqa: E402
from audit.store.photos import attach_photo, save_photo  # noqa: E402

OUT = ROOT / "bench" / "out"
SUPERVISOR = User("bench-supervisor", "bench-supervisor", "bench", Role.SUPERVISOR)


def database_file(findings: int) -> Path:
    path = OUT / f"bulletin-{findings}.duckdb"
    if not path.exists():
        OUT.mkdir(parents=True, exist_ok=True)
        generate_file(path, load_checklists(ROOT / "checklists").checklists, findings=findings, seed=2020)
    return path


def last_month(today: date) -> tuple[date, date]:
    end = today.replace(day=1) - timedelta(days=1)
    return end.replace(day=1), end


def photo(seed: int) -> bytes:
    """A 12-megapixel camera JPEG: a lit scene with edges and sensor noise, not a flat colour."""
    scene = Image.linear_gradient("L").resize((4000, 3000)).convert("RGB")
    noise = Image.effect_noise((4000, 3000), 12 + seed).convert("RGB")
    image = Image.blend(scene, noise, 0.25)
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=90)
    return buffer.getvalue()


def attach_photos(path: Path) -> list[str]:
    """Give the month's ten gravest findings a camera photo each, as a tablet would have sent; returns their ids."""
    database = open_database(path)
    start, end = last_month(date.today())
    draft = service.draft_bulletin(
        database, SUPERVISOR, kind=BulletinKind.SPECIAL, period_from=start, period_to=end, today=end + timedelta(days=1)
    )
    cases = [finding_id for finding_id, _ in service.case_choices(database, SUPERVISOR, draft)[:10]]
    now = datetime.now()
    with database.write() as cursor:
        for index, finding_id in enumerate(cases):
            prepared = prepare_photo(photo(index), f"case-{index}.jpg")
            save_photo(cursor, prepared, now)
            attach_photo(cursor, finding_id, prepared.sha256, stage="found", added_by="bench", now=now)
    database.close()
    return cases


def peak_mb() -> float:
    """This process's own high-water mark (VmHWM), not inherited from the parent as ru_maxrss can be."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run(path: Path, cases: list[str]) -> dict:
    """Draft, save with the cases, issue, then write DOCX and PDF: what a supervisor's click does."""
    started = time.perf_counter()  # drafting, saving and issuing count towards both documents
    database = open_database(path)
    start, end = last_month(date.today())
    draft = service.draft_bulletin(
        database, SUPERVISOR, kind=BulletinKind.SPECIAL, period_from=start, period_to=end, today=end + timedelta(days=1)
    )
    now = datetime.now()
    saved = service.save_draft(
        database,
        SUPERVISOR,
        draft,
        case_ids=cases,
        summary=draft.summary,
        requirements=draft.requirements,
        signature=draft.signature,
        now=now,
    )
    issued = service.issue_bulletin(database, SUPERVISOR, saved.id, saved.version, now=now)
    shared = time.perf_counter() - started
    docx_started = time.perf_counter()
    docx = service.bulletin_file(database, SUPERVISOR, issued, "docx")
    docx_s = shared + time.perf_counter() - docx_started
    pdf_started = time.perf_counter()
    pdf = service.bulletin_file(database, SUPERVISOR, issued, "pdf")
    pdf_s = shared + time.perf_counter() - pdf_started
    database.close()
    return {
        "findings": issued.figures.findings,
        "cases": len(issued.cases),
        "docx_s": docx_s,
        "pdf_s": pdf_s,
        "docx_kb": len(docx) // 1024,
        "pdf_kb": len(pdf) // 1024,
        "peak_mb": peak_mb(),
    }


def export(path: Path) -> dict:
    """The baseline: the same month's ledger exported to Excel, as an office would to write it by hand."""
    started = time.perf_counter()
    database = open_database(path)
    start, end = last_month(date.today())
    with tempfile.TemporaryDirectory() as folder:
        export_ledger(
            database,
            SUPERVISOR,
            FindingFilter(found_from=start, found_to=end),
            "xlsx",
            str(Path(folder) / "month.xlsx"),
            language="zh-CN",
            today=end,
        )
    database.close()
    return {"export_s": time.perf_counter() - started}


def child(step: str, path: Path, *extra: str) -> dict:
    done = subprocess.run(
        [sys.executable, __file__, "--child", step, str(path), *extra], capture_output=True, text=True, check=True
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--findings", type=int, default=1_000_000)
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        step, path, *cases = args.child
        print(json.dumps(run(Path(path), cases) if step == "bulletin" else export(Path(path))))
        return
    source = database_file(args.findings)
    with tempfile.TemporaryDirectory() as folder:
        copy = Path(folder) / "bench.duckdb"
        copy.write_bytes(source.read_bytes())  # each run issues into a fresh copy
        cases = attach_photos(copy)
        result = child("bulletin", copy, *cases) | child("export", copy)
    print(
        f"a month of {result['findings']} findings, {result['cases']} typical cases; DOCX {result['docx_kb']} KB, "
        f"PDF {result['pdf_kb']} KB; the month's XLSX export took {result['export_s']:.2f} s"
    )
    print(
        f"bulletin findings={args.findings} docx_s={result['docx_s']:.2f} pdf_s={result['pdf_s']:.2f} "
        f"peak_mb={result['peak_mb']:.0f} vs_xlsx_export={result['docx_s'] / result['export_s']:.2f}"
    )


if __name__ == "__main__":
    main()
