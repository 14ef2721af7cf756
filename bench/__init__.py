"""Benchmarks run by `make bench` (`python -m bench`).

Every `bench/<name>.py` that defines `main(db)` is a benchmark. `python -m bench`
runs each of them in its own process per database (`python -m bench.<name> --db sqlite|postgres`),
because Django reads its settings once per process. A benchmark module ends with

    if __name__ == "__main__":
        raise SystemExit(bench.cli(main))

and calls `bench.setup_django(db, "<name>")` first thing in `main`, before importing
anything from `suiqian`.

Timings are printed, never asserted: a benchmark fails (exit status 1) only on an
exception or when a correctness check does not hold.

This module is imported by the launcher too, so it imports only the standard library at
the top; Django and psycopg are imported inside the functions that need them.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VAR_DIR = ROOT / "var" / "bench"
DATABASES = ("sqlite", "postgres")
PG_HOST, PG_PORT, PG_USER = "127.0.0.1", 5432, "postgres"
# Its own name per checkout when several run benchmarks on one server (the database is dropped and made anew).
PG_DATABASE = os.environ.get("BENCH_PG_DATABASE", "suiqian_bench")


class BenchFailure(AssertionError):
    """A correctness check of a benchmark did not hold."""


def check(condition: bool, message: str) -> None:
    if not condition:
        raise BenchFailure(message)


# --- database per process ------------------------------------------------------------

def _pg_admin():
    """An autocommit connection to the maintenance database, for CREATE/DROP DATABASE."""
    import psycopg

    return psycopg.connect(host=PG_HOST, port=PG_PORT, user=PG_USER, dbname="postgres", autocommit=True,
                           connect_timeout=5)


def _recreate_pg_database() -> None:
    with _pg_admin() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{PG_DATABASE}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{PG_DATABASE}"')


def drop_pg_database() -> None:
    with _pg_admin() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{PG_DATABASE}" WITH (FORCE)')


def setup_django(db: str, name: str) -> str:
    """Point Django at a fresh, empty, migrated database for benchmark `name`; return a label for it.

    SQLite: var/bench/<name>.sqlite3, deleted first. PostgreSQL: database suiqian_bench, dropped
    and created again (call `teardown(db)` at the end to drop it).
    """
    if db == "sqlite":
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        path = VAR_DIR / f"{name}.sqlite3"
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        url = f"sqlite:///{path}"
    elif db == "postgres":
        _recreate_pg_database()
        url = f"postgres://{PG_USER}@{PG_HOST}:{PG_PORT}/{PG_DATABASE}"
    else:
        raise ValueError(f"unknown database {db!r}; expected one of {', '.join(DATABASES)}")
    os.environ["DJANGO_SETTINGS_MODULE"] = "suiqian.settings"
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("CONN_MAX_AGE", "0")

    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    return db


def teardown(db: str) -> None:
    from django.db import connections

    connections.close_all()
    if db == "postgres":
        drop_pg_database()


def cli(main: Callable[[str], object]) -> int:
    """Entry point of a benchmark module: `python -m bench.<name> --db sqlite|postgres`."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", choices=DATABASES, required=True)
    args = parser.parse_args()
    try:
        main(args.db)
    except BenchFailure as e:
        print(f"CORRECTNESS FAILURE [{args.db}]: {e}", file=sys.stderr, flush=True)
        return 1
    return 0


# --- timing ----------------------------------------------------------------------------

class Timing:
    """Best (minimum) and median of several repetitions, in seconds."""

    def __init__(self, samples: list[float]):
        self.samples = samples
        self.best = min(samples)
        self.median = statistics.median(samples)


def measure(fn: Callable[[], object], repeat: int) -> Timing:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return Timing(samples)


def seconds(value: float) -> str:
    return f"{value:.3f}s" if value < 10 else f"{value:.1f}s"
