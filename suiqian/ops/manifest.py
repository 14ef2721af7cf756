"""The backup directory's format, and its check before anything reads it.

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

import hashlib
import json
from collections.abc import Callable
from pathlib import Path

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

Progress = Callable[[str], None]


class BackupError(Exception):
    """A refusal or failure, worded for the operator."""


def quiet(_message: str) -> None:
    pass


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def file_entry(directory: Path, name: str, kind: str) -> dict:
    path = directory / name
    return {"name": name, "kind": kind, "size": path.stat().st_size, "sha256": sha256_of(path)}


def is_portable_excluded(label: str) -> bool:
    """Whether the portable dump leaves out the rows of model `label` (app_label.model)."""
    app = label.split(".")[0]
    return label in PORTABLE_EXCLUDE or app in PORTABLE_EXCLUDE


def require_supported(engine: str, what: str) -> None:
    if engine not in NATIVE_FILE:
        raise BackupError(f"{what}的数据库类型 {engine} 不受支持：只支持 SQLite 和 PostgreSQL")


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


def verify_backup(directory: Path, *, progress: Progress = quiet) -> dict:
    """The manifest, once every file it lists is present with its size and checksum; else BackupError
    listing every problem found."""
    directory = Path(directory)
    manifest = read_manifest(directory)
    require_supported(manifest["engine"], "备份")
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
