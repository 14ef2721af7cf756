"""Writes of the rosters app: importing rosters, detecting dropouts, following cases up, recording exports.

Every function takes the acting scope (and user), checks what it may do, and raises a
RosterError whose message is shown to the user as it is. Views, the CLI and the worker
all call these.

Imports run as jobs. The page and the API call `start_import`: it seals the upload (no plain
身份证号 at rest) and queues a background task (django-tasks; `suiqian worker` runs it), whose
progress the page polls. Detection from the page is a task too. The CLI works its file itself.
An import writes its rows under staging rosters, committed batch by batch (so progress is
visible and memory stays flat), and makes them current in one short transaction at the end.
"""

from __future__ import annotations

import csv
import datetime as dt
import logging
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl
from django.conf import settings
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.utils import timezone
from django_tasks import task

from suiqian.accounts import audit
from suiqian.accounts.models import Role
from suiqian.accounts.scope import Scope
from suiqian.divisions.models import Division
from suiqian.lib.tabular import neutralize

from . import identity, partitions, sealed
from .checks import REASON_SEPARATOR, SeenKeys, UnitTable, check_batch
from .models import (OPEN_STATUSES, CaseEvent, CaseStatus, DetectionRun, DropoutCase, ImportJob,
                     PersonalDataExport, Roster, RosterEntry, Transfer)
from .queries import missing_rosters
from .reading import Meter, RosterFileError, file_kind, kind_of, read_batches
from .terms import LAST_GRADE, Term, TermError
from .writing import entry_frame, writer_for_connection

logger = logging.getLogger(__name__)

MAX_UPLOAD_BYTES = 200 * 1024 * 1024
STALE_JOB_AFTER = dt.timedelta(minutes=10)
UNCONFIRMED_TTL = dt.timedelta(days=1)
BAD_ROWS_SAMPLE = 100
# Sealed uploads waiting for their import; never in a backup (settings.BACKUP_EXCLUDED_MEDIA).
UPLOAD_DIR = "rosters/uploads"
BAD_ROWS_DIR = "rosters/bad-rows"


class RosterError(Exception):
    """A domain error whose message is shown to the user as it is."""


class NotAllowed(RosterError):
    pass


def parse_term(text) -> Term:
    try:
        return Term.parse(text)
    except TermError as e:
        raise RosterError(str(e)) from e


# --- who may do what ---------------------------------------------------------------------

def may_import(scope: Scope, unit: Division | None) -> bool:
    """The unit's own 填报员 import its roster (a city's may import a file covering its counties)."""
    return scope.is_system or (unit is not None and scope.may_fill(unit))


def may_follow_up(scope: Scope, case: DropoutCase) -> bool:
    """Cases are verified by the county where the child was last seen."""
    return scope.is_system or scope.may_fill(case.unit)


def may_export_personal(scope: Scope, unit: Division) -> bool:
    """Lists with children's names leave the platform only through staff who work with them."""
    return scope.sees(unit) and (scope.is_system or scope.has_role(Role.FILLER) or scope.has_role(Role.ADMIN))


# --- import: jobs --------------------------------------------------------------------------

def _media_path(relative: str) -> Path:
    return Path(settings.MEDIA_ROOT) / relative


def start_import(scope: Scope, user, unit: Division, term_text: str, on_error: str, upload, *,
                 source: str = "page") -> ImportJob:
    """Seal an uploaded roster and queue its import as a background task: the one entry point of
    the page and the API. The upload is streamed to disk sealed (see `sealed`), never read whole,
    and removed when the import ends, however it ends."""
    term = parse_term(term_text)
    if not may_import(scope, unit):
        raise NotAllowed("只有本单位的填报员可以导入名册")
    if upload is None:
        raise RosterError("请选择要上传的名册文件")
    if upload.size > MAX_UPLOAD_BYTES:
        raise RosterError("文件超过 200 MB：请按县区拆分后分别上传，或由运维人员用命令行导入")
    if on_error not in ImportJob.OnError.values:
        raise RosterError("请选择错误行的处理方式")
    recover_interrupted_imports()
    job = ImportJob.objects.create(term=term.code, unit=unit, user=user, source=source,
                                   filename=(upload.name or "名册")[:255], on_error=on_error)
    relative = f"{UPLOAD_DIR}/job-{job.pk}.sealed"
    head = bytearray()

    def chunks():
        for chunk in upload.chunks():
            if len(head) < 8:
                head.extend(chunk[:8])
            yield chunk

    job.plain_bytes = sealed.seal_chunks(chunks(), _media_path(relative))
    job.upload, job.kind = relative, kind_of(bytes(head))
    job.save(update_fields=["upload", "kind", "plain_bytes"])
    _enqueue_import(job)
    return job


def _enqueue_import(job: ImportJob) -> None:
    result = run_import_task.enqueue(job.pk)
    ImportJob.objects.filter(pk=job.pk).update(task_id=str(result.id))
    job.task_id = str(result.id)


@task()
def run_import_task(job_id: int) -> str:
    """The background task of a page or API import."""
    recover_interrupted_imports()
    job = ImportJob.objects.select_related("unit", "user").filter(pk=job_id).first()
    if job is None or job.status != ImportJob.Status.PENDING:
        return "已处理"  # cancelled, recovered, or run by another worker already
    work_job(job)
    return job.get_status_display()


def confirm_import(scope: Scope, user, job: ImportJob) -> ImportJob:
    """The uploader has seen which other units' rosters the file replaces, and goes ahead."""
    if not may_import(scope, job.unit) or (job.user_id and job.user_id != user.pk and not scope.is_system):
        raise NotAllowed("只有上传该文件的用户可以确认导入")
    if job.status != ImportJob.Status.CONFIRM:
        raise RosterError("该导入不在等待确认状态")
    updated = ImportJob.objects.filter(pk=job.pk, status=ImportJob.Status.CONFIRM).update(
        status=ImportJob.Status.PENDING, confirmed=True)
    if not updated:
        raise RosterError("该导入不在等待确认状态")
    job.refresh_from_db()
    _enqueue_import(job)
    audit.record(audit.Action.DATA_CHANGED, user=user, unit=job.unit, target=f"学籍名册 {job.term_label}",
                 detail={"job": job.pk, "replaces": [code for code, _ in job.replaces]})
    return job


def cancel_import(scope: Scope, user, job: ImportJob) -> ImportJob:
    if not may_import(scope, job.unit):
        raise NotAllowed("只有本单位的填报员可以取消导入")
    if job.status not in (ImportJob.Status.CONFIRM, ImportJob.Status.PENDING):
        raise RosterError("导入已开始或已结束，不能取消")
    ImportJob.objects.filter(pk=job.pk, status=job.status).update(
        status=ImportJob.Status.CANCELLED, message="已取消，未导入任何数据", finished_at=timezone.now())
    _remove_upload(job)
    job.refresh_from_db()
    return job


def import_file(scope: Scope, user, path: Path, term_text: str, *, unit: Division | None = None,
                on_error: str = ImportJob.OnError.STOP, progress: Callable[[ImportJob], None] | None = None
                ) -> ImportJob:
    """Import a file from disk at once (the CLI): a job row records it like a page import."""
    term = parse_term(term_text)
    if unit is None and not scope.is_system:
        unit = scope.unit
    if not may_import(scope, unit):
        raise NotAllowed("只有本单位的填报员可以导入名册")
    job = ImportJob.objects.create(term=term.code, unit=unit, user=user, source="cli", filename=path.name[:255],
                                   on_error=on_error, confirmed=True, kind=file_kind(path),
                                   plain_bytes=path.stat().st_size)
    return work_job(job, path=path, progress=progress)


def work_job(job: ImportJob, *, path: Path | None = None, progress: Callable[[ImportJob], None] | None = None
             ) -> ImportJob:
    """Do one import job. The sealed upload is removed afterwards, whatever happened — unless the job
    stops to ask the uploader to confirm replacing other units' rosters."""
    scope = Scope.of(job.user) if job.user_id else Scope.system()
    if path is None:
        source, opener = _media_path(job.upload), (lambda: sealed.open_plain(_media_path(job.upload)))
    else:
        source, opener = path, None
    try:
        if not job.confirmed and _asks_confirmation(job, scope, source, opener):
            return job
        _Import(job, scope, source, opener, progress).run()
    finally:
        if path is None and job.status != ImportJob.Status.CONFIRM:
            _remove_upload(job)
    return job


def _asks_confirmation(job: ImportJob, scope: Scope, source: Path, opener) -> bool:
    """Whether the file would replace the current rosters of units other than the uploader's own;
    if so the job waits (its upload still sealed) with their names, for the uploader to confirm."""
    if job.unit is not None and job.unit.level == Division.Level.COUNTY:
        return False  # a county's file writes only the county's own roster
    codes: set[str] = set()
    try:
        for batch in read_batches(source, opener):
            codes.update(c for c in batch["unit_code"].unique().to_list() if c)
    except RosterFileError:
        return False  # the import itself reports it
    others = (Roster.objects.filter(term=job.term, status=Roster.Status.CURRENT, unit__code__in=codes)
              .exclude(unit=job.unit).select_related("unit").order_by("unit__code"))
    replaces = [[r.unit.code, r.unit.name] for r in others if scope.sees(r.unit)]
    if not replaces:
        return False
    job.status, job.replaces = ImportJob.Status.CONFIRM, replaces
    job.save(update_fields=["status", "replaces"])
    return True


def _remove_upload(job: ImportJob) -> None:
    if job.upload:
        _media_path(job.upload).unlink(missing_ok=True)


def recover_interrupted_imports(now: dt.datetime | None = None) -> int:
    """Imports whose worker died lose their staging rows and their sealed upload, and say so;
    uploads left waiting for a confirmation that never came expire; a sealed file without a
    waiting job (its job row gone with a crash) is removed. Run before every import."""
    now = now or timezone.now()
    stale = list(ImportJob.objects.filter(status=ImportJob.Status.RUNNING, heartbeat_at__lt=now - STALE_JOB_AFTER))
    for job in stale:
        _discard_staging(job)
        _end_job(job, ImportJob.Status.FAILED, "导入进程意外中断，未导入任何数据，请重新上传", now)
    for job in ImportJob.objects.filter(status=ImportJob.Status.CONFIRM, created_at__lt=now - UNCONFIRMED_TTL):
        _end_job(job, ImportJob.Status.CANCELLED, "上传后一天内未确认，已取消，未导入任何数据", now)
    # Never started within a day: no worker ran, or one died before the import began.
    for job in ImportJob.objects.filter(status=ImportJob.Status.PENDING, created_at__lt=now - UNCONFIRMED_TTL):
        _end_job(job, ImportJob.Status.FAILED, "一天内未能开始导入（后台任务进程未运行？），未导入任何数据，请重新上传", now)
    waiting = {Path(u).name for u in ImportJob.objects.filter(
        status__in=(ImportJob.Status.PENDING, ImportJob.Status.CONFIRM, ImportJob.Status.RUNNING)
    ).values_list("upload", flat=True)}
    directory = _media_path(UPLOAD_DIR)
    if directory.is_dir():
        for path in directory.iterdir():
            if path.name not in waiting and path.stat().st_mtime < (now - STALE_JOB_AFTER).timestamp():
                path.unlink(missing_ok=True)
    return len(stale)


def _end_job(job: ImportJob, status: str, message: str, now: dt.datetime) -> None:
    job.status, job.message, job.finished_at = status, message, now
    job.save(update_fields=["status", "message", "finished_at"])
    _remove_upload(job)


# --- import: the pipeline ------------------------------------------------------------------

def unit_table(scope: Scope, term: Term, within: Division | None) -> UnitTable:
    """Every county-level unit of the term's year, and why this importer may not import for it."""
    rows = []
    for unit in Division.objects.filter(level=Division.Level.COUNTY).existing_in(term.year).order_by("valid_to"):
        if not scope.sees(unit):
            denied = "县区代码不在您的权限范围内"
        elif within is not None and not unit.path.startswith(within.path):
            denied = f"县区代码不属于{within.name}"
        else:
            denied = None
        rows.append((unit.code, unit.pk, denied))
    # A code reused after a merger: the unit of that year comes first (current ones sort last).
    unique = {}
    for code, pk, denied in rows:
        unique.setdefault(code, (code, pk, denied))
    return UnitTable.of(list(unique.values()))


@dataclass
class _BadRows:
    """Bad rows as the importer gets them back: row number, masked number, name, county, reasons."""

    path: Path
    count: int = 0
    sample: list = field(default_factory=list)
    reasons: dict = field(default_factory=dict)  # each kind of error → rows with it
    _file: object = None

    HEADER = ("行号", "身份证号（已隐去部分）", "姓名", "县区代码", "错误原因")

    def add(self, bad: pl.DataFrame) -> None:
        if bad.is_empty():
            return
        if self._file is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._file = open(self.path, "w", encoding="utf-8-sig", newline="")
            self._writer = csv.writer(self._file)
            self._writer.writerow(self.HEADER)
        rows = bad.select("row", identity.mask_expr("id_number").fill_null(""), pl.col("name").fill_null(""),
                          pl.col("unit_code").fill_null(""), "reason").rows()
        self._writer.writerows([[neutralize(v) for v in row] for row in rows])
        self.count += len(rows)
        # A row's reasons are joined by "；"; "与第 N 行重复" names a row, so it is counted as one kind.
        kinds = (bad.select(pl.col("reason").str.split(REASON_SEPARATOR).alias("kind")).explode("kind")
                 .with_columns(pl.col("kind").str.replace(r"^身份证号与第 \d+ 行重复$", "身份证号与前面的行重复"))
                 .group_by("kind").len())
        for kind, n in kinds.iter_rows():
            if kind:
                self.reasons[kind] = self.reasons.get(kind, 0) + n
        room = BAD_ROWS_SAMPLE - len(self.sample)
        if room > 0:
            self.sample.extend([row, masked, reason] for row, masked, _, _, reason in rows[:room])

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


class _Import:
    def __init__(self, job: ImportJob, scope: Scope, path: Path, opener, progress):
        self.job = job
        self.scope = scope
        self.path = path
        self.opener = opener
        self.meter = Meter()
        self.meter.total = job.plain_bytes
        self.progress = progress
        self.term = Term.parse(job.term)
        self.stop_on_error = job.on_error == ImportJob.OnError.STOP
        self.seen = SeenKeys()
        self.rosters: dict[int, Roster] = {}  # unit id → staging roster
        self.roster_ids: dict[int, int] = {}
        self.roster_rows: dict[int, int] = {}
        self.bad = _BadRows(_media_path(f"{BAD_ROWS_DIR}/job-{job.pk}.csv"))
        self.writer = writer_for_connection()
        self._batch = None  # the transaction of the batch being written

    # -- the run --
    def run(self) -> None:
        job = self.job
        job.status, job.started_at, job.heartbeat_at = ImportJob.Status.RUNNING, timezone.now(), timezone.now()
        job.save(update_fields=["status", "started_at", "heartbeat_at"])
        try:
            if not may_import(self.scope, job.unit):
                raise NotAllowed("只有本单位的填报员可以导入名册")
            self.units = unit_table(self.scope, self.term, job.unit)
            self._stream()
            self._finish()
        except (RosterError, RosterFileError) as e:
            self._roll_back_batch(e)
            self._fail(str(e))
        except Exception as e:
            logger.exception("roster import job %s failed", job.pk)
            self._roll_back_batch(e)
            self._fail("导入时发生系统错误，未导入任何数据。请联系运维人员。")
            raise
        finally:
            self.bad.close()

    def _stream(self) -> None:
        """Read, check and prepare batch k+1 while the database stores batch k."""
        self._open_rosters()
        in_flight = None
        for batch in read_batches(self.path, self.opener, self.meter):
            prepared = self._prepare(self._check(batch))
            if in_flight is not None:
                self._complete(in_flight)
            in_flight = self._send(prepared)
        if in_flight is not None:
            self._complete(in_flight)

    def _open_rosters(self) -> None:
        """A staging roster for every county this import may write, made before the first COPY
        (the connection is busy during one); those left without rows are dropped at the end."""
        try:
            partitions.ensure_partition(self.term)
        except partitions.PartitionError as e:
            raise RosterError(str(e)) from e
        allowed = self.units.frame.filter(pl.col("denied").is_null())["unit_id"].to_list()
        rosters = Roster.objects.bulk_create(
            [Roster(term=self.term.code, unit_id=unit_id, job=self.job) for unit_id in allowed])
        self.rosters = {r.unit_id: r for r in rosters}
        self.roster_ids = {r.unit_id: r.pk for r in rosters}

    def _check(self, batch: pl.DataFrame) -> pl.DataFrame | None:
        job = self.job
        checked = check_batch(batch, self.units, self.seen)
        self.bad.add(checked.bad)
        job.rows_read += batch.height
        job.rows_checked += batch.height
        job.rows_bad = self.bad.count
        if self.bad.count and self.stop_on_error:
            return None  # nothing more is written; what was staged is discarded at the end
        return checked.good.with_columns(id_masked=identity.mask_expr("id_number"))

    def _prepare(self, good: pl.DataFrame | None):
        """The batch as the writer sends it (CSV bytes for COPY), and its row count."""
        if good is None or good.is_empty():
            return None
        good = good.with_columns(roster_id=pl.col("unit_id").replace_strict(self.roster_ids, default=None))
        for unit_id, n in good.group_by("unit_id").len().iter_rows():
            self.roster_rows[unit_id] = self.roster_rows.get(unit_id, 0) + n
        return self.writer.prepare(entry_frame(good, self.term.code)), good.height

    def _send(self, prepared) -> int:
        """Start storing a batch. Each batch is its own transaction (a savepoint inside a caller's),
        opened here and closed by `_complete`, so that a failure rolls back exactly the batch in flight."""
        if prepared is None:
            return 0
        payload, rows = prepared
        self._batch = transaction.atomic()
        self._batch.__enter__()
        self.writer.start(payload)
        return rows

    def _complete(self, written: int) -> None:
        job = self.job
        self.writer.finish()
        job.rows_written += written
        job.heartbeat_at = timezone.now()
        job.progress = self.meter.percent
        job.bad_reasons = self.bad.reasons
        job.save(update_fields=["rows_read", "rows_checked", "rows_written", "rows_bad", "heartbeat_at",
                                "progress", "bad_reasons"])
        if self._batch is not None:
            batch, self._batch = self._batch, None
            batch.__exit__(None, None, None)
        if self.progress:
            self.progress(job)

    def _roll_back_batch(self, error: BaseException) -> None:
        abort = getattr(self.writer, "abort", None)
        if abort:
            try:
                abort(error)
            except Exception:  # noqa: BLE001 — the import has failed already; keep its own message
                logger.warning("aborting COPY failed", exc_info=True)
        if self._batch is not None:
            batch, self._batch = self._batch, None
            batch.__exit__(type(error), error, error.__traceback__)

    def _finish(self) -> None:
        job = self.job
        if self.bad.count and self.stop_on_error:
            _discard_staging(job)
            raise RosterError(f"发现 {self.bad.count} 行有错误。按“有错误行则整份不导入”的选择，未导入任何数据；"
                              f"请下载错误行清单，改正后重新上传。")
        written = {unit_id: roster for unit_id, roster in self.rosters.items() if self.roster_rows.get(unit_id)}
        county_file = job.unit is not None and job.unit.level == Division.Level.COUNTY
        if not written and self.bad.count:
            raise RosterError(f"全部 {self.bad.count} 行都有错误，未导入任何数据")
        if not written and not county_file:
            raise RosterError("文件中没有学生记录")
        if county_file:
            # A county's file with no children: the county has reported an empty roster.
            written.setdefault(job.unit.pk, self.rosters[job.unit.pk])
        Roster.objects.filter(job=job, status=Roster.Status.STAGING).exclude(
            pk__in=[r.pk for r in written.values()]).delete()
        replaced = activate(job, written, self.roster_rows)
        job.status = ImportJob.Status.DONE
        job.units = sorted(replaced)
        job.finished_at = timezone.now()
        skipped = f"，跳过 {self.bad.count} 行错误行" if self.bad.count else ""
        job.message = f"已导入 {job.rows_written} 名学生（{len(replaced)} 个县区的 {self.term.label}名册已更新）{skipped}"
        self._save_result()
        audit.record(audit.Action.IMPORT, user=job.user, unit=job.unit, target=f"学籍名册 {self.term.label}",
                     detail={"job": job.pk, "rows": job.rows_written, "bad_rows": self.bad.count,
                             "units": job.units})

    def _fail(self, message: str) -> None:
        _discard_staging(self.job)
        job = self.job
        job.status = ImportJob.Status.FAILED
        job.rows_written = 0
        job.finished_at = timezone.now()
        job.message = message
        self._save_result()

    def _save_result(self) -> None:
        job = self.job
        self.bad.close()
        job.rows_bad = self.bad.count
        job.bad_rows_sample = self.bad.sample
        job.bad_reasons = self.bad.reasons
        job.progress = 100
        job.bad_rows_file = str(self.bad.path.relative_to(settings.MEDIA_ROOT)) if self.bad.count else ""
        job.save()


def _term_lock(term: Term) -> None:
    """Imports and detections of one term take turns (SQLite serialises writers anyway)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [zlib.crc32(f"rosters:{term.code}".encode())])


def activate(job: ImportJob, staged: dict[int, Roster], rows: dict[int, int]) -> list[str]:
    """Make the job's rosters current and delete the rows of those they replace, all at once."""
    term = Term.parse(job.term)
    with transaction.atomic():
        _term_lock(term)
        old = list(Roster.objects.select_for_update().filter(term=term.code, unit_id__in=staged,
                                                             status=Roster.Status.CURRENT))
        RosterEntry.objects.filter(term=term.code, roster_id__in=[r.pk for r in old]).delete()
        Roster.objects.filter(pk__in=[r.pk for r in old]).update(status=Roster.Status.REPLACED)
        now = timezone.now()
        for unit_id, roster in staged.items():
            roster.status, roster.rows, roster.activated_at = Roster.Status.CURRENT, rows.get(unit_id, 0), now
        try:
            Roster.objects.bulk_update(staged.values(), ["status", "rows", "activated_at"])
        except IntegrityError as e:
            raise RosterError("同一县区同一学期的名册正在由另一导入更新，请稍后重试") from e
    return list(Division.objects.filter(pk__in=staged).values_list("code", flat=True))


def _discard_staging(job: ImportJob) -> None:
    staging = list(Roster.objects.filter(job=job, status=Roster.Status.STAGING).values_list("pk", flat=True))
    if staging:
        RosterEntry.objects.filter(term=job.term, roster_id__in=staging).delete()
        Roster.objects.filter(pk__in=staging).delete()


# --- detection -----------------------------------------------------------------------------

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


def may_detect(scope: Scope, unit: Division) -> bool:
    """A county's or city's 填报员 starts a comparison from its page; it covers the whole platform
    because transfers cross every boundary, and it only adds what is new."""
    return scope.is_system or scope.may_fill(unit)


def start_detection(scope: Scope, user, unit: Division, term_text: str) -> DetectionRun:
    """Queue a comparison of `term` with the term before (the 开始比对 button). One already waiting
    or running for the term is returned instead of a second one."""
    term = parse_term(term_text)
    if not may_detect(scope, unit):
        raise NotAllowed("只有本单位的填报员可以开始比对")
    with transaction.atomic():
        _term_lock(term)
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
        _term_lock(term.previous)
        _term_lock(term)
        _fresh_statistics(term)
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
            f"AND NOT EXISTS (SELECT 1 FROM {self.case} k WHERE k.term = %s AND k.id_hash = l.id_hash) "
            f"AND NOT EXISTS (SELECT 1 FROM rosters_leavers l2 WHERE l2.id_hash = l.id_hash "
            f"AND l2.unit_id < l.unit_id)",
            [self.term.code, CaseStatus.CHECKING, now, now, self.term.code, self.term.code])
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


# --- cases ---------------------------------------------------------------------------------

# What a county may record after checking. Closed cases may be reopened (核查中) with a note.
MANUAL_TRANSITIONS = {
    CaseStatus.CHECKING: (CaseStatus.RETURNED, CaseStatus.TRANSFERRED_OUT, CaseStatus.PERSUADING, CaseStatus.OTHER),
    CaseStatus.PERSUADING: (CaseStatus.RETURNED, CaseStatus.TRANSFERRED_OUT, CaseStatus.OTHER),
    CaseStatus.RETURNED: (CaseStatus.CHECKING,),
    CaseStatus.TRANSFERRED_OUT: (CaseStatus.CHECKING,),
    CaseStatus.OTHER: (CaseStatus.CHECKING,),
    CaseStatus.TRANSFERRED: (CaseStatus.CHECKING,),
}


def allowed_statuses(case: DropoutCase) -> list[tuple[str, str]]:
    return [(s.value, s.label) for s in MANUAL_TRANSITIONS[CaseStatus(case.status)]]


@transaction.atomic
def change_case_status(scope: Scope, user, case: DropoutCase, to_status: str, note: str,
                       happened_on: dt.date | None = None) -> DropoutCase:
    if not may_follow_up(scope, case):
        raise NotAllowed("只有学生最后在册县区的填报员可以记录核查情况")
    case = DropoutCase.objects.select_for_update().get(pk=case.pk)
    if to_status not in {s.value for s in MANUAL_TRANSITIONS[CaseStatus(case.status)]}:
        raise RosterError(f"个案当前为“{case.get_status_display()}”，不能改为所选状态")
    note = (note or "").strip()
    if not note:
        raise RosterError("请填写核查情况说明")
    if happened_on and happened_on > timezone.localdate():
        raise RosterError("日期不能晚于今天")
    old = case.status
    case.status = to_status
    case.closed_at = None if to_status in OPEN_STATUSES else timezone.now()
    if to_status == CaseStatus.CHECKING:
        case.new_unit = None
    case.save(update_fields=["status", "closed_at", "new_unit", "updated_at"])
    CaseEvent.objects.create(case=case, user=user, from_status=old, to_status=to_status, note=note[:2000],
                             happened_on=happened_on)
    audit.record(audit.Action.DATA_CHANGED, user=user, unit=case.unit, target=f"疑似辍学个案 {case.id_masked}",
                 detail={"case": case.pk, "from": old, "to": to_status})
    return case


# --- exports of personal data ----------------------------------------------------------------

def record_export(scope: Scope, user, unit: Division | None, term: Term, kind: str, rows: int,
                  via: str = "page") -> PersonalDataExport:
    """Check that the user may take children's personal data out of the platform, and record that they did."""
    if unit is not None and not may_export_personal(scope, unit):
        raise NotAllowed("您没有导出学生个人信息的权限")
    if unit is None and not scope.is_system:
        raise NotAllowed("您没有导出学生个人信息的权限")
    export = PersonalDataExport.objects.create(user=user, username=getattr(user, "username", "") or "",
                                               unit=unit, term=term.code, kind=kind, rows=rows, via=via)
    kinds = {"cases": "疑似辍学个案", "transfers": "平台内转学", "bad_rows": "名册错误行"}
    audit.record(audit.Action.EXPORT_PERSONAL, user=user, unit=unit, target=f"{kinds.get(kind, kind)} {term.label}",
                 detail={"rows": rows, "via": via, "export": export.pk})
    return export
