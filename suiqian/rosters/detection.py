"""Dropout detection: compare a term's rosters with the term before, over the whole platform, in SQL.

A child on a county's T−1 roster and on no roster of T — unless grade 9 in spring, who has
graduated — becomes a 疑似辍学 case of that county; found on another county's T roster, a
transfer. From the page detection runs as a background task; the CLI runs it at once.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.db import DatabaseError, connection, transaction
from django.utils import timezone
from django_tasks import task

from suiqian.accounts import audit
from suiqian.accounts.scope import Scope
from suiqian.divisions.models import Division

from . import partitions
from .errors import NotAllowed, parse_term
from .models import OPEN_STATUSES, CaseEvent, CaseStatus, DetectionRun, DropoutCase, Roster, RosterEntry, Transfer
from .queries import missing_rosters
from .terms import LAST_GRADE, Term


@dataclass
class DetectionResult:
    term: Term
    cases_opened: int
    cases_closed: int
    transfers: int
    missing_units: list[Division]
    seconds: float


SYSTEM_NOTE_RETURNED = "名册比对：该生已在本县区 {term} 名册中"
SYSTEM_NOTE_TRANSFERRED = "名册比对：该生已在 {unit} {term} 名册中"

def start_detection(scope: Scope, user, unit: Division, term_text: str) -> DetectionRun:
    """Queue a comparison of `term` with the term before (the 开始比对 button). One already waiting
    or running for the term is returned instead of a second one."""
    term = parse_term(term_text)
    if not scope.may_detect(unit):
        raise NotAllowed("只有本单位的填报员可以开始比对")
    with transaction.atomic():
        partitions.term_lock(term)
        active = DetectionRun.objects.filter(term=term.code, status__in=(
            DetectionRun.Status.PENDING, DetectionRun.Status.RUNNING)).first()
        if active is not None:
            return active
        run = DetectionRun.objects.create(term=term.code, user=user, unit=unit, status=DetectionRun.Status.PENDING)
    result = run_detection_task.enqueue(run.pk)
    DetectionRun.objects.filter(pk=run.pk).update(task_id=str(result.id))
    audit.record(audit.Action.DATA_CHANGED, user=user, unit=unit, target=f"名册比对 {term.label}",
                 detail={"detection": run.pk})
    return run


@task()
def run_detection_task(run_id: int) -> str:
    run = DetectionRun.objects.filter(pk=run_id, status=DetectionRun.Status.PENDING).first()
    if run is None:
        return "已处理"
    try:
        detect(run.term, user=run.user, run=run)
    except Exception:
        DetectionRun.objects.filter(pk=run.pk).update(status=DetectionRun.Status.FAILED, finished_at=timezone.now(),
                                                      message="比对时发生系统错误，请联系运维人员")
        raise
    return "完成"


DETECTION_STEPS = ("找出本学期不在原县区名册的学生", "查找他们在平台其他县区的名册", "记录平台内转学",
                   "结案已返校或已转学的个案", "生成疑似辍学个案")


def detect(term_text: str, *, user=None, run: DetectionRun | None = None) -> DetectionResult:
    """Compare the rosters of T−1 and T over the whole platform (transfers cross every boundary).

    A child on a county's T−1 roster and on no roster of T — unless grade 9 in spring, who has
    graduated — becomes a 疑似辍学 case of that county; found on another county's T roster, a
    transfer. A county without a T roster yields no cases (it is listed as 名册未上报). Running
    again adds only what is new, closes open cases whose child has turned up, and keeps the
    follow-up of every other case. `run`, when given, shows each step as it starts.
    """
    started = time.perf_counter()
    term = parse_term(term_text)

    def step(n: int) -> None:
        if run is not None:
            DetectionRun.objects.filter(pk=run.pk).update(
                status=DetectionRun.Status.RUNNING, progress=100 * n // len(DETECTION_STEPS),
                step=DETECTION_STEPS[n])

    step(0)
    with transaction.atomic():
        partitions.term_lock(term.previous)
        partitions.term_lock(term)
        _fresh_statistics(term)
        _enough_memory()
        sql = _DetectionSql(term)
        try:
            sql.find_leavers()
            step(1)
            sql.find_where_they_are()
            step(2)
            transfers = sql.record_transfers()
            step(3)
            closed = _close_found_cases(term, sql.found_open_cases())
            step(4)
            opened = sql.open_cases()
        finally:
            sql.drop()
    missing = missing_rosters(Scope.system(), term)
    seconds = time.perf_counter() - started
    values = dict(term=term.code, user=user, cases_opened=opened, cases_closed=closed, transfers=transfers,
                  missing_units=[u.code for u in missing], seconds=seconds, status=DetectionRun.Status.DONE,
                  progress=100, step="", finished_at=timezone.now(),
                  message=f"新增疑似辍学 {opened} 人，因已在册而结案 {closed} 人，平台内转学 {transfers} 人"
                          + (f"；{len(missing)} 个县区名册未上报" if missing else ""))
    if run is None:
        DetectionRun.objects.create(**values)
    else:
        DetectionRun.objects.filter(pk=run.pk).update(**values)
    return DetectionResult(term, opened, closed, transfers, missing, seconds)


def _enough_memory() -> None:
    """The anti-join hashes the term's (child, county) pairs: ~70 MB for a million children. With the
    default 4 MB PostgreSQL splits the hash into batches written to disk and read back."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL work_mem = '256MB'")


def _fresh_statistics(term: Term) -> None:
    """A roster just imported changes the tables more than the planner knows; without fresh
    statistics PostgreSQL picks nested loops over a million rows. Autovacuum would analyse
    soon; detection often runs right after an import, so it does what autovacuum would — on
    the two terms' partitions only (analysing the partitioned table would sample every term)."""
    if connection.vendor != "postgresql":
        return
    tables = [Roster._meta.db_table, partitions.partition_name(term), partitions.partition_name(term.previous)]
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute("SELECT n_mod_since_analyze, n_live_tup FROM pg_stat_user_tables WHERE relname = %s",
                           [table])
            row = cursor.fetchone()
            if row is not None and row[0] > 0.1 * row[1]:
                cursor.execute(f"ANALYZE {connection.ops.quote_name(table)}")


class _DetectionSql:
    """The few set operations of detection, each one statement over the whole term.

    `leavers`: children of T−1 (not graduating) absent from their own county's T roster — one
    anti-join. `found`: where those (and children of open cases) are on T's rosters — one scan
    of T probing a small table. Everything after works on these small tables.
    """

    def __init__(self, term: Term):
        q = connection.ops.quote_name
        self.term = term
        self.entry, self.roster = q(RosterEntry._meta.db_table), q(Roster._meta.db_table)
        self.case, self.event = q(DropoutCase._meta.db_table), q(CaseEvent._meta.db_table)
        self.transfer = q(Transfer._meta.db_table)
        self.cursor = connection.cursor()
        self.highest_grade = LAST_GRADE - 1 if term.graduates_leave_before else LAST_GRADE

    def run(self, sql: str, params=()) -> int:
        self.cursor.execute(sql, params)
        return self.cursor.rowcount

    def temp_index(self, table: str, columns: str) -> None:
        self.run(f"CREATE INDEX {table}_index ON {table} ({columns})")
        if connection.vendor == "postgresql":
            # Autovacuum never analyses temporary tables, and without statistics the planner
            # joins them by nested loops (seconds instead of milliseconds). A small sample will do.
            self.run("SET LOCAL default_statistics_target = 10")
            self.run(f"ANALYZE {table}")

    def current(self, alias: str) -> str:
        return f"{alias}.term = %s AND {alias}.status = 'current'"

    def find_leavers(self) -> None:
        if connection.vendor == "postgresql":
            # The planner turns NOT EXISTS into one hash anti-join over T.
            absent = (f"NOT EXISTS (SELECT 1 FROM {self.entry} c JOIN {self.roster} cr ON cr.id = c.roster_id "
                      f"WHERE c.term = %s AND {self.current('cr')} AND cr.unit_id = pr.unit_id "
                      f"AND c.id_hash = p.id_hash)")
            params = [self.term.previous.code, self.term.previous.code, self.highest_grade, self.term.code,
                      self.term.code]
        else:
            # SQLite has no hash join: T's (child, county) pairs go into an indexed temporary table first.
            self.run(f"CREATE TEMP TABLE rosters_now AS SELECT c.id_hash AS id_hash, cr.unit_id AS unit_id "
                     f"FROM {self.entry} c JOIN {self.roster} cr ON cr.id = c.roster_id "
                     f"WHERE c.term = %s AND {self.current('cr')}", [self.term.code, self.term.code])
            self.temp_index("rosters_now", "id_hash, unit_id")
            absent = ("NOT EXISTS (SELECT 1 FROM rosters_now c WHERE c.id_hash = p.id_hash "
                      "AND c.unit_id = pr.unit_id)")
            params = [self.term.previous.code, self.term.previous.code, self.highest_grade]
        self.run(f"CREATE TEMP TABLE rosters_leavers AS "
                 f"SELECT p.id_hash AS id_hash, pr.unit_id AS unit_id, p.id_masked AS id_masked, p.name AS name, "
                 f"p.sex AS sex, p.birth_date AS birth_date, p.school AS school, p.school_type AS school_type, "
                 f"p.grade AS grade FROM {self.entry} p JOIN {self.roster} pr ON pr.id = p.roster_id "
                 f"WHERE p.term = %s AND {self.current('pr')} AND p.grade <= %s AND {absent}", params)
        self.temp_index("rosters_leavers", "id_hash")

    def find_where_they_are(self) -> None:
        self.run(f"CREATE TEMP TABLE rosters_probe AS SELECT id_hash FROM rosters_leavers UNION "
                 f"SELECT id_hash FROM {self.case} WHERE term = %s AND status IN (%s, %s)",
                 [self.term.code, *OPEN_STATUSES])
        self.temp_index("rosters_probe", "id_hash")
        self.run(f"CREATE TEMP TABLE rosters_found AS "
                 f"SELECT c.id_hash AS id_hash, cr.unit_id AS unit_id, MIN(c.school) AS school, "
                 f"MIN(c.grade) AS grade FROM {self.entry} c JOIN {self.roster} cr ON cr.id = c.roster_id "
                 f"JOIN rosters_probe q ON q.id_hash = c.id_hash WHERE c.term = %s AND {self.current('cr')} "
                 f"GROUP BY c.id_hash, cr.unit_id", [self.term.code, self.term.code])
        self.temp_index("rosters_found", "id_hash, unit_id")

    def record_transfers(self) -> int:
        """Transfers hold no follow-up, so they are simply recomputed."""
        self.run(f"DELETE FROM {self.transfer} WHERE term = %s", [self.term.code])
        return self.run(
            f"INSERT INTO {self.transfer} (term, id_hash, id_masked, name, from_unit_id, from_school, from_grade, "
            f"to_unit_id, to_school, to_grade, detected_at) "
            f"SELECT %s, l.id_hash, l.id_masked, l.name, l.unit_id, l.school, l.grade, f.unit_id, f.school, f.grade, %s "
            f"FROM rosters_leavers l JOIN rosters_found f ON f.id_hash = l.id_hash "
            # One row per child: the lowest county code on either side when a roster lists a child twice.
            f"WHERE NOT EXISTS (SELECT 1 FROM rosters_leavers l2 WHERE l2.id_hash = l.id_hash "
            f"AND l2.unit_id < l.unit_id) "
            f"AND NOT EXISTS (SELECT 1 FROM rosters_found f2 WHERE f2.id_hash = f.id_hash AND f2.unit_id < f.unit_id)",
            [self.term.code, timezone.now()])

    def found_open_cases(self) -> list[tuple[int, int, int]]:
        """(case id, case county, county where found) for open cases whose child is on a T roster."""
        self.cursor.execute(
            f"SELECT k.id, k.unit_id, f.unit_id FROM {self.case} k JOIN rosters_found f ON f.id_hash = k.id_hash "
            f"WHERE k.term = %s AND k.status IN (%s, %s) ORDER BY k.id, f.unit_id",
            [self.term.code, *OPEN_STATUSES])
        return self.cursor.fetchall()

    def open_cases(self) -> int:
        now = timezone.now()
        opened = self.run(
            f"INSERT INTO {self.case} (term, id_hash, id_masked, name, sex, birth_date, unit_id, school, school_type, "
            f"grade, status, opened_at, updated_at) "
            f"SELECT %s, l.id_hash, l.id_masked, l.name, l.sex, l.birth_date, l.unit_id, l.school, l.school_type, "
            f"l.grade, %s, %s, %s FROM rosters_leavers l "
            f"WHERE l.unit_id IN (SELECT r.unit_id FROM {self.roster} r WHERE {self.current('r')}) "
            f"AND NOT EXISTS (SELECT 1 FROM rosters_found f WHERE f.id_hash = l.id_hash) "
            f"AND NOT EXISTS (SELECT 1 FROM rosters_leavers l2 WHERE l2.id_hash = l.id_hash "
            f"AND l2.unit_id < l.unit_id) "
            # A child with a case of this term already (open or closed) keeps it. Not NOT EXISTS over the
            # cases: planned while the table is empty, that rescans it for every row it grows by (quadratic).
            f"ON CONFLICT (term, id_hash) DO NOTHING",
            [self.term.code, CaseStatus.CHECKING, now, now, self.term.code])
        return max(opened, 0)

    def drop(self) -> None:
        try:
            for table in ("rosters_now", "rosters_leavers", "rosters_probe", "rosters_found"):
                self.run(f"DROP TABLE IF EXISTS {table}")
        except DatabaseError:
            pass  # the transaction failed and took its temporary tables with it
        finally:
            self.cursor.close()


def _close_found_cases(term: Term, found: list[tuple[int, int, int]]) -> int:
    """Open cases whose child is on a T roster after all: back at school here, or moved within the platform."""
    where: dict[int, tuple[int, int]] = {}
    for case_id, case_unit, found_unit in found:
        if case_id not in where or found_unit == case_unit:
            where[case_id] = (case_unit, found_unit)
    if not where:
        return 0
    units = {u.pk: u for u in Division.objects.filter(pk__in={f for _, f in where.values()})}
    now = timezone.now()
    events = []
    for case in DropoutCase.objects.filter(pk__in=where).select_for_update():
        case_unit, found_unit = where[case.pk]
        old = case.status
        if found_unit == case_unit:
            case.status, note = CaseStatus.RETURNED, SYSTEM_NOTE_RETURNED.format(term=term.label)
        else:
            case.status, case.new_unit_id = CaseStatus.TRANSFERRED, found_unit
            note = SYSTEM_NOTE_TRANSFERRED.format(unit=units[found_unit].name, term=term.label)
        case.closed_at = now
        case.save(update_fields=["status", "new_unit", "closed_at", "updated_at"])
        events.append(CaseEvent(case=case, from_status=old, to_status=case.status, note=note))
    CaseEvent.objects.bulk_create(events)
    return len(events)

