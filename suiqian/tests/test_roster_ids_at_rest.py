"""No plain 身份证号 at rest: a roster upload is sealed while it waits, never in a backup, and gone
once its import ends — also when the worker is killed in the middle of it."""

import datetime as dt
import gzip
import io
import re
import signal
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.utils import timezone

from suiqian.accounts.scope import Scope
from suiqian.conftest import make_user
from suiqian.divisions.models import Division
from suiqian.ops import services as ops
from suiqian.rosters import jobs, sealed, synthetic
from suiqian.rosters.duplicates import key_directory_prefix
from suiqian.rosters.models import ImportJob, Roster, RosterEntry
from suiqian.rosters.terms import Term

TERM = "2021-fall"
EIGHTEEN_DIGITS = re.compile(rb"\d{17}[\dX]")


def roster_file(tmp_path: Path, rows: int) -> tuple[Path, set[bytes]]:
    gen = synthetic.Generator(7)
    path = tmp_path / "名册.csv"
    with open(path, "w", encoding="utf-8", newline="") as out:
        synthetic.write_rows(synthetic.fresh_rows(gen, Term.parse(TERM), rows), out, gen)
    ids = {line.split(b",", 1)[0] for line in path.read_bytes().splitlines()[1:]}
    return path, ids


def plain_ids_in(data: bytes, ids: set[bytes]) -> set[bytes]:
    return {m for m in EIGHTEEN_DIGITS.findall(data) if m in ids}


def plain_ids_under(root: Path, ids: set[bytes]) -> dict[str, int]:
    """Every file under `root`, unpacked where it is a gzip or tar archive, scanned for the IDs."""
    found = {}
    for path in (p for p in root.rglob("*") if p.is_file()):
        data = path.read_bytes()
        blobs = [data]
        if path.suffix == ".gz":
            blobs.append(gzip.decompress(data))
        if path.suffix == ".tar":
            with tarfile.open(fileobj=io.BytesIO(data)) as tar:
                blobs += [tar.extractfile(m).read() for m in tar.getmembers() if m.isfile()]
        hits = set().union(*(plain_ids_in(b, ids) for b in blobs))
        if hits:
            found[str(path.relative_to(root))] = len(hits)
    return found


def test_a_sealed_upload_reads_back_and_refuses_tampering(tmp_path, settings):
    data = bytes(range(256)) * 20_000  # 5 MB: several chunks
    path = tmp_path / "u.sealed"
    assert sealed.seal_chunks([data[:1000], data[1000:]], path) == len(data)
    assert data[:4096] not in path.read_bytes()
    with sealed.open_plain(path) as f:
        assert f.read() == data
    cut = tmp_path / "cut.sealed"
    cut.write_bytes(path.read_bytes()[: sealed.CHUNK + 100])
    with pytest.raises(sealed.SealError), sealed.open_plain(cut) as f:
        f.read()
    settings.ROSTER_ID_KEY = "another key"
    with pytest.raises(sealed.SealError), sealed.open_plain(path) as f:
        f.read()


@pytest.mark.django_db(transaction=True)
def test_a_waiting_upload_holds_no_plain_id_and_no_backup_holds_it(shanxi, tmp_path, settings):
    path, ids = roster_file(tmp_path, 2_000)
    user = make_user("140000", roles=["filler"], username="province-filler")
    job = jobs.start_import(Scope.of(user), user, Division.objects.get(code="140000"), TERM, "stop",
                                SimpleUploadedFile("名册.csv", path.read_bytes()))
    media = Path(settings.MEDIA_ROOT)
    assert jobs.media_path(job.upload).exists()
    assert plain_ids_under(media, ids) == {}

    result = ops.backup(tmp_path / "backup")
    assert plain_ids_under(tmp_path / "backup", ids) == {}
    assert not [f for f in result.manifest["media"]["files"] if f["path"].startswith(jobs.UPLOAD_DIR)]


@pytest.mark.django_db(transaction=True)
def test_a_killed_import_leaves_no_plain_id_and_recovery_removes_its_upload(shanxi, tmp_path, settings):
    path, ids = roster_file(tmp_path, 200_000)
    user = make_user("140000", roles=["filler"], username="province-filler")
    job = jobs.start_import(Scope.of(user), user, Division.objects.get(code="140000"), TERM, "stop",
                                SimpleUploadedFile("名册.csv", path.read_bytes()))
    worker = subprocess.Popen([sys.executable, "-m", "suiqian.cli", "worker", "--no-startup-delay", "-v0"],
                              env=worker_env(settings), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            job.refresh_from_db()
            if job.status == ImportJob.Status.RUNNING and job.rows_written > 0 or job.is_finished:
                break
            time.sleep(0.02)
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=30)
    finally:
        if worker.poll() is None:
            worker.kill()
    job.refresh_from_db()
    assert job.status == ImportJob.Status.RUNNING, (job.status, job.message, worker.stderr.read()[-2000:])
    assert RosterEntry.objects.exists()  # killed in the middle: staging rows were written

    media = Path(settings.MEDIA_ROOT)
    assert jobs.media_path(job.upload).exists()
    assert plain_ids_under(media, ids) == {}
    ops.backup(tmp_path / "backup")
    assert plain_ids_under(tmp_path / "backup", ids) == {}

    spilled = list(Path(tempfile.gettempdir()).glob(key_directory_prefix(job.pk) + "*"))
    assert spilled  # the dead import's keys (keyed hashes only) are still in the temp directory

    # The next import (or `suiqian roster recover`) finds the dead one once its heartbeat is stale.
    assert jobs.recover_interrupted_imports(timezone.now() + dt.timedelta(minutes=11)) == 1
    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED and "意外中断" in job.message
    assert not jobs.media_path(job.upload).exists()
    assert not any(path.exists() for path in spilled)
    assert not RosterEntry.objects.exists() and not Roster.objects.exists()


def worker_env(settings) -> dict:
    s = connection.settings_dict
    if connection.vendor == "sqlite":
        url = f"sqlite:///{s['NAME']}"
    else:
        url = f"postgres://{s['USER']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"
    return {"DATABASE_URL": url, "PATH": "/usr/bin:/bin", "PYTHONPATH": str(settings.BASE_DIR.parent),
            "SUIQIAN_VAR_DIR": str(settings.VAR_DIR), "SECRET_KEY": settings.SECRET_KEY,
            "MEDIA_ROOT": str(settings.MEDIA_ROOT)}
