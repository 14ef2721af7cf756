"""Roster entries partitioned by term on PostgreSQL (declarative LIST partitioning); SQLite keeps one table.

Each term's children live in their own partition, `rosters_rosterentry_2021_fall`, so importing
or comparing a term reads and writes that partition only (every statement names the term), and
an old term can be detached — it stays a plain table, ready for pg_dump and DROP — and attached
again. A DEFAULT partition catches rows of a term that has none yet (rows loaded by a portable
restore, for instance); making the term's partition moves them into it.

The partitioned table has no primary key: a key on a partitioned table must contain the term,
no statement looks an entry up by id, and an index less makes COPY faster.
"""

from __future__ import annotations

import zlib

from django.db import connection, transaction

from .models import Roster, RosterEntry
from .terms import Term

TABLE = RosterEntry._meta.db_table
DEFAULT = f"{TABLE}_default"


class PartitionError(Exception):
    """A message for the operator, in Chinese."""


def partitioned() -> bool:
    return connection.vendor == "postgresql"


def term_lock(term: Term) -> None:
    """Imports and detections of one term take turns (SQLite serialises writers anyway)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [zlib.crc32(f"rosters:{term.code}".encode())])


def partition_name(term: Term) -> str:
    return f"{TABLE}_{term.year}_{term.season}"


def partitions() -> dict[str, str]:
    """Attached partitions: table name → its bound ('FOR VALUES IN (...)' or 'DEFAULT')."""
    if not partitioned():
        return {}
    with connection.cursor() as cursor:
        cursor.execute("SELECT c.relname, pg_get_expr(c.relpartbound, c.oid) FROM pg_inherits i "
                       "JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent "
                       "WHERE p.relname = %s", [TABLE])
        return dict(cursor.fetchall())


def _table_exists(name: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [name])
        return cursor.fetchone()[0]


def ensure_partition(term: Term) -> None:
    """The term's partition, made if missing (with any rows of the term moved out of DEFAULT)."""
    if not partitioned():
        return
    name = partition_name(term)
    if name in partitions():
        return
    q = connection.ops.quote_name
    with transaction.atomic(), connection.cursor() as cursor:
        # Taken by every import of the term before this point: two imports do not both create it.
        cursor.execute(f"LOCK TABLE {q(TABLE)} IN SHARE ROW EXCLUSIVE MODE")
        if name in partitions():
            return
        if _table_exists(name):
            raise PartitionError(f"{term.label}的名册已归档（表 {name} 已分离），请先用 "
                                 f"suiqian roster attach --term {term.code} 重新接入")
        cursor.execute(f"CREATE TABLE {q(name)} (LIKE {q(TABLE)} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)")
        cursor.execute(f"WITH moved AS (DELETE FROM {q(DEFAULT)} WHERE term = %s RETURNING *) "
                       f"INSERT INTO {q(name)} SELECT * FROM moved", [term.code])
        cursor.execute(f"ALTER TABLE {q(TABLE)} ATTACH PARTITION {q(name)} FOR VALUES IN (%s)", [term.code])


def detach(term: Term) -> str:
    """Archive a term: its partition leaves the table (kept as a plain table of that name) and its
    rosters are marked archived. Returns the table's name, for pg_dump -t and DROP TABLE."""
    if not partitioned():
        raise PartitionError("只有 PostgreSQL 上的名册按学期分区，SQLite 不能归档学期")
    name = partition_name(term)
    if name not in partitions():
        raise PartitionError(f"{term.label}没有名册分区（未导入或已归档）")
    q = connection.ops.quote_name
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(f"ALTER TABLE {q(TABLE)} DETACH PARTITION {q(name)}")
        Roster.objects.filter(term=term.code, status=Roster.Status.CURRENT).update(status=Roster.Status.ARCHIVED)
    return name


def attach(term: Term) -> str:
    """Bring an archived term back: the plain table becomes its partition again and its rosters current."""
    if not partitioned():
        raise PartitionError("只有 PostgreSQL 上的名册按学期分区，SQLite 不能接入学期")
    name = partition_name(term)
    if name in partitions():
        raise PartitionError(f"{term.label}的名册分区已在使用中")
    if not _table_exists(name):
        raise PartitionError(f"没有找到表 {name}：请先用 pg_restore 恢复归档的学期名册")
    q = connection.ops.quote_name
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT count(*) FROM {q(name)} WHERE term <> %s", [term.code])
            if cursor.fetchone()[0]:
                raise PartitionError(f"表 {name} 中有其他学期的记录，不能作为{term.label}的分区接入")
            cursor.execute(f"ALTER TABLE {q(TABLE)} ATTACH PARTITION {q(name)} FOR VALUES IN (%s)", [term.code])
        Roster.objects.filter(term=term.code, status=Roster.Status.ARCHIVED).update(status=Roster.Status.CURRENT)
    return name
