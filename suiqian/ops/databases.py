"""Reaching a database for backup and restore: the configured one or another given by URL, and
PostgreSQL's client programs (pg_dump, pg_restore) with the same connection settings."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dj_database_url
from django.db import DEFAULT_DB_ALIAS, Error, connections
from django.db.utils import load_backend

from .manifest import BackupError


def vendor(alias: str) -> str:
    return connections[alias].vendor


def connect(alias: str, what: str) -> None:
    try:
        connections[alias].ensure_connection()
    except Error as e:
        raise BackupError(f"无法连接{what}数据库：{e}") from e


def outside_transaction(alias: str, verb: str):
    """The alias's connection, refused inside atomic(): a copy or a restore must see and leave
    committed data, not the caller's unfinished transaction."""
    connection = connections[alias]
    if connection.in_atomic_block:
        raise BackupError(f"不能在事务中{verb}")
    return connection


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


# --- PostgreSQL's client programs ------------------------------------------------------------

def pg_client(program: str) -> str:
    path = shutil.which(program)
    if path is None:
        raise BackupError(f"未找到 {program}：请安装 PostgreSQL 客户端工具（版本不低于数据库服务器）")
    return path


def pg_args_env(settings_dict: dict) -> tuple[list[str], dict]:
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


def run_client(command: list[str], env: dict, what: str) -> None:
    result = subprocess.run(command, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        detail = (result.stderr or result.stdout).strip()[-2000:]
        raise BackupError(f"{what}失败（{Path(command[0]).name} 退出码 {result.returncode}）：\n{detail}")
