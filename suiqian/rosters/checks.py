"""Checking a batch of roster rows, column by column over the whole batch at once.

Every rule is a polars expression, so a batch of 100,000 rows is checked in a few passes
in Rust rather than 100,000 turns of a Python loop. Each rule first gives a yes/no for
every row; only the rows with a "no" (a few in a hundred) get their reasons spelled out,
joined with "；". The 身份证号 check digit follows stdnum's formula (see
`identity.checksum_digit_expr`), and the wording for a bad number comes from stdnum.
A number listed twice is found by `duplicates` once the whole file has been read.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from . import duplicates, identity
from .columns import MAX_NAME, MAX_SCHOOL, SCHOOL_TYPES, SEXES, YES_NO
from .models import SchoolType

REASON_SEPARATOR = "；"
DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y%m%d", "%Y年%m月%d日")
SCHOOL_TYPE_VALUES = {label: int(getattr(SchoolType, code.upper())) for label, code in SCHOOL_TYPES.items()}
GRADES = range(1, 10)


@dataclass
class UnitTable:
    """The county-level units a row may name: code → id, and why the importer may not import for it (or None)."""

    frame: pl.DataFrame  # unit_code (str), unit_id (i64), denied (str | null)

    @classmethod
    def of(cls, units: list[tuple[str, int, str | None]]) -> UnitTable:
        frame = pl.DataFrame(units, schema={"unit_code": pl.String, "unit_id": pl.Int64, "denied": pl.String},
                             orient="row")
        return cls(frame)


def parse_dates(column: pl.Series) -> pl.Series:
    """ISO dates in one pass; the other ways people write dates only for the few rows that need them."""
    parsed = column.str.to_date(DATE_FORMATS[0], strict=False)
    if not (parsed.is_null() & column.is_not_null()).any():
        return parsed
    for fmt in DATE_FORMATS[1:]:
        parsed = parsed.fill_null(column.str.to_date(fmt, strict=False))
    return parsed


# --- the yes/no of every rule, for every row ---------------------------------------------

def _id_columns(batch: pl.DataFrame) -> pl.DataFrame:
    """What the 身份证号 says, from one base-10 and one base-13 reading of its first 17 digits."""
    id_number = pl.col("id_number")
    batch = batch.with_columns(
        pl.when(id_number.str.ends_with("x")).then(id_number.str.to_uppercase()).otherwise(id_number)
        .alias("id_number"))
    body = pl.col("id_number").str.slice(0, 17)
    batch = batch.with_columns(
        id_digits=body.str.to_integer(strict=False),
        id_check=identity.checksum_digit_expr(body),
    )
    digits = pl.col("id_digits")
    return batch.with_columns(
        # Address codes start at 11, so 17 real digits are at least 10^16 (this also refuses a sign).
        id_shape_ok=((pl.col("id_number").str.len_bytes() == 18) & (digits >= 10**16)
                     & (pl.col("id_number").str.slice(17, 1) == pl.col("id_check"))).fill_null(False),
        id_birth_int=(digits // 1000) % 100_000_000,
        id_male=(digits % 2) == 1,
    )


def normalized(batch: pl.DataFrame, units: UnitTable) -> pl.DataFrame:
    """Typed columns beside the text, and `ok`: whether every rule holds."""
    batch = _id_columns(batch.with_columns(birth=parse_dates(batch["birth_date"])))
    birth = pl.col("birth")
    batch = batch.with_columns(
        birth_matches_id=(birth.dt.year().cast(pl.Int64) * 10000 + birth.dt.month().cast(pl.Int64) * 100
                          + birth.dt.day().cast(pl.Int64)) == pl.col("id_birth_int"),
        grade_value=pl.col("grade").str.to_integer(strict=False),
        type_value=pl.col("school_type").replace_strict(SCHOOL_TYPE_VALUES, default=None, return_dtype=pl.Int16),
        migrant_value=pl.col("migrant_worker").replace_strict(YES_NO, default=None, return_dtype=pl.Boolean),
    ).join(units.frame, on="unit_code", how="left", maintain_order="left")
    batch = batch.with_columns(id_ok=pl.col("id_shape_ok") & _id_date_valid(batch))
    ok = pl.all_horizontal(
        pl.col("id_ok"),
        pl.col("birth_matches_id").fill_null(False),
        pl.col("name").str.len_chars().is_between(1, MAX_NAME).fill_null(False),
        pl.col("school").str.len_chars().is_between(1, MAX_SCHOOL).fill_null(False),
        ((pl.col("sex") == "男") == pl.col("id_male")).fill_null(False) & pl.col("sex").is_in(SEXES),
        pl.col("grade_value").is_between(GRADES.start, GRADES.stop - 1).fill_null(False),
        pl.col("type_value").is_not_null(),
        pl.col("migrant_value").is_not_null(),
        pl.col("unit_id").is_not_null() & pl.col("denied").is_null(),
    )
    return batch.with_columns(ok=ok)


def _id_date_valid(batch: pl.DataFrame) -> pl.Series:
    """A birth date in the 身份证号 equal to a real date in 出生日期 is real; only the others are parsed."""
    valid = batch["birth_matches_id"].fill_null(False)
    suspect = batch.select(pl.arg_where(pl.col("id_shape_ok") & ~pl.col("birth_matches_id").fill_null(False)))
    positions = suspect.to_series()
    if positions.len():
        dates = identity.birth_date_expr("id_number")
        parsed = batch[positions].select(dates.is_not_null()).to_series()
        valid = valid.scatter(positions, parsed)
    return valid


# --- the reasons, for the rows that need them -------------------------------------------------

def _reason(condition: pl.Expr, message: str | pl.Expr) -> pl.Expr:
    return pl.when(condition).then(pl.lit(message) if isinstance(message, str) else message)


def reasons() -> list[pl.Expr]:
    id_ok = pl.col("id_ok")
    sex_known = pl.col("sex").is_in(SEXES).fill_null(False)
    grade = pl.col("grade_value")
    id_birth = identity.birth_date_expr("id_number").dt.strftime("%Y-%m-%d")
    return [
        _reason(pl.col("id_number").is_null(), "身份证号为空"),
        _reason(pl.col("id_number").is_not_null() & ~id_ok, "身份证号无效"),  # stdnum's words replace this
        _reason(pl.col("name").is_null(), "姓名为空"),
        _reason(pl.col("name").str.len_chars() > MAX_NAME, f"姓名超过 {MAX_NAME} 个字"),
        _reason(~sex_known, "性别应为 男 或 女"),
        _reason(id_ok & sex_known & ((pl.col("sex") == "男") != pl.col("id_male")), "性别与身份证号不符"),
        _reason(pl.col("birth").is_null(), "出生日期缺失或无法识别（应为 2012-09-01 这样的日期）"),
        _reason(id_ok & pl.col("birth").is_not_null() & ~pl.col("birth_matches_id"),
                pl.concat_str([pl.lit("出生日期与身份证号不符（身份证号为 "), id_birth, pl.lit("）")])),
        _reason(pl.col("school").is_null(), "学校名称为空"),
        _reason(pl.col("school").str.len_chars() > MAX_SCHOOL, f"学校名称超过 {MAX_SCHOOL} 个字"),
        _reason(pl.col("type_value").is_null(), "学校类型应为 公办、民办 或 政府购买学位"),
        _reason(grade.is_null() | ~grade.is_between(GRADES.start, GRADES.stop - 1),
                pl.concat_str([pl.lit("年级应为 1–9（小学 1–6，初中 7–9），此处为“"),
                               pl.col("grade").fill_null(""), pl.lit("”")])),
        _reason(pl.col("migrant_value").is_null(), "进城务工人员随迁子女应填 是 或 否"),
        _reason(pl.col("unit_id").is_null(), "县区代码不存在或不是县级单位"),
        pl.col("denied"),
    ]


def spelled_out(bad: pl.DataFrame) -> pl.DataFrame:
    """The bad rows with `reason`; a bad 身份证号 explained in stdnum's terms."""
    bad = bad.with_columns(reason=pl.concat_str(reasons(), separator=REASON_SEPARATOR, ignore_nulls=True))
    invalid = bad.filter(pl.col("id_number").is_not_null() & ~pl.col("id_ok"))
    if invalid.is_empty():
        return bad
    words = {row: identity.explain_invalid(number) or "身份证号无效"
             for row, number in invalid.select("row", "id_number").iter_rows()}
    detail = pl.DataFrame({"row": list(words), "id_reason": list(words.values())},
                          schema={"row": pl.Int64, "id_reason": pl.String})
    return (bad.join(detail, on="row", how="left", maintain_order="left")
            .with_columns(reason=pl.when(pl.col("id_reason").is_not_null())
                          .then(pl.col("reason").str.replace("身份证号无效", pl.col("id_reason"), literal=True))
                          .otherwise(pl.col("reason")))
            .drop("id_reason"))


# --- a batch -------------------------------------------------------------------------------------

# What the writer needs of a good row (filtering copies every column kept, so only these are).
GOOD_COLUMNS = ("row", "id_number", "id_hash", "unit_id", "name", "sex", "birth", "birth_date", "school",
                "type_value", "grade_value", "migrant_value")


@dataclass
class CheckedBatch:
    good: pl.DataFrame  # typed columns and `id_hash` (hex)
    bad: pl.DataFrame  # row, id_number, name, unit_code, reason
    keys: pl.DataFrame  # k1, k2, row: the hash of every usable 身份证号, good row or bad, for `duplicates`


def check_batch(batch: pl.DataFrame, units: UnitTable) -> CheckedBatch:
    """Every rule but one: a number the file lists twice is found once the whole file is read (`duplicates`)."""
    checked = normalized(batch, units).with_columns(id_hash=identity.hash_expr("id_number"))
    keys = checked.filter(pl.col("id_ok")).select(*duplicates.key_columns(pl.col("id_hash")), "row")
    bad = checked.filter(~pl.col("ok"))
    bad = spelled_out(bad) if bad.height else bad.with_columns(reason=pl.lit(None, pl.String))
    good = checked.select(*GOOD_COLUMNS, "ok").filter(pl.col("ok")).drop("ok")
    return CheckedBatch(good, bad.select("row", "id_number", "name", "unit_code", "reason"), keys)
