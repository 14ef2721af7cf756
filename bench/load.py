"""Deadline day: every county submits its form within minutes while province and city read dashboards.

    python -m bench.load --db postgres|sqlite

Setup (not timed): one generated province with 30 cities and 2,850 counties; the forms
(`load_all_forms`) plus a copy for 2020 holding last year's approved county reports, so the
year-on-year rule and the dashboards' trend have real rows to read; 2,850 county users (filler)
with an API token each, 30 city users and one province user (reviewer, viewer) with a session
each. Users are made by `create_or_update_user` with Django's MD5 password hasher, set in this
process only: the server never checks a password (tokens are SHA-256 lookups, sessions are minted
here), so nothing measured depends on it.

Load, against gunicorn on 127.0.0.1 as the README deploys it (workers = 2 × cores + 1, one thread
each, DEBUG off, persistent database connections), from client processes using http.client
(keep-alive where the server offers it). BENCH_LOAD_WORKERS and BENCH_LOAD_THREADS try other shapes
(rules are parsed once per process under a lock, so threaded workers are safe): on this 2-core machine
3 × 4 and 2 × 4 threads did no better than 5 single-threaded workers once each run's throughput is
divided by its own idle /healthz throughput (the machine's load swings too much between runs to
compare raw numbers).

1. deadline: SUBMITTERS clients share the counties; for each, PUT …/values then POST …/submit
   over the REST API. READERS clients meanwhile GET /dashboard/data for the province and the
   cities, as the province and city users, until the last county has submitted. One more client
   GETs /healthz every 50 ms meanwhile: the cheapest request on the same server under the same load,
   by the same client code — the p95 target (submission ≤ 3× /healthz) is taken against it.
2. idle baseline: the same number of clients GET /healthz (Django's cheapest view, same server, same run)
   with nothing else running; the p95 ratios to it are printed as well. A submission is two requests
   and each of 16 submitters sends its next as soon as the last is answered, so against the idle server
   the ratio is the inverse of the throughput ratio times 16/20: it can reach 3× only if a submission
   costs the server about as much as four /healthz.

Printed per endpoint: requests, errors (any non-2xx, any transport error; the first bodies are
shown), throughput, p50/p95, and throughput and p95 as ratios to /healthz; and the queries one
request of each kind issues (counted in-process on a probe county outside the tree), which is
what the throughput mostly follows.

Bounded: the deadline phase stops starting new counties after `deadline_cap` seconds (an hour on
PostgreSQL, so the whole evening is run; BENCH_LOAD_CAP=<seconds> shortens it to a sample) and the
baseline after `healthz_cap`, so a slow machine gets a CAPACITY line (how many counties got in,
and how long all would take at that rate) instead of a run that never ends. Correctness, checked
in the database afterwards, fails the run (exit 1): every county the clients saw submitted holds
exactly one submitted 2021 report with its 16 values, no other 2021 report exists in the tree,
and when the cap was not reached that is all 2,850 counties. Any failed request fails the run too.

SQLite runs a reduced variant (285 counties, 2 submitters, 1 reader): SQLite is the embedded
default for one machine and one writer at a time, not the engine for deadline-day traffic. The
variant checks that the whole flow holds under gunicorn's processes on SQLite too.
"""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import http.client
import json
import multiprocessing as mp
import os
import random
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import bench
from bench import check

SEED = 2021_0930
YEAR = 2021
FORM = "summary-2021"
PROVINCE = "990000"  # not a GB/T 2260 prefix: plainly synthetic
PG_DATABASE = os.environ.get("BENCH_LOAD_DATABASE", "suiqian_bench_load")


@dataclass(frozen=True)
class Profile:
    cities: int
    counties_per_city: int
    submitters: int
    readers: int
    healthz_per_client: int
    deadline_cap: float  # seconds for the deadline phase
    healthz_cap: float

    @property
    def counties(self) -> int:
        return self.cities * self.counties_per_city


PROFILES = {
    # The caps are a safety net against a run that never ends, not a sample: the deadline evening is run whole.
    "postgres": Profile(cities=30, counties_per_city=95, submitters=16, readers=4, healthz_per_client=200,
                        deadline_cap=3600.0, healthz_cap=15.0),
    "sqlite": Profile(cities=3, counties_per_city=95, submitters=2, readers=1, healthz_per_client=200,
                      deadline_cap=900.0, healthz_cap=15.0),
}

# A county's 附件3 with every rule holding (as suiqian/conftest.py's county_values); scaled per
# county, 2020 at 10× and 2021 at 11×: +10 % passes the ±30 % year-on-year rule without explanations.
BASE_VALUES = {
    "new_places_primary": 120, "new_places_junior": 80, "new_places_total": 200,
    "new_places_migrant_primary": 30, "new_places_migrant_junior": 20, "new_places_migrant_total": 50,
    "migrant_children_total": 1000, "migrant_worker_children_total": 900,
    "public_school_primary": 500, "public_school_junior": 300, "public_school_total": 800,
    "purchased_places_primary": 40, "purchased_places_junior": 20, "purchased_places_total": 60,
    "zhongkao_applicants": 70, "gaokao_applicants": 30,
}
BENCH_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
ERRORS_SHOWN = 5
WATCH_PAUSE = 0.05  # seconds between two /healthz of the watcher during the deadline phase
BATCH = 2000


def values_for(scale: int, year: int) -> dict[str, int]:
    factor = 10 if year == 2020 else 11
    return {k: v * scale * factor for k, v in BASE_VALUES.items()}


# --- setup -------------------------------------------------------------------------------

@dataclass
class Fixture:
    submissions: list[tuple[str, str, dict]]  # (county code, API key, values)
    reads: list[tuple[str, str]]  # (session cookie, unit code)
    token_for_warmup: str
    probe: tuple[str, str, dict]  # a county outside the measured province, for counting queries
    sizes: dict = field(default_factory=dict)


def create_tree(profile: Profile, rng: random.Random):
    from suiqian.divisions.models import Division

    K = Division.Kind
    province = Division.objects.create(code=PROVINCE, name="基准省", full_name="基准省", kind=K.PROVINCE, level=1,
                                       path=f"{PROVINCE}/")
    cities = Division.objects.bulk_create([
        Division(code=f"{PROVINCE[:2]}{i:02d}00", name=f"市{i:02d}", full_name=f"基准省市{i:02d}", kind=K.CITY,
                 level=2, parent=province, path=f"{province.path}{PROVINCE[:2]}{i:02d}00/")
        for i in range(1, profile.cities + 1)])
    counties = Division.objects.bulk_create([
        Division(code=f"{city.code[:4]}{j:02d}", name=f"县{city.code[:4]}{j:02d}",
                 full_name=f"{city.full_name}县{city.code[:4]}{j:02d}",
                 kind=rng.choice((K.DISTRICT, K.COUNTY, K.COUNTY_CITY)), level=3, parent=city,
                 path=f"{city.path}{city.code[:4]}{j:02d}/")
        for city in cities for j in range(1, profile.counties_per_city + 1)], batch_size=BATCH)
    return province, cities, counties


def create_probe_units():
    """One county in a province of its own: counting its queries leaves the measured tree untouched."""
    from suiqian.divisions.models import Division

    K = Division.Kind
    province = Division.objects.create(code="980000", name="探针省", full_name="探针省", kind=K.PROVINCE, level=1,
                                       path="980000/")
    city = Division.objects.create(code="980100", name="探针市", full_name="探针省探针市", kind=K.CITY, level=2,
                                   parent=province, path="980000/980100/")
    return Division.objects.create(code="980101", name="探针县", full_name="探针省探针市探针县", kind=K.COUNTY,
                                   level=3, parent=city, path="980000/980100/980101/")


def create_history(counties, scales: dict[str, int]) -> int:
    """Form summary-2020 (the 2021 file, code and year changed) and an approved 2020 report per county."""
    from datetime import UTC, datetime

    from suiqian.reporting.formspec import FORMS_DIR, parse_form_spec, read_form_file
    from suiqian.reporting.models import DataValue, FormDefinition, Report

    spec = copy.deepcopy(read_form_file(FORMS_DIR / f"{FORM}.yaml").raw)
    spec.update(code="summary-2020", year=2020, title=spec["title"].replace("2021", "2020"))
    parsed = parse_form_spec(spec)
    form = FormDefinition.objects.create(
        code=parsed.code, year=parsed.year, title=parsed.title, spec=spec,
        checksum=hashlib.sha256(json.dumps(spec, sort_keys=True, ensure_ascii=False).encode()).hexdigest())
    reports = Report.objects.bulk_create([
        Report(form=form, unit=c, year=2020, status=Report.Status.APPROVED, version=3,
               submitted_at=datetime(2020, 9, 25, tzinfo=UTC), decided_at=datetime(2020, 9, 28, tzinfo=UTC))
        for c in counties], batch_size=BATCH)
    DataValue.objects.bulk_create([
        DataValue(report_id=r.pk, field=f, value=v)
        for r, c in zip(reports, counties, strict=True) for f, v in values_for(scales[c.code], 2020).items()],
        batch_size=BATCH)
    return len(reports)


def session_cookie(user) -> str:
    """A logged-in session, as django.contrib.auth.login would store it."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    return f"{settings.SESSION_COOKIE_NAME}={session.session_key}"


def generate(db: str, profile: Profile) -> Fixture:
    from django.conf import settings
    from django.contrib.auth.hashers import get_hashers, get_hashers_by_algorithm
    from django.db import connection, transaction

    from suiqian.accounts.models import Role
    from suiqian.accounts.services import create_or_update_user
    from suiqian.api.services import create_token
    from suiqian.reporting.services import REFERENCE_DIR, load_all_forms, load_national_ratios

    # Bench only: MD5 makes 2,881 set_password calls take milliseconds instead of minutes.
    settings.PASSWORD_HASHERS = BENCH_HASHERS
    get_hashers.cache_clear()
    get_hashers_by_algorithm.cache_clear()

    rng = random.Random(SEED)
    t0 = time.perf_counter()
    with transaction.atomic():
        province, cities, counties = create_tree(profile, rng)
        probe_county = create_probe_units()
        load_all_forms()
        load_national_ratios(REFERENCE_DIR / "national-ratio.yaml")
        scales = {c.code: rng.randint(1, 30) for c in [*counties, probe_county]}
        create_history([*counties, probe_county], scales)
    t_tree = time.perf_counter() - t0

    password = secrets.token_urlsafe(16)
    submissions = []
    with transaction.atomic():
        for county in counties:
            user = create_or_update_user(county.code, county, [Role.FILLER], password, validate=False)
            _, key = create_token(user, "县业务系统")
            submissions.append((county.code, key, values_for(scales[county.code], YEAR)))
        reviewer_roles = [Role.REVIEWER, Role.VIEWER]
        province_user = create_or_update_user(PROVINCE, province, reviewer_roles, password, validate=False)
        province_cookie = session_cookie(province_user)
        reads = [(province_cookie, PROVINCE)] * len(cities)  # the province's own dashboard, most read
        for city in cities:
            user = create_or_update_user(city.code, city, reviewer_roles, password, validate=False)
            reads += [(session_cookie(user), city.code), (province_cookie, city.code)]
        _, warmup_key = create_token(province_user, "预热")
        user = create_or_update_user(probe_county.code, probe_county, [Role.FILLER], password, validate=False)
        probe = (probe_county.code, create_token(user, "探针")[1], values_for(scales[probe_county.code], YEAR))
    t_users = time.perf_counter() - t0 - t_tree
    if db == "postgres":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # as autovacuum soon would: stable plans from the first request
    rng.shuffle(submissions)  # counties submit in no particular order
    return Fixture(submissions, reads, warmup_key, probe, {
        "cities": len(cities), "counties": len(counties), "history": len(counties),
        "users": len(counties) + len(cities) + 1,
        "t_tree": t_tree, "t_users": t_users})


# --- the server ----------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(port: int, workers: int, threads: int, log: Path) -> subprocess.Popen:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "suiqian.settings", "DEBUG": "0", "ALLOWED_HOSTS": "127.0.0.1",
           "CONN_MAX_AGE": "60", "LOG_LEVEL": "WARNING", "PYTHONUNBUFFERED": "1"}
    command = [sys.executable, "-m", "gunicorn", "suiqian.wsgi:application", "--bind", f"127.0.0.1:{port}",
               "--workers", str(workers), "--threads", str(threads), "--timeout", "30", "--keep-alive", "5",
               "--graceful-timeout", "5", "--error-logfile", "-", "--log-level", "warning"]
    # Own process group: if the master does not stop on SIGTERM, its workers can be killed with it.
    # Its output (Django logs a line per 4xx/5xx) goes to the log, not into the report.
    with open(log, "ab") as out:
        return subprocess.Popen(command, cwd=bench.ROOT, env=env, stdin=subprocess.DEVNULL, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)


def stop_server(server: subprocess.Popen) -> None:
    if server.poll() is not None:
        return
    server.terminate()
    try:
        server.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait(timeout=5)


def wait_ready(server: subprocess.Popen, port: int, log: Path, timeout: float = 30.0) -> float:
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        if server.poll() is not None:
            raise bench.BenchFailure(f"gunicorn exited with {server.returncode}:\n{tail(log)}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                conn.close()
                return time.perf_counter() - started
        except OSError:
            pass
        time.sleep(0.1)
    raise bench.BenchFailure(f"gunicorn not ready after {timeout:.0f}s:\n{tail(log)}")


def tail(path: Path, lines: int = 20) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


# --- clients (run in their own processes; standard library only) ----------------------------

class Client:
    """One keep-alive connection, reopened when the server has closed an idle one."""

    def __init__(self, port: int):
        self.port, self.conn = port, None

    def call(self, method: str, path: str, headers: dict, body: dict | None = None) -> tuple[int, bytes, float]:
        payload = None if body is None else json.dumps(body).encode()
        headers = {**headers, **({"Content-Type": "application/json"} if payload is not None else {})}
        for attempt in (1, 2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            started = time.perf_counter()
            try:
                self.conn.request(method, path, body=payload, headers=headers)
                response = self.conn.getresponse()
                data = response.read()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                # The server dropped a keep-alive connection before reading the request: send it again.
                self.close()
                if attempt == 2:
                    raise
                continue
            elapsed = time.perf_counter() - started
            if response.will_close:
                self.close()
            return response.status, data, elapsed
        raise AssertionError("unreachable")

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None


@dataclass
class Samples:
    latencies: dict[str, list[float]] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)
    bodies: list[str] = field(default_factory=list)
    done: list[str] = field(default_factory=list)  # counties whose submit answered "submitted"
    left_at_cap: int = 0  # counties this client did not start because the time cap was reached
    started: float = 0.0
    finished: float = 0.0

    def add(self, endpoint: str, seconds: float) -> None:
        self.latencies.setdefault(endpoint, []).append(seconds)

    def error(self, endpoint: str, text: str) -> None:
        self.errors[endpoint] = self.errors.get(endpoint, 0) + 1
        if len(self.bodies) < ERRORS_SHOWN:
            self.bodies.append(f"{endpoint}: {' '.join(text.split())[:300]}")


def _timed(samples: Samples, client: Client, endpoint: str, method: str, path: str, headers: dict,
           body: dict | None = None, expect=None) -> bool:
    try:
        status, data, elapsed = client.call(method, path, headers, body)
    except OSError as e:
        samples.error(endpoint, f"{method} {path}: {type(e).__name__}: {e}")
        return False
    samples.add(endpoint, elapsed)
    if not 200 <= status < 300:
        samples.error(endpoint, f"{method} {path} → {status}: {data.decode(errors='replace')}")
        return False
    if expect is not None:
        problem = expect(data)
        if problem:
            samples.error(endpoint, f"{method} {path} → {status} but {problem}")
            return False
    return True


def _status_is(status: str):
    def expect(data: bytes) -> str | None:
        got = json.loads(data).get("status")
        return None if got == status else f"status {got!r}, expected {status!r}"
    return expect


def submitter(port: int, tasks: list, go, deadline: float, out) -> None:
    samples, client = Samples(), Client(port)
    go.wait()
    samples.started = time.perf_counter()
    base = f"/api/v1/forms/{FORM}/reports"
    for i, (code, key, values) in enumerate(tasks):
        if time.time() > deadline:
            samples.left_at_cap = len(tasks) - i
            break
        auth = {"Authorization": f"Bearer {key}"}
        t0 = time.perf_counter()
        if (_timed(samples, client, "PUT values", "PUT", f"{base}/{code}/values", auth, {"values": values},
                   _status_is("draft"))
                and _timed(samples, client, "POST submit", "POST", f"{base}/{code}/submit", auth, {},
                           _status_is("submitted"))):
            samples.add("submission", time.perf_counter() - t0)
            samples.done.append(code)
    samples.finished = time.perf_counter()
    client.close()
    out.put(samples)


def reader(port: int, reads: list, seed: int, go, stop, deadline: float, out) -> None:
    samples, client, rng = Samples(), Client(port), random.Random(seed)
    go.wait()
    samples.started = time.perf_counter()
    while not stop.is_set() and time.time() < deadline:
        cookie, unit = rng.choice(reads)

        def expect(data: bytes, unit=unit) -> str | None:
            got = json.loads(data).get("unit", {}).get("code")
            return None if got == unit and "bars" in json.loads(data) else f"unit {got!r}, expected {unit!r}"

        _timed(samples, client, "GET dashboard", "GET", f"/dashboard/data?unit={unit}&year={YEAR}",
               {"Cookie": cookie}, None, expect)
    samples.finished = time.perf_counter()
    client.close()
    out.put(samples)


def watcher(port: int, go, stop, deadline: float, out) -> None:
    """/healthz during the deadline phase, by the same client code: what the cheapest request waits on this
    server under this load. A pause between requests keeps its own share of the load negligible."""
    samples, client = Samples(), Client(port)
    go.wait()
    samples.started = time.perf_counter()
    while not stop.is_set() and time.time() < deadline:
        _timed(samples, client, "GET /healthz (during)", "GET", "/healthz", {}, None,
               lambda data: None if data == b"ok" else f"body {data[:40]!r}")
        time.sleep(WATCH_PAUSE)
    samples.finished = time.perf_counter()
    client.close()
    out.put(samples)


def pinger(port: int, n: int, go, deadline: float, out) -> None:
    samples, client = Samples(), Client(port)
    go.wait()
    samples.started = time.perf_counter()
    for _ in range(n):
        if time.time() > deadline:
            break
        _timed(samples, client, "GET /healthz", "GET", "/healthz", {}, None,
               lambda data: None if data == b"ok" else f"body {data[:40]!r}")
    samples.finished = time.perf_counter()
    client.close()
    out.put(samples)


def run_clients(ctx, targets: list[tuple], go, timeout: float) -> list[Samples]:
    """Start one process per (function, args), release them together, collect their samples."""
    out = ctx.Queue()
    processes = [ctx.Process(target=fn, args=(*args, go, *rest, out), daemon=True) for fn, args, rest in targets]
    for p in processes:
        p.start()
    go.set()
    results = []
    try:
        for _ in processes:
            results.append(out.get(timeout=timeout))
    finally:
        for p in processes:
            p.join(timeout=5)
            if p.is_alive():
                p.terminate()  # a client stuck past the cap: ours, by its own handle
    return results


# --- report ----------------------------------------------------------------------------------

@dataclass
class Line:
    endpoint: str
    requests: int
    errors: int
    rps: float
    p50: float
    p95: float


def summarise(results: list[Samples], endpoints: list[str]) -> tuple[list[Line], list[str]]:
    lines, bodies = [], []
    for endpoint in endpoints:
        window_from = min((r.started for r in results if endpoint in r.latencies or endpoint in r.errors),
                          default=0.0)
        window_to = max((r.finished for r in results if endpoint in r.latencies or endpoint in r.errors),
                        default=0.0)
        samples = [s for r in results for s in r.latencies.get(endpoint, [])]
        errors = sum(r.errors.get(endpoint, 0) for r in results)
        window = max(window_to - window_from, 1e-9)
        p50 = statistics.median(samples) if samples else float("nan")
        p95 = statistics.quantiles(samples, n=20)[18] if len(samples) >= 2 else (samples[0] if samples else float("nan"))
        lines.append(Line(endpoint, len(samples), errors, len(samples) / window, p50, p95))
    for r in results:
        bodies += r.bodies
    return lines, bodies[:ERRORS_SHOWN]


def print_table(tag: str, lines: list[Line], base: Line, idle: Line) -> None:
    """p95 as a ratio to `base`; throughput always to the idle server's /healthz (the watcher's is paced)."""
    header = ("endpoint", "requests", "errors", "req/s", "p50", "p95", "throughput_ratio", "p95_ratio")
    rows = [header] + [
        (l.endpoint, str(l.requests), str(l.errors), f"{l.rps:.1f}", f"{l.p50 * 1000:.1f}ms", f"{l.p95 * 1000:.1f}ms",
         f"{l.rps / idle.rps:.3f}", f"{l.p95 / base.p95:.1f}x") for l in lines]
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    for r in rows:
        print("  " + "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths))))


# --- main ------------------------------------------------------------------------------------

def main(db: str) -> None:
    started = time.perf_counter()
    # One secret for this process and the server: the sessions minted here must verify there.
    os.environ["SECRET_KEY"] = secrets.token_urlsafe(50)
    # A database of our own: `python -m bench.reporting` drops and recreates suiqian_bench, which would
    # cut this run's server off if both ran at once. Safe to set here: each benchmark is its own process.
    bench.PG_DATABASE = PG_DATABASE
    bench.setup_django(db, "load")
    try:
        run(db, started)
    finally:
        bench.teardown(db)


def run(db: str, started: float) -> None:
    from django.db import connections

    profile = PROFILES[db]
    if os.environ.get("BENCH_LOAD_CAP"):  # e.g. 900: let the whole deadline run on a slow machine
        profile = dataclasses.replace(profile, deadline_cap=float(os.environ["BENCH_LOAD_CAP"]))
    tag = f"load[{db}]"
    if db == "sqlite":
        print(f"{tag}  note: reduced variant ({profile.counties} counties, {profile.submitters} submitters, "
              f"{profile.readers} reader) — SQLite is the single-machine default; deadline-day traffic belongs "
              f"on PostgreSQL (`--db postgres`)")
    fixture = generate(db, profile)
    s = fixture.sizes
    print(f"{tag}  setup: 1 province, {s['cities']} cities, {s['counties']} counties, {s['history']} approved 2020 "
          f"reports, {s['users']} users with tokens/sessions (tree {bench.seconds(s['t_tree'])}, users "
          f"{bench.seconds(s['t_users'])}; migrate + setup {bench.seconds(time.perf_counter() - started)})")
    queries = probe_queries(fixture)
    print(f"{tag}  queries per request (in-process, on a probe county outside the tree): "
          + "  ".join(f"{k}={v}" for k, v in queries.items()))
    connections.close_all()  # the client processes are forked: no shared database socket

    workers = int(os.environ.get("BENCH_LOAD_WORKERS", 2 * (os.cpu_count() or 1) + 1))
    threads = int(os.environ.get("BENCH_LOAD_THREADS", "1"))
    port = free_port()
    log = bench.VAR_DIR / f"load-{db}-gunicorn.log"
    log.unlink(missing_ok=True)
    server = start_server(port, workers, threads, log)
    ctx = mp.get_context("fork")
    try:
        ready = wait_ready(server, port, log)
        print(f"{tag}  server: gunicorn on 127.0.0.1:{port}, {workers} workers × {threads} thread{'s' if threads > 1 else ''}, DEBUG off, "
              f"CONN_MAX_AGE=60; ready in {bench.seconds(ready)}; {os.cpu_count()} CPUs shared with the clients "
              f"and the database")
        warm_up(port, fixture, workers)

        deadline = time.time() + profile.deadline_cap
        go, stop = ctx.Event(), ctx.Event()
        chunks = [fixture.submissions[i::profile.submitters] for i in range(profile.submitters)]
        out_readers = ctx.Queue()
        readers = [ctx.Process(target=reader, args=(port, fixture.reads, SEED + i, go, stop, deadline, out_readers),
                               daemon=True) for i in range(profile.readers)]
        readers.append(ctx.Process(target=watcher, args=(port, go, stop, deadline, out_readers), daemon=True))
        for p in readers:
            p.start()
        t0 = time.perf_counter()
        submit_results = run_clients(ctx, [(submitter, (port, chunk), (deadline,)) for chunk in chunks], go,
                                     timeout=profile.deadline_cap + 60)
        stop.set()
        read_results = [out_readers.get(timeout=60) for _ in readers]
        for p in readers:
            p.join(timeout=5)
        t_deadline = time.perf_counter() - t0

        n_clients = profile.submitters + profile.readers
        go = ctx.Event()
        hz_deadline = time.time() + profile.healthz_cap
        hz_results = run_clients(ctx, [(pinger, (port, profile.healthz_per_client), (hz_deadline,))
                                       for _ in range(n_clients)], go, timeout=profile.healthz_cap + 30)
    finally:
        stop_server(server)

    lines, bodies = summarise(submit_results + read_results,
                              ["submission", "PUT values", "POST submit", "GET dashboard", "GET /healthz (during)"])
    (idle,), hz_bodies = summarise(hz_results, ["GET /healthz"])
    *lines, base = lines
    print(f"{tag}  deadline phase: {profile.submitters} submitters + {profile.readers} dashboard readers + 1 /healthz "
          f"watcher ({WATCH_PAUSE * 1000:.0f}ms between requests), {bench.seconds(t_deadline)}; then an idle-server "
          f"baseline: {n_clients} clients on /healthz")
    print("  ratios to /healthz during the deadline (same server, same load, same client code):")
    print_table(tag, [*lines, base], base, idle)
    print("  ratios to /healthz on the idle server afterwards (the cheapest request with nothing else running):")
    print_table(tag, [*lines, idle], idle, idle)
    errors = sum(l.errors for l in lines) + base.errors + idle.errors
    for body in bodies + hz_bodies:
        print(f"{tag}  error: {body}")

    done = {code for r in submit_results for code in r.done}
    left = sum(r.left_at_cap for r in submit_results)
    sub, put, post, dash = lines
    print(f"{tag}  submissions={len(done)}/{profile.counties} in {bench.seconds(t_deadline)} ({sub.rps:.1f}/s, "
          f"p95 {sub.p95 * 1000:.0f}ms)  dashboard={dash.rps:.1f}/s p95 {dash.p95 * 1000:.0f}ms  "
          f"healthz during={base.p95 * 1000:.1f}ms idle={idle.rps:.0f}/s p95 {idle.p95 * 1000:.1f}ms  "
          f"throughput_ratio (to idle)/p95_ratio (to during): "
          f"PUT {put.rps / idle.rps:.4f}/{put.p95 / base.p95:.1f}x  submit {post.rps / idle.rps:.4f}/"
          f"{post.p95 / base.p95:.1f}x  dashboard {dash.rps / idle.rps:.4f}/{dash.p95 / base.p95:.1f}x")
    if left:
        # Capacity, not correctness: the run is bounded in time, so it reports how far it got.
        print(f"{tag}  CAPACITY: time cap of {profile.deadline_cap:.0f}s reached with {left} of {profile.counties} "
              f"counties not started; at {sub.rps:.1f} submissions/s all would take "
              f"~{profile.counties / max(sub.rps, 1e-9):.0f}s")
    ratio = sub.p95 / base.p95
    print(f"{tag}  targets: all {profile.counties} submitted: {'yes' if not left and len(done) == profile.counties else 'NO'}"
          f"  errors: {errors}  submission p95 {ratio:.1f}x /healthz p95 during the deadline "
          f"({'meets' if ratio <= 3 else 'MISSES'} ≤3x; {sub.p95 / idle.p95:.1f}x the idle server's)"
          f"  throughput {sub.rps:.1f} submissions/s, dashboards {dash.rps:.1f}/s read meanwhile")
    check(errors == 0, f"{errors} requests failed (any non-2xx counts); first bodies above; server log: {log}")
    check_database(tag, profile, done, complete=not left)


def check_database(tag: str, profile: Profile, done: set[str], complete: bool) -> None:
    """Every county the clients saw submitted is submitted with its 16 values; no other report exists.
    A complete run (no time cap) must have submitted every county."""
    from suiqian.reporting.models import DataValue, Report

    reports = Report.objects.filter(form__code=FORM, year=YEAR, unit__path__startswith=f"{PROVINCE}/")
    submitted = set(reports.filter(status=Report.Status.SUBMITTED).values_list("unit__code", flat=True))
    others = reports.exclude(status=Report.Status.SUBMITTED).count()
    values = DataValue.objects.filter(report__in=reports).count()
    print(f"{tag}  check: {len(submitted)} reports submitted, {others} in another state, {values} values "
          f"(expected {len(done)} / 0 / {16 * len(done)}{'' if complete else ', time cap reached'})")
    check(submitted == done and others == 0 and values == 16 * len(done),
          f"database holds {len(submitted)} submitted reports ({len(submitted ^ done)} differ from what the clients "
          f"saw), {others} in another state, {values} values")
    if complete:
        check(len(done) == profile.counties, f"{len(done)} of {profile.counties} counties submitted")


def probe_queries(fixture: Fixture) -> dict[str, int]:
    """Queries each request issues, counted in-process: the number behind the throughput."""
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.db import connection

    client = Client(HTTP_HOST="127.0.0.1")
    code, key, values = fixture.probe
    auth = {"HTTP_AUTHORIZATION": f"Bearer {key}"}
    base = f"/api/v1/forms/{FORM}/reports/{code}"
    out = {}
    requests = [
        ("PUT values", lambda: client.put(f"{base}/values", json.dumps({"values": values}), "application/json", **auth)),
        ("POST submit", lambda: client.post(f"{base}/submit", "{}", "application/json", **auth)),
        ("GET dashboard(province)", lambda: client.get(f"/dashboard/data?unit={PROVINCE}&year={YEAR}",
                                                        HTTP_COOKIE=fixture.reads[0][0])),
        ("GET dashboard(city)", lambda: client.get(f"/dashboard/data?unit={fixture.reads[-2][1]}&year={YEAR}",
                                                    HTTP_COOKIE=fixture.reads[-2][0])),
        ("GET /healthz", lambda: client.get("/healthz")),
    ]
    for name, call in requests:
        with CaptureQueriesContext(connection) as ctx:
            response = call()
        check(response.status_code == 200, f"probe {name}: {response.status_code} {response.content[:300]!r}")
        out[name] = len(ctx.captured_queries)
    return out


def warm_up(port: int, fixture: Fixture, workers: int) -> None:
    """Each worker imports views, templates and the API lazily: get that out of the timings."""
    client = Client(port)
    try:
        for i in range(4 * workers):
            client.call("GET", "/healthz", {})
            cookie, unit = fixture.reads[i % len(fixture.reads)]
            client.call("GET", f"/dashboard/data?unit={unit}&year={YEAR}", {"Cookie": cookie})
            client.call("GET", f"/api/v1/forms/{FORM}", {"Authorization": f"Bearer {fixture.token_for_warmup}"})
            client.close()  # a new connection may land on another worker
    finally:
        client.close()


if __name__ == "__main__":
    raise SystemExit(bench.cli(main))
