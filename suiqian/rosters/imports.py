"""The import pipeline: read a roster file in batches, check, hash and write them, then make the rosters current.

An import writes its rows under staging rosters, committed batch by batch (so progress is
visible and memory stays flat), and makes them current in one short transaction at the end:
replacing a roster is atomic and a failed import changes nothing. `jobs` queues and starts it.
"""

from __future__ import annotations

import logging
from pathlib import Path

import polars as pl
from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from suiqian.accounts import audit
from suiqian.accounts.scope import Scope
from suiqian.divisions.models import Division
from . import identity, partitions
from .badrows import BadRows
from .checks import UnitTable, check_batch
from .duplicates import DuplicateFinder
from .errors import NotAllowed, RosterError
from .models import ImportJob, Roster, RosterEntry
from .reading import Meter, RosterFileError, read_batches
from .terms import Term
from .writing import entry_frame, entry_id, row_of, writer_for_connection

logger = logging.getLogger(__name__)

BAD_ROWS_DIR = "rosters/bad-rows"


def media_path(relative: str) -> Path:
    return Path(settings.MEDIA_ROOT) / relative


def run_import(job: ImportJob, scope: Scope, path: Path, opener, progress) -> None:
    """Import the file of `job` (at `path`, or through `opener` when sealed), recording the outcome on the job."""
    _Import(job, scope, path, opener, progress).run()


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
        self.duplicates = DuplicateFinder(job.pk)
        self.rosters: dict[int, Roster] = {}  # unit id → staging roster
        self.roster_ids: dict[int, int] = {}
        self.roster_rows: dict[int, int] = {}
        self.bad = BadRows(media_path(f"{BAD_ROWS_DIR}/job-{job.pk}.csv"))
        self.table = (partitions.partition_name(self.term) if partitions.partitioned()
                      else RosterEntry._meta.db_table)
        self.writer = writer_for_connection(self.table)
        self._batch = None  # the transaction of the batch being written

    # -- the run --
    def run(self) -> None:
        job = self.job
        job.status, job.started_at, job.heartbeat_at = ImportJob.Status.RUNNING, timezone.now(), timezone.now()
        job.save(update_fields=["status", "started_at", "heartbeat_at"])
        try:
            if not self.scope.may_import(job.unit):
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
            self.duplicates.close()

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
        self.unit_codes = dict(self.units.frame.select("unit_id", "unit_code").iter_rows())
        self.rosters = {r.unit_id: r for r in rosters}
        self.roster_ids = {r.unit_id: r.pk for r in rosters}

    def _check(self, batch: pl.DataFrame) -> pl.DataFrame | None:
        job = self.job
        checked = check_batch(batch, self.units)
        self.bad.add(checked.bad)
        self.duplicates.add(checked.keys)
        job.rows_read += batch.height
        job.rows_checked += batch.height
        job.rows_bad = self.bad.count
        good = checked.good.with_columns(id_masked=identity.mask_expr("id_number"))
        if self.bad.count and self.stop_on_error:
            # Nothing more is written (what was staged is discarded at the end), but a number listed
            # twice is known only then, and the list of bad rows shows such a row's name and county.
            self.duplicates.set_aside(good.select("row", pl.col("id_masked").alias("masked"), "name",
                                                  pl.col("unit_id").replace_strict(self.unit_codes, default=None)
                                                  .alias("unit_code")))
            return None
        return good

    def _prepare(self, good: pl.DataFrame | None):
        """The batch as the writer sends it (CSV bytes for COPY), and its row count."""
        if good is None or good.is_empty():
            return None
        good = good.with_columns(roster_id=pl.col("unit_id").replace_strict(self.roster_ids, default=None))
        for unit_id, n in good.group_by("unit_id").len().iter_rows():
            self.roster_rows[unit_id] = self.roster_rows.get(unit_id, 0) + n
        return self.writer.prepare(entry_frame(good, self.term.code, self.job.pk)), good.height

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
        self._remove_duplicates()
        if self.bad.count and self.stop_on_error:
            discard_staging(job)
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

    def _remove_duplicates(self) -> None:
        """Rows whose number an earlier row has: listed as bad, and taken out of the staging rosters."""
        duplicates = self.duplicates.duplicates()
        if duplicates.is_empty():
            return
        ids = [entry_id(self.job.pk, row) for row in duplicates["row"].to_list()]
        table = connection.ops.quote_name(self.table)
        found = []
        with connection.cursor() as cursor:
            for start in range(0, len(ids), 10_000):
                chunk = ids[start:start + 10_000]
                marks = ", ".join(["%s"] * len(chunk))
                cursor.execute(f"SELECT id, id_masked, name, roster_id FROM {table} WHERE id IN ({marks})", chunk)
                found.extend(cursor.fetchall())
                cursor.execute(f"DELETE FROM {table} WHERE id IN ({marks})", chunk)
        unit_of = {roster_id: unit_id for unit_id, roster_id in self.roster_ids.items()}
        for _, _, _, roster_id in found:
            self.roster_rows[unit_of[roster_id]] -= 1
        self.job.rows_written -= len(found)
        written = pl.DataFrame([(row_of(i), masked, name, self.unit_codes[unit_of[roster_id]])
                                for i, masked, name, roster_id in found],
                               schema={"row": pl.Int64, "masked": pl.String, "name": pl.String,
                                       "unit_code": pl.String}, orient="row")
        written = pl.concat([written, self.duplicates.set_aside_rows(duplicates["row"].to_list())])
        self.bad.add_duplicates(duplicates, written)

    def _fail(self, message: str) -> None:
        discard_staging(self.job)
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


def activate(job: ImportJob, staged: dict[int, Roster], rows: dict[int, int]) -> list[str]:
    """Make the job's rosters current and delete the rows of those they replace, all at once."""
    term = Term.parse(job.term)
    with transaction.atomic():
        partitions.term_lock(term)
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


def discard_staging(job: ImportJob) -> None:
    staging = list(Roster.objects.filter(job=job, status=Roster.Status.STAGING).values_list("pk", flat=True))
    if staging:
        RosterEntry.objects.filter(term=job.term, roster_id__in=staging).delete()
        Roster.objects.filter(pk__in=staging).delete()

