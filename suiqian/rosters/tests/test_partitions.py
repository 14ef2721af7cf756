"""Roster entries are partitioned by term on PostgreSQL: each import writes its term's partition,
an old term is detached (archived) and attached again with its data intact; SQLite keeps one table."""

import pytest
from django.db import connection

from suiqian.rosters import detection, jobs, partitions, queries
from suiqian.rosters.models import Roster, RosterEntry
from suiqian.rosters.terms import Term
from suiqian.rosters.tests.conftest import unit
from suiqian.rosters.tests.factories import child, import_rows

SPRING, FALL, NEXT = Term.parse("2021-spring"), Term.parse("2021-fall"), Term.parse("2022-spring")
on_postgres = pytest.mark.skipif("connection.vendor != 'postgresql'", reason="partitioning is PostgreSQL's")


def entries(term: Term) -> set:
    return set(queries.current_entries(term).values_list("id_masked", "name", "grade"))


def rows_in(table: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {connection.ops.quote_name(table)}")
        return cursor.fetchone()[0]


def test_sqlite_keeps_one_table(operator, tmp_path):
    if connection.vendor != "sqlite":
        pytest.skip("SQLite only")
    import_rows(operator, None, tmp_path, [child(1)], SPRING.code, unit=unit("140525"))
    assert partitions.partitions() == {}
    assert RosterEntry.objects.get().term == SPRING.code
    with pytest.raises(partitions.PartitionError):
        partitions.detach(SPRING)


@on_postgres
def test_each_term_is_written_to_its_own_partition(operator, tmp_path):
    import_rows(operator, None, tmp_path, [child(1), child(2)], SPRING.code, unit=unit("140525"))
    import_rows(operator, None, tmp_path, [child(1).next_year()], FALL.code, unit=unit("140525"))
    bounds = partitions.partitions()
    assert bounds[partitions.partition_name(SPRING)] == "FOR VALUES IN ('2021-spring')"
    assert bounds[partitions.partition_name(FALL)] == "FOR VALUES IN ('2021-fall')"
    assert bounds[partitions.DEFAULT] == "DEFAULT"
    assert rows_in(partitions.partition_name(SPRING)) == 2 and rows_in(partitions.partition_name(FALL)) == 1
    assert rows_in(partitions.DEFAULT) == 0
    # A re-import of fall and a comparison of fall read and write the fall and spring partitions only.
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN SELECT 1 FROM rosters_rosterentry WHERE term = %s AND roster_id = 1", [FALL.code])
        plan = "\n".join(r[0] for r in cursor.fetchall())
    assert partitions.partition_name(FALL) in plan and partitions.partition_name(SPRING) not in plan


@on_postgres
def test_an_old_term_is_detached_and_attached_again_with_its_data_intact(operator, tmp_path):
    import_rows(operator, None, tmp_path, [child(1), child(2), child(3, grade=7)], SPRING.code, unit=unit("140525"))
    import_rows(operator, None, tmp_path, [child(1).next_year()], FALL.code, unit=unit("140525"))
    spring_before, fall_before = entries(SPRING), entries(FALL)

    table = partitions.detach(SPRING)

    assert table == "rosters_rosterentry_2021_spring" and table not in partitions.partitions()
    assert rows_in(table) == 3  # archived as a plain table: ready for pg_dump -t and DROP TABLE
    assert entries(SPRING) == set() and entries(FALL) == fall_before
    assert Roster.objects.get(term=SPRING.code).status == Roster.Status.ARCHIVED
    assert RosterEntry.objects.filter(term=SPRING.code).count() == 0
    # An archived term is not silently re-created.
    job = jobs.import_file(operator, None, tmp_path / "roster.csv", SPRING.code, unit=unit("140525"))
    assert job.status == job.Status.FAILED and "已归档" in job.message

    partitions.attach(SPRING)

    assert entries(SPRING) == spring_before and entries(FALL) == fall_before
    assert Roster.objects.get(term=SPRING.code).status == Roster.Status.CURRENT
    result = detection.detect(FALL.code)
    assert result.cases_opened == 2  # children 2 and 3: compared across the re-attached term
