"""Writing a backup: the configured database (native dump and portable data, from one consistent
snapshot) and MEDIA_ROOT into a new directory, the manifest last. The format is in manifest.py."""

from __future__ import annotations

import datetime as dt
import gzip
import io
import json
import sqlite3
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import django
from django.conf import settings
from django.core.management import call_command
from django.db import DEFAULT_DB_ALIAS, transaction

from . import portable
from .databases import connect, database_alias, outside_transaction, pg_args_env, pg_client, run_client, vendor
from .inventory import installed_apps, migration_state, row_counts
from .manifest import (ENGINE_NAMES, FORMAT, MANIFEST, MEDIA_FILE, NATIVE_FILE, PG_FILE, PORTABLE_EXCLUDE,
                       PORTABLE_FILE, SQLITE_FILE, BackupError, Progress, file_entry, quiet, require_supported)
from .media import archive_media


@dataclass
class BackupResult:
    directory: Path
    manifest: dict


def platform_version() -> str:
    try:
        return version("suiqian")
    except PackageNotFoundError:
        return "unknown"


def _human_size(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n} B"


def _prepare_output(directory: Path) -> None:
    media_root = Path(settings.MEDIA_ROOT).resolve()
    resolved = directory.resolve()
    if resolved == media_root or media_root in resolved.parents:
        raise BackupError(f"备份目录 {directory} 位于上传文件目录 {media_root} 之内，请换一个目录")
    if directory.exists() and (not directory.is_dir() or any(directory.iterdir())):
        raise BackupError(f"备份目录 {directory} 已存在且不为空：请指定一个新目录，以免覆盖已有备份")
    directory.mkdir(parents=True, exist_ok=True)


def _dump_portable(alias: str, path: Path) -> None:
    installed = installed_apps()
    exclude = [e for e in PORTABLE_EXCLUDE if e.split(".")[0] in installed]
    # Our own UTF-8 stream: dumpdata's `-o x.gz` writes text in the locale's encoding.
    with gzip.open(path, "wb") as raw, io.TextIOWrapper(raw, encoding="utf-8") as stream:
        call_command("dumpdata", natural_foreign=True, use_base_manager=True, exclude=exclude, format=portable.FORMAT,
                     database=alias, stdout=stream, verbosity=0)


def _backup_sqlite(alias: str, directory: Path, progress: Progress) -> tuple[dict, dict]:
    connection = outside_transaction(alias, "备份")
    progress("正在复制数据库（SQLite 在线备份接口）…")
    connection.ensure_connection()
    copy_path = directory / SQLITE_FILE
    target = sqlite3.connect(copy_path)
    try:
        # One step (pages=-1) is one read transaction on the source: the copy is a consistent
        # snapshot even while the app writes, which a file copy of a WAL database is not.
        connection.connection.backup(target)
        # A single self-contained file: in WAL mode the copy would need its -wal file beside it.
        target.execute("PRAGMA journal_mode=DELETE")
        status = target.execute("PRAGMA quick_check").fetchone()[0]
    finally:
        target.close()
    if status != "ok":
        raise BackupError(f"数据库副本校验失败（quick_check：{status}）")
    # Counts, migration state and the portable dump come from the copy, so all three describe
    # exactly the rows in database.sqlite3, not a later state of the live database.
    with database_alias(f"sqlite:///{copy_path}") as copy:
        state, counts = migration_state(copy), row_counts(copy)
        progress("正在导出可移植数据（dumpdata → data.json.gz）…")
        _dump_portable(copy, directory / PORTABLE_FILE)
    return {"name": str(connection.settings_dict["NAME"]), "server_version": sqlite3.sqlite_version}, {
        "migrations": state, "row_counts": counts}


def _backup_postgresql(alias: str, directory: Path, progress: Progress) -> tuple[dict, dict]:
    connection = outside_transaction(alias, "备份")
    pg_dump = pg_client("pg_dump")
    args, env = pg_args_env(connection.settings_dict)
    with transaction.atomic(using=alias):
        with connection.cursor() as cursor:
            # pg_dump, the row counts and the portable dump all read this one snapshot, so the
            # three agree even while the app keeps writing.
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            cursor.execute("SELECT pg_export_snapshot()")
            snapshot = cursor.fetchone()[0]
        progress("正在导出数据库（pg_dump --format=custom）…")
        run_client([pg_dump, "--format=custom", f"--snapshot={snapshot}", "--file", str(directory / PG_FILE),
                    *args], env, "pg_dump 导出")
        state, counts = migration_state(alias), row_counts(alias)
        progress("正在导出可移植数据（dumpdata → data.json.gz）…")
        _dump_portable(alias, directory / PORTABLE_FILE)
    server = connection.pg_version
    return {"name": connection.settings_dict["NAME"],
            "server_version": f"{server // 10000}.{server % 10000}"}, {"migrations": state, "row_counts": counts}


def backup(directory: Path, *, progress: Progress = quiet) -> BackupResult:
    """Write a complete backup of the configured database and MEDIA_ROOT into a new `directory`."""
    directory = Path(directory)
    alias = DEFAULT_DB_ALIAS
    engine = vendor(alias)
    require_supported(engine, "当前")
    connect(alias, "当前")
    _prepare_output(directory)
    created_at = dt.datetime.now(dt.UTC).astimezone()
    if engine == "sqlite":
        database, state = _backup_sqlite(alias, directory, progress)
    else:
        database, state = _backup_postgresql(alias, directory, progress)
    # Media after the database: a file is written before the row that names it commits, so every
    # file the dump refers to is already on disk now (at worst the archive has a newer extra file).
    media_root = Path(settings.MEDIA_ROOT)
    progress(f"正在打包上传文件（{media_root}）…")
    media = archive_media(media_root, directory / MEDIA_FILE)
    progress("正在计算校验和…")
    files = [file_entry(directory, NATIVE_FILE[engine], "database"),
             file_entry(directory, PORTABLE_FILE, "portable"),
             file_entry(directory, MEDIA_FILE, "media")]
    manifest = {
        "format": FORMAT,
        "platform": "suiqian",
        "platform_version": platform_version(),
        "django_version": django.get_version(),
        "created_at": created_at.isoformat(timespec="seconds"),
        "engine": engine,
        "database": database,
        "migrations": state["migrations"],
        "row_counts": state["row_counts"],
        "portable_excludes": list(PORTABLE_EXCLUDE),
        "files": files,
        "media": {"root": str(media_root), "count": len(media), "size": sum(m["size"] for m in media),
                  "files": media},
    }
    # Written last, through a temporary name: a directory with a manifest is a complete backup.
    tmp = directory / f".{MANIFEST}.tmp"
    tmp.write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
    tmp.replace(directory / MANIFEST)
    total = sum(f["size"] for f in files)
    progress(f"备份完成：{directory}（{ENGINE_NAMES[engine]}，{sum(state['row_counts'].values())} 行数据，"
             f"{len(media)} 个上传文件，共 {_human_size(total)}）")
    return BackupResult(directory, manifest)
