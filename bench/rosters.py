"""Roster import and dropout detection at national-county scale, as ratios to what the database does alone.

    python -m bench.rosters --db sqlite|postgres
    BENCH_ROSTER_ROWS=200000 python -m bench.rosters --db postgres   # smaller, for a quick look

Generates two terms of synthetic rosters over Shanxi's counties (2021-spring with
BENCH_ROSTER_ROWS children, default 1,000,000, and 2021-fall from it: grade 9 leaves,
3 % drop out, 2 % move county, a new grade 1 enters), cached under var/bench/. Then, in
the same run:

- baseline_copy (PostgreSQL): the database's own COPY of the spring file into an
  unindexed table of text columns — the floor for getting these bytes into the database.
  On SQLite, which has no COPY, the baseline is an executemany of the file's rows (parsed
  by the csv module) into an unindexed table of text columns.
- import: `suiqian roster import` of each term, run as its own process as an operator
  would, so that its peak memory (VmHWM) is the import's own. The ratio uses the
  job's own duration (the process start-up, ~1 s of Django and polars, is printed apart).
- baseline_antijoin: one hand-written SQL anti-join (children of spring absent from
  fall) over the same tables.
- detect: `detection.detect("2021-fall")` — the anti-join, transfers, 30,000 cases and
  their first event written — timed from a state without cases each time.

and checks that detection finds exactly the children the generator made drop out (as
cases) and move (as transfers), and no graduate.
"""

from __future__ import annotations

import csv
import os
import subprocess
import sys
import time
from pathlib import Path

import bench
from bench import check, measure, seconds

ROWS = int(os.environ.get("BENCH_ROSTER_ROWS", "1000000"))
SEED = 2021
PREVIOUS, CURRENT = "2021-spring", "2021-fall"
DROPOUT_RATE, TRANSFER_RATE = 0.03, 0.02
MEMORY_LIMIT_MB = 300
IMPORT_AIM, DETECT_AIM = 1.5, 1.2
REPEAT_BASELINE = 3
BASELINE_TABLE = "bench_roster_copy"


# --- files ------------------------------------------------------------------------------------

def roster_files() -> tuple[Path, Path, dict, float]:
    """The two terms' files, generated once per size and seed; the generator's own counts."""
    from suiqian.rosters import synthetic
    from suiqian.rosters.terms import Term

    bench.VAR_DIR.mkdir(parents=True, exist_ok=True)
    stem = bench.VAR_DIR / f"rosters-{ROWS}-{SEED}"
    previous, current, counts_file = (Path(f"{stem}-{PREVIOUS}.csv"), Path(f"{stem}-{CURRENT}.csv"),
                                      Path(f"{stem}-counts.txt"))
    started = time.perf_counter()
    if not (previous.exists() and current.exists() and counts_file.exists()):
        gen = synthetic.Generator(SEED)
        with open(previous, "w", encoding="utf-8", newline="") as out:
            synthetic.write_rows(synthetic.fresh_rows(gen, Term.parse(PREVIOUS), ROWS), out, gen)
        counts = synthetic.FollowCounts()
        rows = synthetic.following_rows(gen, Term.parse(CURRENT), previous, dropout_rate=DROPOUT_RATE,
                                        transfer_rate=TRANSFER_RATE, counts=counts)
        with open(current, "w", encoding="utf-8", newline="") as out:
            synthetic.write_rows(rows, out, gen)
        counts_file.write_text(f"{counts.graduated} {counts.dropped} {counts.moved} {counts.entered}")
    graduated, dropped, moved, entered = map(int, counts_file.read_text().split())
    counts = {"graduated": graduated, "dropped": dropped, "moved": moved, "entered": entered}
    return previous, current, counts, time.perf_counter() - started


def data_rows(path: Path) -> int:
    with open(path, "rb") as f:
        return sum(1 for _ in f) - 1


# --- baselines ------------------------------------------------------------------------------------

def create_baseline_table() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {BASELINE_TABLE}")
        cursor.execute(f"CREATE TABLE {BASELINE_TABLE} (" + ", ".join(f"c{i} text" for i in range(9)) + ")")


def baseline_copy(path: Path) -> None:
    """PostgreSQL reading the file itself (COPY FROM STDIN, as psql's \\copy does)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {BASELINE_TABLE}")
        with cursor.cursor.copy(f"COPY {BASELINE_TABLE} FROM STDIN (FORMAT csv, HEADER true)") as copy:
            with open(path, "rb") as f:
                while block := f.read(1 << 20):
                    copy.write(block)


def baseline_executemany(path: Path) -> None:
    """SQLite has no COPY: the plainest bulk load is the csv module feeding executemany."""
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {BASELINE_TABLE}")
        with open(path, encoding="utf-8", newline="") as f:
            reader = csv.reader(f)
            next(reader)
            cursor.executemany(f"INSERT INTO {BASELINE_TABLE} VALUES ({', '.join(['%s'] * 9)})", reader)


def baseline_antijoin_sql() -> str:
    """Children of spring on no fall roster, written the way each planner runs an anti-join well:
    NOT EXISTS becomes a hash anti-join on PostgreSQL; SQLite, which would rescan the table for
    every row there, builds a temporary index for NOT IN."""
    from django.db import connection

    from suiqian.rosters.models import Roster, RosterEntry

    q = connection.ops.quote_name
    e, r = q(RosterEntry._meta.db_table), q(Roster._meta.db_table)
    current = f"SELECT id FROM {r} WHERE term = %s AND status = 'current'"
    if connection.vendor == "postgresql":
        return (f"SELECT COUNT(*) FROM {e} p WHERE p.roster_id IN ({current}) "
                f"AND NOT EXISTS (SELECT 1 FROM {e} c WHERE c.roster_id IN ({current}) AND c.id_hash = p.id_hash)")
    return (f"SELECT COUNT(*) FROM {e} p WHERE p.roster_id IN ({current}) "
            f"AND p.id_hash NOT IN (SELECT c.id_hash FROM {e} c WHERE c.roster_id IN ({current}))")


def run_antijoin(sql: str) -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql, [PREVIOUS, CURRENT])
        return cursor.fetchone()[0]


# --- the import, as its own process --------------------------------------------------------------

# Run in the import's own process: its VmHWM is the peak of that process alone. (ru_maxrss from wait4
# would not do: Linux carries the parent's peak over fork and exec into the child's.)
IMPORT_PROCESS = """
import atexit, os, sys
def peak():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            print("VmHWM", int(line.split()[1]) // 1024, file=sys.stderr)
    times = os.times()
    print("CPU", times.user + times.system, file=sys.stderr)
atexit.register(peak)
from suiqian.cli import main
main()
"""


def run_import(path: Path, term: str) -> tuple[float, float, int, float]:
    """(job seconds, process seconds, peak memory in MB, process CPU seconds) of `suiqian roster import`.
    The import's CPU over its wall time shows how much of the second core it used (the database
    server's own work, in another process, comes on top)."""
    from suiqian.rosters.models import ImportJob

    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-c", IMPORT_PROCESS, "roster", "import", str(path), "--term", term],
                            cwd=bench.ROOT, capture_output=True, text=True)
    wall = time.perf_counter() - started
    check(result.returncode == 0, f"roster import {term} failed: {result.stderr[-2000:]}")
    peak = int(result.stderr.rsplit("VmHWM", 1)[1].split()[0])
    cpu = float(result.stderr.rsplit("CPU", 1)[1].split()[0])
    job = ImportJob.objects.filter(term=term, status=ImportJob.Status.DONE).latest("pk")
    job_seconds = (job.finished_at - job.started_at).total_seconds()
    return job_seconds, wall, peak, cpu


# --- a hostile file (issue: linear parsing) ----------------------------------------------------

HOSTILE_LINES = 300_000


def hostile_file() -> Path:
    """One stray quote followed by many short lines: cut at every line end and each cut counted
    from the start, this took 15 s of CPU for 600 KB. Now refused at once, in linear time."""
    from suiqian.rosters.columns import HEADER

    path = bench.VAR_DIR / f"rosters-hostile-stray-quote-{HOSTILE_LINES}.csv"
    if not path.exists():
        path.write_text(",".join(HEADER) + '\n"' + "1\n" * HOSTILE_LINES, encoding="utf-8")
    return path


def run_hostile(path: Path) -> tuple[float, int, str]:
    """(seconds, peak memory in MB, how it ended) of `suiqian roster import` on the hostile file."""
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-c", IMPORT_PROCESS, "roster", "import", str(path), "--term", "2020-fall"],
                            cwd=bench.ROOT, capture_output=True, text=True)
    wall = time.perf_counter() - started
    peak = int(result.stderr.rsplit("VmHWM", 1)[1].split()[0])
    check(result.returncode != 0 and "引号不配对" in result.stderr,
          f"the stray-quote file was not refused for its quotes: {result.stderr[-1000:]}")
    return wall, peak, "refused: 引号不配对"


# --- detection ------------------------------------------------------------------------------------

def reset_detection() -> None:
    from suiqian.rosters.models import CaseEvent, DetectionRun, DropoutCase, Transfer

    CaseEvent.objects.all().delete()
    DropoutCase.objects.all().delete()
    Transfer.objects.all().delete()
    DetectionRun.objects.all().delete()


def timed_detection() -> tuple[float, object]:
    from suiqian.rosters import detection

    reset_detection()
    started = time.perf_counter()
    result = detection.detect(CURRENT)
    return time.perf_counter() - started, result


def check_detection(result, counts: dict) -> None:
    from suiqian.rosters.models import DropoutCase

    check(result.cases_opened == counts["dropped"],
          f"detection opened {result.cases_opened} cases; the generator made {counts['dropped']} children drop out")
    check(result.transfers == counts["moved"],
          f"detection found {result.transfers} transfers; the generator moved {counts['moved']} children")
    check(not result.missing_units, f"名册未上报 for {[u.code for u in result.missing_units]}")
    graduates = DropoutCase.objects.filter(grade=9, term=CURRENT).count()
    check(graduates == 0, f"{graduates} children of grade 9 in spring reported as dropouts")


# --- main -------------------------------------------------------------------------------------------

def main(db: str) -> None:
    started = time.perf_counter()
    bench.setup_django(db, "rosters")
    try:
        run(db, started)
    finally:
        bench.teardown(db)


def analyse(db: str) -> None:
    from django.db import connection

    if db == "postgres":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def run(db: str, started: float) -> None:
    from suiqian.divisions.services import load_province

    tag = f"rosters[{db}]"
    previous, current, counts, generated = roster_files()
    load_province("140000")
    print(f"{tag}  setup: {ROWS} children in {PREVIOUS} ({previous.stat().st_size / 1e6:.0f} MB), "
          f"{data_rows(current)} in {CURRENT} (graduated {counts['graduated']}, dropped {counts['dropped']}, "
          f"moved {counts['moved']}, entered {counts['entered']}); files {seconds(generated)}, "
          f"migrate {seconds(time.perf_counter() - started - generated)}", flush=True)

    create_baseline_table()
    if db == "postgres":
        load = measure(lambda: baseline_copy(previous), REPEAT_BASELINE)
        load_label = "baseline_copy (PostgreSQL COPY, unindexed text table)"
    else:
        load = measure(lambda: baseline_executemany(previous), 1)
        load_label = "baseline_executemany (csv + executemany, unindexed text table)"
    create_baseline_table()  # empty again: the baseline's rows must not weigh on what follows

    imports = [(term, *run_import(path, term)) for path, term in ((previous, PREVIOUS), (current, CURRENT))]
    hostile = hostile_file()
    hostile_seconds, hostile_peak, hostile_end = run_hostile(hostile)
    analyse(db)  # as autovacuum would soon after a load

    sql = baseline_antijoin_sql()
    repeat = REPEAT_BASELINE if db == "postgres" else 2
    absent = run_antijoin(sql)
    antijoin = measure(lambda: run_antijoin(sql), repeat)
    detections = [timed_detection() for _ in range(repeat)]
    detect_best = min(t for t, _ in detections)
    check_detection(detections[-1][1], counts)
    check(absent == counts["dropped"] + counts["graduated"],
          f"anti-join finds {absent} absent, expected dropouts + graduates "
          f"{counts['dropped'] + counts['graduated']}")
    print(f"{tag}  check: {counts['dropped']} cases = children made to drop out, {counts['moved']} transfers = "
          f"children moved, no graduate among the cases — OK", flush=True)

    header = ("measured", "rows", "best", "ratio", "peak memory")
    lines = [(load_label, ROWS, seconds(load.best), "1.0x", "")]
    for term, job_seconds, wall, maxrss, cpu in imports:
        lines.append((f"import {term} (job; process {seconds(wall)}, its CPU {seconds(cpu)})",
                      data_rows(previous if term == PREVIOUS else current), seconds(job_seconds),
                      f"{job_seconds / load.best:.2f}x", f"{maxrss} MB"))
    lines.append((f"hostile CSV: stray quote + short lines, {hostile.stat().st_size // 1000} KB ({hostile_end}; "
                  f"process)", HOSTILE_LINES, seconds(hostile_seconds), "", f"{hostile_peak} MB"))
    lines.append(("baseline_antijoin (1 SQL)", ROWS, seconds(antijoin.best), "1.0x", ""))
    lines.append(("detect 2021-fall (from no cases)", ROWS, seconds(detect_best),
                  f"{detect_best / antijoin.best:.2f}x", ""))
    widths = [max(len(str(r[i])) for r in [header, *lines]) for i in range(len(header))]
    for r in [header, *lines]:
        print("  " + "  ".join(str(c).ljust(w) if i == 0 else str(c).rjust(w) for i, (c, w) in enumerate(
            zip(r, widths, strict=True))))
    import_ratio = max(j for _, j, _, _, _ in imports) / load.best
    peak = max(m for _, _, _, m, _ in imports)
    verdicts = [f"import {'meets' if import_ratio <= IMPORT_AIM else 'MISSES'} the {IMPORT_AIM}x aim"
                if db == "postgres" else "import ratio is against executemany (SQLite has no COPY)",
                f"detection {'meets' if detect_best / antijoin.best <= DETECT_AIM else 'MISSES'} the {DETECT_AIM}x aim",
                f"peak memory {'under' if peak < MEMORY_LIMIT_MB else 'OVER'} {MEMORY_LIMIT_MB} MB"]
    print(f"{tag}  rows={ROWS}  {load_label.split(' ')[0]}={seconds(load.best)}  import={import_ratio:.2f}x  "
          f"baseline_antijoin={seconds(antijoin.best)}  detect={detect_best / antijoin.best:.2f}x  "
          f"peak_memory={peak}MB  hostile_csv={seconds(hostile_seconds)}/{hostile_peak}MB  "
          f"({'; '.join(verdicts)})", flush=True)


if __name__ == "__main__":
    raise SystemExit(bench.cli(main))
