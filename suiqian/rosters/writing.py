"""Writing checked rows into the entries table as fast as each database allows.

PostgreSQL gets COPY straight into the term's partition (no routing of each row), fed as
CSV that polars writes in Rust; psycopg's queued writer sends it from its own thread, so
the next batch is read, checked and hashed while the server is still storing this one
(see `EntryWriter.start` / `finish`). SQLite gets executemany.

An entry's id is its place in the import: the job's id in the high 32 bits, the file's row
number in the low ones. It is unique without asking a sequence for each row (which cost
PostgreSQL a third of its COPY time) and lets an import find a row it wrote again.
"""

from __future__ import annotations

import io

import polars as pl
from django.db import connection

from .models import ID_HASH_BYTES, RosterEntry

COLUMNS = ("id", "term", "roster_id", "id_hash", "id_masked", "name", "sex", "birth_date", "school", "school_type",
           "grade", "migrant_worker")


ROW_BITS = 32
FREE_TEXT = ("name", "school")
CSV_SPECIAL = [",", '"', "\n", "\r"]


def entry_id(job_id: int, row: int) -> int:
    return (job_id << ROW_BITS) | row


def row_of(entry: int) -> int:
    return entry & ((1 << ROW_BITS) - 1)


def entry_frame(good: pl.DataFrame, term: str, job_id: int) -> pl.DataFrame:
    """The rows as the table stores them, rows of one roster together (BRIN depends on that)."""
    return good.sort("roster_id").select(
        (pl.lit(job_id << ROW_BITS, dtype=pl.Int64) + pl.col("row")).alias("id"),
        pl.lit(term).alias("term"),
        "roster_id",
        pl.col("id_hash"),  # 64 hex digits; the writer keeps the first 32 (16 bytes)
        pl.col("id_masked"),
        pl.col("name"),
        pl.col("sex"),
        # The text as written when it already is ISO 8601 (most files): formatting dates costs more.
        pl.when((pl.col("birth_date").str.len_bytes() == 10) & (pl.col("birth_date").str.slice(4, 1) == "-")
                & (pl.col("birth_date").str.slice(7, 1) == "-")).then(pl.col("birth_date"))
        .otherwise(pl.col("birth").cast(pl.String)).alias("birth_date"),
        pl.col("school"),
        pl.col("type_value").alias("school_type"),
        pl.col("grade_value").alias("grade"),
        pl.col("migrant_value").alias("migrant_worker"),
    )


class EntryWriter:
    """Writes one batch at a time: `prepare(frame)` makes what is sent (no database), `start(payload)`
    sends it, `finish()` waits until it is stored."""

    def prepare(self, frame: pl.DataFrame):
        return frame

    def start(self, payload) -> None:
        raise NotImplementedError

    def finish(self) -> None:
        pass


class PostgresCopyWriter(EntryWriter):
    def __init__(self, table: str):
        self.table = table
        self._copy_context = None
        self._cursor = None

    def prepare(self, frame: pl.DataFrame) -> io.BytesIO:
        data = io.BytesIO()
        # Looking for a character that needs quoting costs a third of what quoting "as necessary" does.
        # Only the names are free text: the other columns are digits, dates, 男/女 and the term.
        plain = not frame.select(pl.any_horizontal(pl.col(c).str.contains_any(CSV_SPECIAL).any()
                                                   for c in FREE_TEXT)).item()
        (frame.with_columns(pl.concat_str([pl.lit("\\x"), pl.col("id_hash").str.slice(0, 2 * ID_HASH_BYTES)])
                            .alias("id_hash"))
         .write_csv(data, include_header=False, quote_style="never" if plain else "necessary"))
        return data

    def start(self, data: io.BytesIO) -> None:
        from psycopg.copy import QueuedLibpqWriter

        table = connection.ops.quote_name(self.table)
        self._cursor = connection.cursor()
        raw = self._cursor.cursor
        # A batch goes to staging rosters that nothing reads: it need not wait for its WAL to reach the
        # disk. The import's last transaction, which makes them current, does wait — and flushes all
        # WAL before it. A crash before then loses staging rows that recovery discards anyway.
        raw.execute("SET LOCAL synchronous_commit TO OFF")
        self._copy_context = raw.copy(f"COPY {table} ({', '.join(COLUMNS)}) FROM STDIN (FORMAT csv)",
                                      writer=QueuedLibpqWriter(raw))
        copy = self._copy_context.__enter__()
        view = data.getbuffer()
        for start in range(0, len(view), 1 << 20):
            copy.write(view[start:start + (1 << 20)])
        view.release()

    def finish(self) -> None:
        if self._copy_context is None:
            return
        try:
            self._copy_context.__exit__(None, None, None)
        finally:
            self._copy_context = None
            self._cursor.close()

    def abort(self, error: BaseException) -> None:
        if self._copy_context is not None:
            try:
                self._copy_context.__exit__(type(error), error, error.__traceback__)
            finally:
                self._copy_context = None
                self._cursor.close()


class ExecutemanyWriter(EntryWriter):
    def prepare(self, frame: pl.DataFrame) -> pl.DataFrame:
        return frame.with_columns(pl.col("id_hash").str.slice(0, 2 * ID_HASH_BYTES).str.decode("hex"),
                                  pl.col("birth_date").cast(pl.String))

    def start(self, frame: pl.DataFrame) -> None:
        table = connection.ops.quote_name(RosterEntry._meta.db_table)
        sql = f"INSERT INTO {table} ({', '.join(COLUMNS)}) VALUES ({', '.join(['%s'] * len(COLUMNS))})"
        with connection.cursor() as cursor:
            cursor.executemany(sql, frame.iter_rows())

    def abort(self, error: BaseException) -> None:
        pass


def writer_for_connection(partition: str) -> EntryWriter:
    """`partition`: the table of the term's entries on PostgreSQL (the one table on SQLite)."""
    return PostgresCopyWriter(partition) if connection.vendor == "postgresql" else ExecutemanyWriter()
