"""The bad rows of an import as the importer gets them back: a count per kind of error, the first
rows for the page, and every row in a CSV file (row number, masked number, name, county, reasons).

Rows arrive in file order, batch by batch, and are written as they come. Numbers that the file
lists twice are known only at the end (see `duplicates`): `add_duplicates` then merges them in,
appending the reason to a row already listed and listing the others, and writes the file again.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from suiqian.lib.tabular import neutralize

from . import identity
from .checks import REASON_SEPARATOR

SAMPLE_ROWS = 100
DUPLICATE_KIND = "身份证号与前面的行重复"
HEADER = ("行号", "身份证号（已隐去部分）", "姓名", "县区代码", "错误原因")
NAMES = ("row", "masked", "name", "unit_code", "reason")


def duplicate_reason(first_row: pl.Expr) -> pl.Expr:
    return pl.concat_str([pl.lit("身份证号与第 "), first_row.cast(pl.String), pl.lit(" 行重复")])


@dataclass
class BadRows:
    path: Path
    count: int = 0
    sample: list = field(default_factory=list)
    reasons: dict = field(default_factory=dict)  # each kind of error → rows with it
    _file: object = None

    def add(self, bad: pl.DataFrame) -> None:
        """Rows with their reasons: row, id_number, name, unit_code, reason."""
        if bad.is_empty():
            return
        rows = bad.select("row", identity.mask_expr("id_number").fill_null(""), pl.col("name").fill_null(""),
                          pl.col("unit_code").fill_null(""), "reason").rows()
        self._write(rows)
        kinds = (bad.select(pl.col("reason").str.split(REASON_SEPARATOR).alias("kind")).explode("kind")
                 .group_by("kind").len())
        for kind, n in kinds.iter_rows():
            if kind:
                self.reasons[kind] = self.reasons.get(kind, 0) + n
        room = SAMPLE_ROWS - len(self.sample)
        if room > 0:
            self.sample.extend([row, masked, reason] for row, masked, _, _, reason in rows[:room])

    def _write(self, rows) -> None:
        if self._file is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._file = open(self.path, "w", encoding="utf-8-sig", newline="")
            self._writer = csv.writer(self._file)
            self._writer.writerow(HEADER)
        self._writer.writerows([[neutralize(v) for v in row] for row in rows])
        self.count += len(rows)

    def add_duplicates(self, duplicates: pl.DataFrame, written: pl.DataFrame) -> None:
        """`duplicates`: row, duplicate_of. `written`: the masked number, name and county of those among
        them that passed every other rule (row, masked, name, unit_code), read back from the database."""
        if duplicates.is_empty():
            return
        self.close()
        listed = self._read()
        reason = duplicate_reason(pl.col("duplicate_of"))
        amended = (listed.join(duplicates, on="row", how="left")
                   .with_columns(reason=pl.when(pl.col("duplicate_of").is_null()).then(pl.col("reason"))
                                 .otherwise(pl.concat_str([pl.col("reason"), reason], separator=REASON_SEPARATOR)))
                   .drop("duplicate_of"))
        added = (written.join(duplicates, on="row").with_columns(reason=reason)
                 .select(pl.col("row"), *[pl.col(n).map_elements(neutralize, return_dtype=pl.String)
                                          for n in NAMES[1:]]))
        merged = pl.concat([amended, added]).sort("row")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path, "w", encoding="utf-8-sig", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(HEADER)
            writer.writerows(merged.iter_rows())
        self.count = merged.height
        self.reasons[DUPLICATE_KIND] = self.reasons.get(DUPLICATE_KIND, 0) + duplicates.height
        self.sample = [[row, masked, reason] for row, masked, _, _, reason
                       in merged.head(SAMPLE_ROWS).iter_rows()]

    def _read(self) -> pl.DataFrame:
        schema = dict(zip(NAMES, (pl.Int64, pl.String, pl.String, pl.String, pl.String), strict=True))
        if not self.count:
            return pl.DataFrame(schema=schema)
        with open(self.path, encoding="utf-8-sig", newline="") as f:
            rows = list(csv.reader(f))[1:]
        return pl.DataFrame([(int(r[0]), *r[1:]) for r in rows], schema=schema, orient="row")

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
