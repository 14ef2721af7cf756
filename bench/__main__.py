"""`python -m bench`: run every benchmark module on SQLite and, when reachable, on PostgreSQL.

A benchmark is any `bench/<name>.py` (not starting with `_`) with a top-level `def main(db)`.
Modules are found by reading their source, not importing it: a benchmark may import Django
models at the top, which only works in its own process after `bench.setup_django`.
Each (module, database) pair runs as `python -m bench.<name> --db <db>` in turn; its output
goes straight to ours. Exit status is 1 if any of them failed, 0 otherwise.

BENCH_ONLY=rosters (or a comma-separated list of module names) runs only those modules;
BENCH_DB=postgres (or sqlite) only that database.
"""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from . import DATABASES, PG_HOST, PG_PORT, ROOT

BENCH_DIR = Path(__file__).resolve().parent


def benchmark_modules() -> list[str]:
    names = []
    for path in sorted(BENCH_DIR.glob("*.py")):
        if path.name.startswith("_"):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        if any(isinstance(node, ast.FunctionDef) and node.name == "main" for node in tree.body):
            names.append(path.stem)
    return names


def postgres_reachable() -> tuple[bool, str]:
    pg_isready = shutil.which("pg_isready")
    if pg_isready is None:
        return False, "pg_isready not found"
    try:
        result = subprocess.run([pg_isready, "-h", PG_HOST, "-p", str(PG_PORT)], capture_output=True, text=True,
                                timeout=10)
    except subprocess.TimeoutExpired:
        return False, "pg_isready timed out"
    return result.returncode == 0, (result.stdout or result.stderr).strip()


def main() -> int:
    started = time.perf_counter()
    modules = benchmark_modules()
    only = [m.strip() for m in os.environ.get("BENCH_ONLY", "").split(",") if m.strip()]
    if only:
        unknown = sorted(set(only) - set(modules))
        if unknown:
            print(f"bench: BENCH_ONLY names no benchmark module: {', '.join(unknown)} (modules: {', '.join(modules)})")
            return 1
        modules = [m for m in modules if m in only]
    if not modules:
        print("bench: no benchmark modules found")
        return 0
    databases = list(DATABASES)
    if os.environ.get("BENCH_DB"):
        if os.environ["BENCH_DB"] not in DATABASES:
            print(f"bench: BENCH_DB must be one of {', '.join(DATABASES)}")
            return 1
        databases = [os.environ["BENCH_DB"]]
    pg_ok, pg_status = postgres_reachable()
    if not pg_ok and "postgres" in databases:
        databases.remove("postgres")
        print(f"bench: PostgreSQL skipped ({PG_HOST}:{PG_PORT} not reachable: {pg_status})")
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    failures = []
    for name in modules:
        for db in databases:
            print(f"== bench.{name} --db {db}", flush=True)
            t0 = time.perf_counter()
            result = subprocess.run([sys.executable, "-m", f"bench.{name}", "--db", db], cwd=ROOT, env=env)
            status = "ok" if result.returncode == 0 else f"FAILED (exit {result.returncode})"
            print(f"== bench.{name} --db {db}: {status} in {time.perf_counter() - t0:.1f}s", flush=True)
            if result.returncode != 0:
                failures.append(f"{name}[{db}]")
    print(f"bench: {len(modules)} module(s) on {', '.join(databases)} in {time.perf_counter() - started:.1f}s"
          + (f"; failed: {', '.join(failures)}" if failures else ""))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
