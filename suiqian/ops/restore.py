"""Reading a backup back in: checked first (manifest, checksums, migrations, an empty target), then
the native dump or the portable data, then MEDIA_ROOT, each compared with the manifest after."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import transaction

from .databases import connect, database_alias, outside_transaction, pg_args_env, pg_client, run_client, vendor
from .inventory import (code_migration_state, installed_apps, known_migrations, model_tables, row_counts,
                        tables_with_rows)
from .manifest import (ENGINE_NAMES, MEDIA_FILE, NATIVE_FILE, PG_FILE, PORTABLE_FILE, SQLITE_FILE, BackupError,
                       Progress, is_portable_excluded, quiet, require_supported, verify_backup)
from .media import extract_media, media_files


@dataclass
class RestoreResult:
    mode: str  # "native" or "portable"
    engine: str
    rows: int
    media_files: int
    notes: list[str] = field(default_factory=list)


def _check_migrations(manifest: dict, mode: str) -> tuple[bool, list[str]]:
    """Refuse backups this code cannot run on; return whether the backup's migration state is the
    code's, and notes for the operator."""
    backup_state = manifest["migrations"]
    code_state = code_migration_state()
    known = known_migrations()
    installed = installed_apps()
    foreign = sorted(app for app in backup_state if app not in installed)
    unknown = sorted(f"{app}.{name}" for app, names in backup_state.items() if app in installed
                     for name in names if (app, name) not in known)
    if unknown:
        raise BackupError("备份来自较新版本的程序（本程序不认识这些迁移："
                          + "、".join(unknown) + "）。请先把程序升级到备份时的版本，再恢复")
    same = {a: n for a, n in backup_state.items() if a in installed} == code_state
    notes = []
    if mode == "portable":
        if foreign:
            raise BackupError(f"备份含有本程序未安装的应用：{'、'.join(foreign)}，无法按可移植格式导入")
        if not same:
            raise BackupError("可移植格式（data.json.gz）只能导入与备份时迁移状态相同的程序版本，"
                              f"备份时的平台版本为 {manifest.get('platform_version', '?')}。"
                              "请用该版本的程序恢复（或先在同类数据库上原样恢复、运行 suiqian migrate 后重新备份）")
    else:
        if foreign:
            notes.append(f"备份中有本程序未安装的应用的数据表：{'、'.join(foreign)}（已原样恢复，程序不会使用）")
        if not same:
            notes.append("备份的迁移状态早于本程序：请接着运行 suiqian migrate 升级数据库结构")
    return same, notes


def _check_empty(alias: str, media_root: Path, force: bool) -> bool:
    """True if the target holds data (allowed only with force)."""
    busy = tables_with_rows(alias)
    files = media_files(media_root)
    if (busy or files) and not force:
        parts = []
        if busy:
            more = " 等" if len(busy) > 6 else ""
            parts.append(f"目标数据库不为空（{len(busy)} 张表有数据：{'、'.join(busy[:6])}{more}）")
        if files:
            parts.append(f"上传文件目录 {media_root} 不为空（{len(files)} 个文件）")
        raise BackupError("；".join(parts) + "。恢复会覆盖这些数据，如确认覆盖请加 --force（建议先备份当前数据）")
    return bool(busy)


def _restore_sqlite_native(alias: str, path: Path) -> None:
    connection = outside_transaction(alias, "恢复")
    connection.ensure_connection()
    source = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        # The backup API replaces every page of the target under its lock: no half-old file, and
        # it works on whatever the alias points at (a file, or an in-memory database).
        source.backup(connection.connection)
    except sqlite3.Error as e:
        raise BackupError(f"SQLite 恢复失败：{e}") from e
    finally:
        source.close()
    connection.close()


def _restore_postgresql_native(alias: str, path: Path) -> None:
    connection = outside_transaction(alias, "恢复")
    pg_restore = pg_client("pg_restore")
    args, env = pg_args_env(connection.settings_dict)
    # Our idle connection would only get in the way of the DROPs.
    connection.close()
    # --single-transaction: a failed restore leaves the target as it was. --no-owner and
    # --no-privileges: the target cluster need not have the roles of the source.
    run_client([pg_restore, "--clean", "--if-exists", "--no-owner", "--no-privileges", "--exit-on-error",
                "--single-transaction", *args, str(path)], env, "pg_restore 恢复（目标数据库未改动）")


def _restore_portable(alias: str, path: Path, had_data: bool, progress: Progress) -> None:
    progress("正在建立数据库结构（migrate）…")
    call_command("migrate", database=alias, interactive=False, verbosity=0)
    progress("正在导入可移植数据（loaddata data.json.gz）…")
    # Flush and load in one transaction: a load that fails leaves the old data in place.
    with transaction.atomic(using=alias):
        if had_data:
            call_command("flush", database=alias, interactive=False, verbosity=0)
        ContentType.objects.clear_cache()
        call_command("loaddata", str(path), database=alias, verbosity=0)


def _verify_counts(alias: str, manifest: dict, mode: str) -> tuple[int, list[str]]:
    ours = {label for label, _ in model_tables()}  # tables of apps not installed here are not counted
    expected = {k: v for k, v in manifest["row_counts"].items()
                if k in ours and (mode == "native" or not is_portable_excluded(k))}
    actual = row_counts(alias)
    wrong = [f"{label}：备份 {n} 行，恢复后 {actual.get(label, '无此表')}"
             for label, n in sorted(expected.items()) if actual.get(label) != n]
    return sum(actual.get(label, 0) for label in expected), wrong


def restore(directory: Path, *, database_url: str | None = None, media_root: Path | None = None,
            force: bool = False, portable: bool = False, progress: Progress = quiet) -> RestoreResult:
    """Restore a backup into the configured database (or `database_url`) and MEDIA_ROOT (or `media_root`)."""
    directory = Path(directory)
    manifest = verify_backup(directory, progress=progress)
    media_root = Path(media_root or settings.MEDIA_ROOT)
    with database_alias(database_url) as alias:
        engine = vendor(alias)
        require_supported(engine, "目标")
        connect(alias, "目标")
        mode = "portable" if portable or engine != manifest["engine"] else "native"
        same_schema, notes = _check_migrations(manifest, mode)
        had_data = _check_empty(alias, media_root, force)
        source, target = ENGINE_NAMES[manifest["engine"]], ENGINE_NAMES[engine]
        if mode == "native":
            progress(f"正在恢复数据库（{target}，原生格式 {NATIVE_FILE[engine]}）…")
            if engine == "sqlite":
                _restore_sqlite_native(alias, directory / SQLITE_FILE)
            else:
                _restore_postgresql_native(alias, directory / PG_FILE)
        else:
            why = "按要求使用可移植格式" if engine == manifest["engine"] else f"备份来自 {source}，目标是 {target}"
            progress(f"正在恢复数据库（{why}：{PORTABLE_FILE}）…")
            try:
                _restore_portable(alias, directory / PORTABLE_FILE, had_data, progress)
            except BackupError:
                raise
            except Exception as e:  # migrate/loaddata errors, shown whole: the operator needs them
                raise BackupError(f"导入可移植数据失败，目标数据库中的数据未改动（表结构可能已由 migrate 建好）：{e}") from e
        ContentType.objects.clear_cache()  # content type ids may differ from before the restore
        if not same_schema:  # an older schema: the backup's counts describe other tables
            rows = sum(row_counts(alias).values())
            progress(f"数据库已恢复：{rows} 行（备份的迁移状态与本程序不同，未逐表核对行数）")
        else:
            rows, wrong = _verify_counts(alias, manifest, mode)
            if wrong:
                raise BackupError("恢复后的行数与备份清单不符：\n  " + "\n  ".join(wrong))
            progress(f"数据库已恢复：{rows} 行，逐表行数与备份清单一致")
    progress(f"正在恢复上传文件到 {media_root} …")
    n_media = extract_media(directory / MEDIA_FILE, media_root, manifest)
    progress(f"上传文件已恢复：{n_media} 个，sha256 与清单一致")
    for note in notes:
        progress(f"注意：{note}")
    return RestoreResult(mode=mode, engine=engine, rows=rows, media_files=n_media, notes=notes)
