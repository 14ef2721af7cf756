"""Roster imports as jobs: the queue, the sealed upload, confirmation, cancelling and recovery.

The page and the API call `start_import`: it seals the upload (no plain 身份证号 at rest) and
queues a background task (django-tasks; `suiqian worker` runs it), whose progress the page
polls. The CLI calls `import_file`, which works its file at once. Either way one ImportJob row
records the import and `imports.run_import` does the work. Every function takes the acting
scope (and user) and checks what it may do.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

from django.utils import timezone
from django_tasks import task

from suiqian.accounts import audit
from suiqian.accounts.scope import Scope
from suiqian.divisions.models import Division

from . import sealed
from .duplicates import remove_key_directories
from .errors import NotAllowed, RosterError, parse_term
from .imports import discard_staging, media_path, run_import
from .models import ImportJob, Roster
from .reading import RosterFileError, file_kind, kind_of, read_batches

MAX_UPLOAD_BYTES = 200 * 1024 * 1024
# Multipart headers and the form's other fields around the file.
UPLOAD_ENVELOPE_BYTES = 1024 * 1024
TOO_BIG = "文件超过 200 MB：请按县区拆分后分别上传，或由运维人员用命令行导入"
STALE_JOB_AFTER = dt.timedelta(minutes=10)
UNCONFIRMED_TTL = dt.timedelta(days=1)
# Sealed uploads waiting for their import; never in a backup (settings.BACKUP_EXCLUDED_MEDIA).
UPLOAD_DIR = "rosters/uploads"


def refuse_oversized(content_length: int) -> None:
    """Refuse a request whose body cannot hold an upload within the limit, before anything reads it."""
    if content_length > MAX_UPLOAD_BYTES + UPLOAD_ENVELOPE_BYTES:
        raise RosterError(TOO_BIG)


def start_import(scope: Scope, user, unit: Division, term_text: str, on_error: str, upload, *,
                 source: str = "page") -> ImportJob:
    """Seal an uploaded roster and queue its import as a background task: the one entry point of
    the page and the API. The upload is streamed to disk sealed (see `sealed`), never read whole,
    and removed when the import ends, however it ends."""
    term = parse_term(term_text)
    if not scope.may_import(unit):
        raise NotAllowed("只有本单位的填报员可以导入名册")
    if upload is None:
        raise RosterError("请选择要上传的名册文件")
    if upload.size > MAX_UPLOAD_BYTES:
        raise RosterError(TOO_BIG)
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

    job.plain_bytes = sealed.seal_chunks(chunks(), media_path(relative))
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
    if not scope.may_import(job.unit) or (job.user_id and job.user_id != user.pk and not scope.is_system):
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
    if not scope.may_import(job.unit):
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
    if not scope.may_import(unit):
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
        source, opener = media_path(job.upload), (lambda: sealed.open_plain(media_path(job.upload)))
    else:
        source, opener = path, None
    try:
        if not job.confirmed and _asks_confirmation(job, scope, source, opener):
            return job
        run_import(job, scope, source, opener, progress)
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
        media_path(job.upload).unlink(missing_ok=True)


def recover_interrupted_imports(now: dt.datetime | None = None) -> int:
    """Imports whose worker died lose their staging rows, their sealed upload and the keys they spilled to the
    temp directory, and say so; uploads left waiting for a confirmation that never came expire; a sealed file
    without a waiting job (its job row gone with a crash) is removed. Run before every import."""
    now = now or timezone.now()
    stale = list(ImportJob.objects.filter(status=ImportJob.Status.RUNNING, heartbeat_at__lt=now - STALE_JOB_AFTER))
    for job in stale:
        discard_staging(job)
        remove_key_directories(job.pk)
        _end_job(job, ImportJob.Status.FAILED, "导入进程意外中断，未导入任何数据，请重新上传", now)
    for job in ImportJob.objects.filter(status=ImportJob.Status.CONFIRM, created_at__lt=now - UNCONFIRMED_TTL):
        _end_job(job, ImportJob.Status.CANCELLED, "上传后一天内未确认，已取消，未导入任何数据", now)
    # Never started within a day: no worker ran, or one died before the import began.
    for job in ImportJob.objects.filter(status=ImportJob.Status.PENDING, created_at__lt=now - UNCONFIRMED_TTL):
        _end_job(job, ImportJob.Status.FAILED, "一天内未能开始导入（后台任务进程未运行？），未导入任何数据，请重新上传", now)
    waiting = {Path(u).name for u in ImportJob.objects.filter(
        status__in=(ImportJob.Status.PENDING, ImportJob.Status.CONFIRM, ImportJob.Status.RUNNING)
    ).values_list("upload", flat=True)}
    directory = media_path(UPLOAD_DIR)
    if directory.is_dir():
        for path in directory.iterdir():
            if path.name not in waiting and path.stat().st_mtime < (now - STALE_JOB_AFTER).timestamp():
                path.unlink(missing_ok=True)
    return len(stale)


def _end_job(job: ImportJob, status: str, message: str, now: dt.datetime) -> None:
    job.status, job.message, job.finished_at = status, message, now
    job.save(update_fields=["status", "message", "finished_at"])
    _remove_upload(job)

