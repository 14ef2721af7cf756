"""Finding a 身份证号 that a file lists twice, in memory that does not grow with the file.

Each batch's keys (128 bits derived from the HMAC, as two 64-bit integers, with the row)
go into one of `BUCKETS` buckets by their top bits; once `BUFFER_ROWS` keys are buffered, each
bucket's are spilled to a file of its own. When the file has been read, the buckets are read
back one at a time — a sixty-fourth of the keys — and grouped: every row whose key an earlier
row has is a duplicate of the first such row. A file of 14 million rows spills about 340 MB
to disk and holds at most 12 MB of keys in memory while reading, ~5 MB at the end.

128 bits, like the stored hash: two different children never share a key in practice. Only keyed
hashes reach the disk, never a number.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import polars as pl
from django.db import connection

BUCKET_BITS = 6
BUCKETS = 1 << BUCKET_BITS
BUFFER_ROWS = 500_000  # 500,000 keys × 24 bytes = 12 MB buffered at most; then every bucket is spilled
SCHEMA = {"k1": pl.UInt64, "k2": pl.UInt64, "row": pl.Int64}


def key_columns(hex_hash: pl.Expr) -> list[pl.Expr]:
    """128 bits for a number: polars' own 64-bit hash of its HMAC under two seeds (four times faster
    than parsing the hex). Only ever compared within one import, so that hash need not be stable."""
    return [hex_hash.hash(seed=1).alias("k1"), hex_hash.hash(seed=2).alias("k2")]


def key_directory_prefix(job_id: int) -> str:
    """The temp directory of one import's spilled keys is named after its database and job, so that the
    recovery of a job whose worker died removes that job's keys and nothing of another import."""
    database = Path(str(connection.settings_dict["NAME"])).name
    return f"roster-keys-{database}-job{job_id}-"


def remove_key_directories(job_id: int, directory: Path | None = None) -> int:
    """Remove what a dead import of `job_id` left in the temp directory; the number of directories removed."""
    found = list(Path(directory or tempfile.gettempdir()).glob(key_directory_prefix(job_id) + "*"))
    for path in found:
        shutil.rmtree(path, ignore_errors=True)
    return len(found)


class DuplicateFinder:
    def __init__(self, job_id: int, directory: Path | None = None):
        self.directory = Path(tempfile.mkdtemp(prefix=key_directory_prefix(job_id), dir=directory))
        self.buffers: list[list[pl.DataFrame]] = [[] for _ in range(BUCKETS)]
        self.buffered = 0
        self.files: list[list[Path]] = [[] for _ in range(BUCKETS)]
        self.set_aside_files: list[Path] = []

    def add(self, keys: pl.DataFrame) -> None:
        """Keys of usable numbers: k1, k2, row."""
        if keys.is_empty():
            return
        bucket = (pl.col("k1") // (1 << (64 - BUCKET_BITS))).cast(pl.Int32)
        keys = keys.select(list(SCHEMA)).with_columns(bucket=bucket)
        for (bucket,), part in keys.partition_by("bucket", as_dict=True, include_key=False).items():
            self.buffers[bucket].append(part)
        self.buffered += keys.height
        if self.buffered >= BUFFER_ROWS:
            self._spill()

    def _spill(self) -> None:
        for bucket, parts in enumerate(self.buffers):
            if parts:
                path = self.directory / f"{bucket}-{len(self.files[bucket])}.arrow"
                pl.concat(parts).write_ipc(path)
                self.files[bucket].append(path)
        self.buffers, self.buffered = [[] for _ in range(BUCKETS)], 0

    def duplicates(self) -> pl.DataFrame:
        """Every row that repeats an earlier row's number: row, duplicate_of (the first row with it)."""
        found = []
        for bucket in range(BUCKETS):
            parts = [pl.read_ipc(path) for path in self.files[bucket]] + self.buffers[bucket]
            self.buffers[bucket] = []
            if not parts:
                continue
            keys = pl.concat(parts)
            del parts
            # Most buckets have no repeated key: half a key finds the candidates cheaply, both halves decide.
            keys = keys.filter(pl.col("k1").is_duplicated())
            if keys.is_empty():
                continue
            repeated = (keys.with_columns(first=pl.col("row").min().over("k1", "k2"))
                        .filter(pl.col("row") != pl.col("first")))
            if repeated.height:
                found.append(repeated.select("row", pl.col("first").alias("duplicate_of")))
        if not found:
            return pl.DataFrame(schema={"row": pl.Int64, "duplicate_of": pl.Int64})
        return pl.concat(found).sort("row")

    def set_aside(self, rows: pl.DataFrame) -> None:
        """Rows that are not written (an import that already fails) but may turn out to repeat a number:
        what the list of bad rows shows of them (row, masked, name, unit_code), kept on disk."""
        if rows.is_empty():
            return
        path = self.directory / f"aside-{len(self.set_aside_files)}.arrow"
        rows.write_ipc(path)
        self.set_aside_files.append(path)

    def set_aside_rows(self, rows: list[int]) -> pl.DataFrame:
        if not self.set_aside_files or not rows:
            return pl.DataFrame(schema={"row": pl.Int64, "masked": pl.String, "name": pl.String,
                                        "unit_code": pl.String})
        return pl.scan_ipc(self.set_aside_files).filter(pl.col("row").is_in(rows)).collect()

    def close(self) -> None:
        shutil.rmtree(self.directory, ignore_errors=True)
