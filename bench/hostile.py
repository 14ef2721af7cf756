"""Hostile uploads (issue #14, items 2, 3 and 6): the time and peak memory each costs the platform.

    python -m bench.hostile --db sqlite

Each file is made once under var/bench/hostile/, then handled in a process of its own (so its peak
memory, VmHWM, is that file's alone) by the code a real upload goes through:

- item 3: a 1 MB PDF whose stream inflates to 1 GiB, a .docx bomb, a roster .xlsx with one 4 GiB shared
  string (through the roster reader), an oversized .xls — each must be refused;
- item 2: a 400-page 实施细则 PDF — accepted by the request at once (sniff and limits), then checked by the
  worker (the sandboxed policy check);
- item 6: a roster CSV with one stray quote followed by many short lines (the rosters' CSV reader).

No database: runs (and prints) only in the sqlite round. Timings are printed, never asserted; a hostile
file that is not refused is a correctness failure. Add a case by adding to CASES.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import bench

HOSTILE_DIR = bench.VAR_DIR / "hostile"
TIMEOUT = 300
GiB = 1024 ** 3


# --- the files --------------------------------------------------------------------------------

def _pdf_bomb() -> bytes:
    from suiqian.tests.hostile_files import pdf_bomb

    return pdf_bomb(GiB)


def _docx_bomb() -> bytes:
    from suiqian.tests.hostile_files import docx_bomb

    return docx_bomb(GiB)


def _xlsx_bomb() -> bytes:
    from suiqian.tests.hostile_files import xlsx_shared_string_bomb

    return xlsx_shared_string_bomb(4 * GiB)


def _big_xls(path: Path) -> None:
    with open(path, "wb") as f:
        f.write(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")
        f.truncate(201 * 1024 * 1024)  # sparse: past the 200 MB roster cap


def _long_pdf() -> bytes:
    from suiqian.tests.hostile_files import long_pdf

    return long_pdf(400)


def _stray_quote_csv() -> bytes:
    header = "身份证号,姓名,性别,出生日期,学校名称,学校类型,年级,县区代码,进城务工人员随迁子女\n"
    line = "1,张,男,2012-03-01,小学,1,4,140525,是\n"
    return (header + '"' + line * (600 * 1024 // len(line.encode()))).encode("utf-8")


# --- what each case does in its own process -----------------------------------------------

def _sniff(path: Path) -> str:
    from suiqian.lib.files import sniff_document_type

    return sniff_document_type(path.read_bytes())


def _read_roster(path: Path) -> str:
    from suiqian.rosters.reading import read_batches

    rows = sum(len(batch) for batch in read_batches(path))
    return f"{rows} rows read"


def _accept_upload(path: Path) -> str:
    """What the request does with a 实施细则 before storing it: sniff, limits, decide to check later."""
    from suiqian.lib.files import pdf_pages, sniff_document_type

    data = path.read_bytes()
    return f"{sniff_document_type(data)}, {pdf_pages(data)} pages: stored, check queued"


def _worker_check(path: Path) -> str:
    from suiqian.lib.files import DOCUMENT, run_limited

    result = run_limited("suiqian.policies.checker:check_document", path.read_bytes(), path.name, limits=DOCUMENT)
    return f"{len(result['paragraphs'])} paragraphs, {len(result['findings'])} findings"


# name → (item, file maker (bytes, or writes the path itself), action, must be refused)
CASES = {
    "pdf stream inflating to 1 GiB": ("3", _pdf_bomb, _sniff, True),
    "docx inflating to 1 GiB": ("3", _docx_bomb, _sniff, True),
    "roster xlsx, one 4 GiB shared string": ("3", _xlsx_bomb, _read_roster, True),
    "roster xls of 201 MB": ("3", _big_xls, _read_roster, True),
    "400-page PDF: the request": ("2", _long_pdf, _accept_upload, False),
    "400-page PDF: the worker's check": ("2", _long_pdf, _worker_check, False),
    "roster CSV, stray quote + 600 KB of lines": ("6", _stray_quote_csv, _read_roster, False),
}


def _file_for(name: str, maker) -> Path:
    HOSTILE_DIR.mkdir(parents=True, exist_ok=True)
    path = HOSTILE_DIR / f"{maker.__name__.strip('_')}"
    if not path.exists():
        data = maker(path) if maker is _big_xls else maker()
        if data is not None:
            path.write_bytes(data)
    return path


def _run_case(name: str, path: Path) -> None:
    """The child: handle one file, print JSON with the outcome, its time and this process's peak memory."""
    _, _, action, _ = CASES[name]
    started = time.perf_counter()
    try:
        outcome, refused = action(path), False
    except ValueError as e:  # every refusal of an upload is a ValueError with a Chinese message
        outcome, refused = str(e), True
    elapsed = time.perf_counter() - started
    with open("/proc/self/status") as f:
        peak = next(int(line.split()[1]) // 1024 for line in f if line.startswith("VmHWM:"))
    # The worker's check parses in a child of its own (files.run_limited): its peak counts too.
    peak = max(peak, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024)
    print(json.dumps({"outcome": outcome, "refused": refused, "seconds": elapsed, "peak_mb": peak},
                     ensure_ascii=False))


def main(db: str) -> None:
    if db != "sqlite":
        return  # no database involved: measured once, in the sqlite round
    rows = []
    for name, (item, maker, _, must_refuse) in CASES.items():
        path = _file_for(name, maker)
        try:
            done = subprocess.run([sys.executable, "-m", "bench.hostile", "--case", name, "--file", str(path)],
                                  capture_output=True, text=True, timeout=TIMEOUT, cwd=bench.ROOT)
            result = json.loads(done.stdout.strip().splitlines()[-1]) if done.returncode == 0 else {
                "outcome": f"CRASHED: {done.stderr.strip().splitlines()[-1] if done.stderr else done.returncode}",
                "refused": False, "seconds": float("nan"), "peak_mb": 0}
        except subprocess.TimeoutExpired:
            result = {"outcome": f"TIMEOUT after {TIMEOUT}s", "refused": False, "seconds": TIMEOUT, "peak_mb": 0}
        rows.append((item, name, path.stat().st_size, result))
        bench.check(result["refused"] or not must_refuse, f"{name} was not refused: {result['outcome']}")
    print(f"{'item':4}  {'file':44} {'on disk':>9}  {'time':>8}  {'peak':>8}  outcome")
    for item, name, size, r in rows:
        print(f"{item:4}  {name:44} {size / 1024 / 1024:7.1f}MB  {bench.seconds(r['seconds']):>8}  "
              f"{r['peak_mb']:6d}MB  {'refused: ' if r['refused'] else ''}{r['outcome'][:80]}", flush=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--case")
    parser.add_argument("--file")
    known, _ = parser.parse_known_args()
    if known.case:
        _run_case(known.case, Path(known.file))
    else:
        raise SystemExit(bench.cli(main))
