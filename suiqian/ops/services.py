"""Backup and restore of the database and the uploaded files (MEDIA_ROOT).

A backup is one directory:

    manifest.json     engine, migration state, row counts, created_at, platform version, and every
                      file below with its size and sha256 (written last: no manifest, no backup)
    database.sqlite3  SQLite: a consistent online copy made with SQLite's backup API
    database.pgdump   PostgreSQL: pg_dump --format=custom
    data.json.gz      every engine: Django's dumpdata --natural-foreign, the portable format
    media.tar         the uploaded files, paths relative to MEDIA_ROOT

`restore` checks the manifest and every checksum before it touches anything. It restores the
native dump when the backup's engine is the target's, and loads data.json.gz when they differ
(SQLite → PostgreSQL and back) or when asked to (`portable=True`).

Messages of BackupError are shown to the operator as they are, so they are in Chinese.
"""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import io
import json
import os
import re
import shutil
import sqlite3
import subprocess
import tarfile
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.db import DEFAULT_DB_ALIAS, connections, transaction

FORMAT = 1
MANIFEST = "manifest.json"
SQLITE_FILE = "database.sqlite3"
PG_FILE = "database.pgdump"
PORTABLE_FILE = "data.json.gz"
MEDIA_FILE = "media.tar"
NATIVE_FILE = {"sqlite": SQLITE_FILE, "postgresql": PG_FILE}
ENGINE_NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}

# Left out of the portable dump: content types and permissions are recreated by `migrate` on the
# target (with other primary keys, hence natural foreign keys for what points at them); sessions
# and the login-lockout records are transient; admin log entries point at content types by key.
PORTABLE_EXCLUDE = ("contenttypes", "auth.permission", "sessions", "axes", "admin.logentry")

# Tables a freshly migrated database fills by itself: rows there are no data worth protecting.
SCAFFOLD_TABLES = frozenset({"django_migrations", "django_content_type", "auth_permission"})

Progress = Callable[[str], None]


class BackupError(Exception):
    """A refusal or failure, worded for the operator."""


def _quiet(_message: str) -> None:
    pass


# --- small helpers -------------------------------------------------------------------------

def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _file_entry(directory: Path, name: str, kind: str) -> dict:
    path = directory / name
    return {"name": name, "kind": kind, "size": path.stat().st_size, "sha256": sha256_of(path)}


def _human_size(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n} B"


def platform_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("suiqian")
    except PackageNotFoundError:
        return "unknown"


def vendor(alias: str) -> str:
    return connections[alias].vendor


def _connect(alias: str, what: str) -> None:
    from django.db import Error

    try:
        connections[alias].ensure_connection()
    except Error as e:
        raise BackupError(f"无法连接{what}数据库：{e}") from e


def _require_supported(engine: str, what: str) -> None:
    if engine not in NATIVE_FILE:
        raise BackupError(f"{what}的数据库类型 {engine} 不受支持：只支持 SQLite 和 PostgreSQL")


def redact(url: str) -> str:
    """The URL without its password, for messages."""
    return re.sub(r"(://[^:/@]*:)[^@/]*@", r"\1***@", url)


@contextmanager
def database_alias(database_url: str | None) -> Iterator[str]:
    """The default database, or a temporary connection alias for `database_url`.

    A real alias (rather than a raw driver connection) lets migrate, loaddata and dumpdata work
    on the other database exactly as they do on the configured one.
    """
    if not database_url:
        yield DEFAULT_DB_ALIAS
        return
    import dj_database_url

    try:
        config = dj_database_url.parse(database_url)
    except Exception as e:  # dj_database_url raises plain ValueError/KeyError on bad URLs
        raise BackupError(f"无法解析数据库地址 {redact(database_url)}：{e}") from e
    if config.get("ENGINE") not in ("django.db.backends.sqlite3", "django.db.backends.postgresql"):
        raise BackupError(f"数据库地址 {redact(database_url)} 的类型不受支持：只支持 sqlite:/// 和 postgres://")
    if config["ENGINE"] == "django.db.backends.sqlite3":
        Path(config["NAME"]).parent.mkdir(parents=True, exist_ok=True)
        # Same busy timeout as the configured SQLite database: an app may still hold the file.
        config.setdefault("OPTIONS", {}).setdefault("timeout", 20)
    from django.db.utils import load_backend

    alias = f"ops_{uuid.uuid4().hex[:12]}"
    config = connections.configure_settings({DEFAULT_DB_ALIAS: {}, alias: config})[alias]
    # Set on this thread's handler only, not added to settings: the alias stays private to this
    # call (connections.all() and other threads never see it), and Django's test cases allow
    # connections created this way, as they do for any dynamically created one.
    wrapper = load_backend(config["ENGINE"]).DatabaseWrapper(config, alias)
    connections[alias] = wrapper
    try:
        yield alias
    finally:
        wrapper.close()
        del connections[alias]


# --- what the database holds ---------------------------------------------------------------

def migration_state(alias: str) -> dict[str, list[str]]:
    """Per app, the latest applied migrations (usually one; more after an unmerged branch)."""
    from django.db.migrations.loader import MigrationLoader
    from django.db.migrations.recorder import MigrationRecorder

    applied = set(MigrationRecorder(connections[alias]).applied_migrations())
    graph = MigrationLoader(None, ignore_no_migrations=True).graph
    latest = defaultdict(list)
    for app, name in applied:
        node = graph.node_map.get((app, name))
        # A migration the code does not know stays listed: it shows the database is ahead.
        if node is not None and any(c.key[0] == app and c.key in applied for c in node.children):
            continue
        latest[app].append(name)
    return {app: sorted(names) for app, names in sorted(latest.items())}


def code_migration_state() -> dict[str, list[str]]:
    """Per installed app, the latest migrations on disk: what `migrate` brings a database to."""
    from django.db.migrations.loader import MigrationLoader

    latest = defaultdict(list)
    for app, name in MigrationLoader(None, ignore_no_migrations=True).graph.leaf_nodes():
        latest[app].append(name)
    return {app: sorted(names) for app, names in sorted(latest.items())}


def _known_migrations() -> set[tuple[str, str]]:
    from django.db.migrations.loader import MigrationLoader

    loader = MigrationLoader(None, ignore_no_migrations=True)
    known = set(loader.graph.nodes)
    for migration in loader.disk_migrations.values():
        known.update(tuple(r) for r in migration.replaces or ())
    return known


def _model_tables() -> list[tuple[str, str]]:
    """(label, table) of every concrete table a model owns, many-to-many tables included."""
    out = []
    for model in apps.get_models(include_auto_created=True):
        meta = model._meta
        if meta.proxy or not meta.managed:
            continue
        out.append((meta.label_lower, meta.db_table))
    return sorted(out)


def row_counts(alias: str) -> dict[str, int]:
    """Rows per model, for the tables that exist in the database."""
    connection = connections[alias]
    tables = set(connection.introspection.table_names())
    qn = connection.ops.quote_name
    counts = {}
    with connection.cursor() as cursor:
        for label, table in _model_tables():
            if table in tables:
                cursor.execute(f"SELECT COUNT(*) FROM {qn(table)}")
                counts[label] = cursor.fetchone()[0]
    return counts


def tables_with_rows(alias: str) -> list[str]:
    """Tables holding data, whether or not a model of this code owns them."""
    connection = connections[alias]
    qn = connection.ops.quote_name
    out = []
    with connection.cursor() as cursor:
        for table in sorted(connection.introspection.table_names()):
            if table in SCAFFOLD_TABLES:
                continue
            cursor.execute(f"SELECT 1 FROM {qn(table)} LIMIT 1")
            if cursor.fetchone() is not None:
                out.append(table)
    return out


def _is_excluded(label: str) -> bool:
    app = label.split(".")[0]
    return label in PORTABLE_EXCLUDE or app in PORTABLE_EXCLUDE


def _dump_portable(alias: str, path: Path) -> None:
    installed = {c.label for c in apps.get_app_configs()}
    exclude = [e for e in PORTABLE_EXCLUDE if e.split(".")[0] in installed]
    # Our own UTF-8 stream: dumpdata's `-o x.gz` writes text in the locale's encoding.
    with gzip.open(path, "wb") as raw, io.TextIOWrapper(raw, encoding="utf-8") as stream:
        call_command("dumpdata", natural_foreign=True, use_base_manager=True, exclude=exclude,
                     database=alias, stdout=stream, verbosity=0)


# --- media -----------------------------------------------------------------------------------

class _HashingReader:
    """Hashes exactly the bytes tarfile copies, so the manifest describes the archive, not the disk."""

    def __init__(self, f):
        self.f, self.digest = f, hashlib.sha256()

    def read(self, n=-1):
        data = self.f.read(n)
        self.digest.update(data)
        return data


def media_files(root: Path) -> list[Path]:
    """The uploaded files a backup keeps: all but those under settings.BACKUP_EXCLUDED_MEDIA (files
    that live only until a task ends, such as sealed roster uploads with children's ID numbers)."""
    if not root.is_dir():
        return []
    excluded = tuple(Path(e).parts for e in getattr(settings, "BACKUP_EXCLUDED_MEDIA", ()))
    return sorted(p for p in root.rglob("*") if p.is_file() and not p.is_symlink()
                  and not any(p.relative_to(root).parts[:len(e)] == e for e in excluded))


def archive_media(root: Path, dest: Path) -> list[dict]:
    entries = []
    with tarfile.open(dest, "w") as tar:
        for path in media_files(root):
            rel = path.relative_to(root).as_posix()
            with open(path, "rb") as f:
                info = tar.gettarinfo(arcname=rel, fileobj=f)
                reader = _HashingReader(f)
                tar.addfile(info, reader)
            entries.append({"path": rel, "size": info.size, "sha256": reader.digest.hexdigest()})
    return entries


def media_digest(root: Path) -> dict[str, tuple[int, str]]:
    return {p.relative_to(root).as_posix(): (p.stat().st_size, sha256_of(p)) for p in media_files(root)}


# --- backup ----------------------------------------------------------------------------------

@dataclass
class BackupResult:
    directory: Path
    manifest: dict


def _prepare_output(directory: Path) -> None:
    media_root = Path(settings.MEDIA_ROOT).resolve()
    resolved = directory.resolve()
    if resolved == media_root or media_root in resolved.parents:
        raise BackupError(f"备份目录 {directory} 位于上传文件目录 {media_root} 之内，请换一个目录")
    if directory.exists() and (not directory.is_dir() or any(directory.iterdir())):
        raise BackupError(f"备份目录 {directory} 已存在且不为空：请指定一个新目录，以免覆盖已有备份")
    directory.mkdir(parents=True, exist_ok=True)


def _pg_client(program: str) -> str:
    path = shutil.which(program)
    if path is None:
        raise BackupError(f"未找到 {program}：请安装 PostgreSQL 客户端工具（版本不低于数据库服务器）")
    return path


def _pg_args_env(settings_dict: dict) -> tuple[list[str], dict]:
    """Connection options for pg_dump/pg_restore; the password goes through the environment, not argv."""
    args = ["--no-password", "--dbname", settings_dict["NAME"]]
    if settings_dict.get("HOST"):
        args += ["--host", str(settings_dict["HOST"])]
    if settings_dict.get("PORT"):
        args += ["--port", str(settings_dict["PORT"])]
    if settings_dict.get("USER"):
        args += ["--username", settings_dict["USER"]]
    env = dict(os.environ)
    if settings_dict.get("PASSWORD"):
        env["PGPASSWORD"] = settings_dict["PASSWORD"]
    options = settings_dict.get("OPTIONS") or {}
    for option, variable in (("sslmode", "PGSSLMODE"), ("sslrootcert", "PGSSLROOTCERT"),
                             ("sslcert", "PGSSLCERT"), ("sslkey", "PGSSLKEY")):
        if options.get(option):
            env[variable] = str(options[option])
    return args, env


def _run(command: list[str], env: dict, what: str) -> None:
    result = subprocess.run(command, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        detail = (result.stderr or result.stdout).strip()[-2000:]
        raise BackupError(f"{what}失败（{Path(command[0]).name} 退出码 {result.returncode}）：\n{detail}")


def _backup_sqlite(alias: str, directory: Path, progress: Progress) -> tuple[dict, dict]:
    connection = connections[alias]
    if connection.in_atomic_block:
        raise BackupError("不能在事务中备份")
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
    connection = connections[alias]
    if connection.in_atomic_block:
        raise BackupError("不能在事务中备份")
    pg_dump = _pg_client("pg_dump")
    args, env = _pg_args_env(connection.settings_dict)
    with transaction.atomic(using=alias):
        with connection.cursor() as cursor:
            # pg_dump, the row counts and the portable dump all read this one snapshot, so the
            # three agree even while the app keeps writing.
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            cursor.execute("SELECT pg_export_snapshot()")
            snapshot = cursor.fetchone()[0]
        progress("正在导出数据库（pg_dump --format=custom）…")
        _run([pg_dump, "--format=custom", f"--snapshot={snapshot}", "--file", str(directory / PG_FILE), *args],
             env, "pg_dump 导出")
        state, counts = migration_state(alias), row_counts(alias)
        progress("正在导出可移植数据（dumpdata → data.json.gz）…")
        _dump_portable(alias, directory / PORTABLE_FILE)
    server = connection.pg_version
    return {"name": connection.settings_dict["NAME"],
            "server_version": f"{server // 10000}.{server % 10000}"}, {"migrations": state, "row_counts": counts}


def backup(directory: Path, *, progress: Progress = _quiet) -> BackupResult:
    """Write a complete backup of the configured database and MEDIA_ROOT into a new `directory`."""
    directory = Path(directory)
    alias = DEFAULT_DB_ALIAS
    engine = vendor(alias)
    _require_supported(engine, "当前")
    _connect(alias, "当前")
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
    files = [_file_entry(directory, NATIVE_FILE[engine], "database"),
             _file_entry(directory, PORTABLE_FILE, "portable"),
             _file_entry(directory, MEDIA_FILE, "media")]
    import django

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


# --- verifying a backup --------------------------------------------------------------------

def read_manifest(directory: Path) -> dict:
    directory = Path(directory)
    if not directory.is_dir():
        raise BackupError(f"备份目录不存在：{directory}")
    path = directory / MANIFEST
    if not path.is_file():
        raise BackupError(f"{directory} 中没有 {MANIFEST}：这不是一个完整的备份（备份可能中途失败）")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as e:
        raise BackupError(f"{MANIFEST} 无法解析，备份已损坏：{e}") from e
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(f"不支持的备份格式（format={manifest.get('format') if isinstance(manifest, dict) else '?'}，"
                          f"本程序支持 format={FORMAT}）")
    missing = [k for k in ("engine", "migrations", "row_counts", "files", "media") if k not in manifest]
    if missing:
        raise BackupError(f"{MANIFEST} 缺少字段：{'、'.join(missing)}，备份已损坏")
    return manifest


def verify_backup(directory: Path, *, progress: Progress = _quiet) -> dict:
    """The manifest, once every file it lists is present with its size and checksum; else BackupError
    listing every problem found."""
    directory = Path(directory)
    manifest = read_manifest(directory)
    _require_supported(manifest["engine"], "备份")
    progress(f"正在校验备份：{directory}（{ENGINE_NAMES[manifest['engine']]}，创建于 {manifest.get('created_at', '?')}，"
             f"平台版本 {manifest.get('platform_version', '?')}）")
    problems = []
    kinds = set()
    for entry in manifest["files"]:
        name = str(entry.get("name", ""))
        kinds.add(entry.get("kind"))
        if not name or Path(name).name != name or name.startswith("."):
            problems.append(f"清单中的文件名不合法：{name!r}")
            continue
        path = directory / name
        if not path.is_file():
            problems.append(f"缺少文件：{name}")
        elif path.stat().st_size != entry.get("size"):
            problems.append(f"文件大小不符：{name}（清单 {entry.get('size')} 字节，实际 {path.stat().st_size} 字节）")
        elif sha256_of(path) != entry.get("sha256"):
            problems.append(f"校验和不符：{name}（文件已损坏或被改动）")
    for kind, name in (("database", NATIVE_FILE[manifest["engine"]]), ("portable", PORTABLE_FILE),
                       ("media", MEDIA_FILE)):
        if kind not in kinds:
            problems.append(f"清单中没有{name}")
    if problems:
        raise BackupError("备份校验未通过，未做任何改动：\n  " + "\n  ".join(problems))
    progress(f"校验通过：{len(manifest['files'])} 个文件的大小和 sha256 均与清单一致")
    return manifest


# --- restore ---------------------------------------------------------------------------------

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
    known = _known_migrations()
    installed = {c.label for c in apps.get_app_configs()}
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
    connection = connections[alias]
    if connection.in_atomic_block:
        raise BackupError("不能在事务中恢复")
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
    connection = connections[alias]
    if connection.in_atomic_block:
        raise BackupError("不能在事务中恢复")
    pg_restore = _pg_client("pg_restore")
    args, env = _pg_args_env(connection.settings_dict)
    # Our idle connection would only get in the way of the DROPs.
    connection.close()
    # --single-transaction: a failed restore leaves the target as it was. --no-owner and
    # --no-privileges: the target cluster need not have the roles of the source.
    _run([pg_restore, "--clean", "--if-exists", "--no-owner", "--no-privileges", "--exit-on-error",
          "--single-transaction", *args, str(path)], env, "pg_restore 恢复（目标数据库未改动）")


def _restore_portable(alias: str, path: Path, had_data: bool, progress: Progress) -> None:
    from django.contrib.contenttypes.models import ContentType

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
    ours = {label for label, _ in _model_tables()}  # tables of apps not installed here are not counted
    expected = {k: v for k, v in manifest["row_counts"].items()
                if k in ours and (mode == "native" or not _is_excluded(k))}
    actual = row_counts(alias)
    wrong = [f"{label}：备份 {n} 行，恢复后 {actual.get(label, '无此表')}"
             for label, n in sorted(expected.items()) if actual.get(label) != n]
    return sum(actual.get(label, 0) for label in expected), wrong


def _restore_media(tar_path: Path, media_root: Path, manifest: dict) -> int:
    media_root.mkdir(parents=True, exist_ok=True)
    for child in media_root.iterdir():  # only reached when empty, or with --force
        shutil.rmtree(child) if child.is_dir() and not child.is_symlink() else child.unlink()
    with tarfile.open(tar_path) as tar:
        # The "data" filter refuses absolute paths, "..", links out of the tree and device files.
        tar.extractall(media_root, filter="data")
    expected = {m["path"]: (m["size"], m["sha256"]) for m in manifest["media"]["files"]}
    actual = media_digest(media_root)
    if actual != expected:
        differ = sorted(p for p in set(expected) | set(actual) if expected.get(p) != actual.get(p))
        raise BackupError(f"上传文件恢复后与清单不符：{'、'.join(differ[:10])}")
    return len(actual)


def restore(directory: Path, *, database_url: str | None = None, media_root: Path | None = None,
            force: bool = False, portable: bool = False, progress: Progress = _quiet) -> RestoreResult:
    """Restore a backup into the configured database (or `database_url`) and MEDIA_ROOT (or `media_root`)."""
    directory = Path(directory)
    manifest = verify_backup(directory, progress=progress)
    media_root = Path(media_root or settings.MEDIA_ROOT)
    with database_alias(database_url) as alias:
        engine = vendor(alias)
        _require_supported(engine, "目标")
        _connect(alias, "目标")
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
        from django.contrib.contenttypes.models import ContentType

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
    n_media = _restore_media(directory / MEDIA_FILE, media_root, manifest)
    progress(f"上传文件已恢复：{n_media} 个，sha256 与清单一致")
    for note in notes:
        progress(f"注意：{note}")
    return RestoreResult(mode=mode, engine=engine, rows=rows, media_files=n_media, notes=notes)
