"""The 身份证号 as the platform keeps it: a keyed hash for matching, a masked form for display.

The plain number never reaches the database. The hash is HMAC-SHA256 under a key that
only the platform holds, so that a leaked table cannot be reversed by hashing every
possible number (there are only about 10^11 plausible ones per birth year).
"""

from __future__ import annotations

import hashlib
import hmac
from functools import lru_cache

import polars as pl
from django.conf import settings
from stdnum import exceptions as stdnum_errors
from stdnum.cn import ric

try:
    import polars_hash as plh
except ImportError:  # the pinned dependency is missing: hash in Python, a few times slower, same bytes
    plh = None

KEY_LABEL = b"suiqian.rosters.id-hash.v1"
ID_PATTERN = r"^\d{17}[\dX]$"
MASK_STARS = "*" * 8


@lru_cache(maxsize=4)
def _key_for(roster_key: str | None, secret_key: str) -> str:
    if roster_key:
        return roster_key
    # Derived rather than the SECRET_KEY itself, so that the hash reveals nothing about it.
    return hmac.new(secret_key.encode(), KEY_LABEL, hashlib.sha256).hexdigest()


def id_key() -> str:
    """The HMAC key. Changing it breaks matching against every roster already imported."""
    return _key_for(getattr(settings, "ROSTER_ID_KEY", None), settings.SECRET_KEY)


def normalize_id(number: str) -> str:
    return ric.compact(number or "")


def hash_id(number: str) -> bytes:
    """The stored hash of one number (the vectorised `hash_expr` gives the same bytes)."""
    return hmac.new(id_key().encode(), normalize_id(number).encode(), hashlib.sha256).digest()


def hash_expr(column: str) -> pl.Expr:
    """HMAC-SHA256 of a column of normalised numbers, as 64 hex digits, computed in Rust (polars-hash)."""
    if plh is not None:
        return plh.col(column).chash.hmac_sha256(key=id_key())
    return pl.col(column).map_batches(_hmac_hex, return_dtype=pl.String)


def _hmac_hex(numbers: pl.Series) -> pl.Series:
    key = id_key().encode()
    return pl.Series([None if n is None else hmac.new(key, n.encode(), hashlib.sha256).hexdigest()
                      for n in numbers.to_list()], dtype=pl.String)


def mask_expr(column: str) -> pl.Expr:
    """140502********1234: the first 6 (place) and last 4 digits, nothing of the birth date."""
    col = pl.col(column)
    return (pl.when(col.str.len_chars() >= 10)
            .then(pl.concat_str([col.str.slice(0, 6), pl.lit(MASK_STARS), col.str.slice(-4, 4)]))
            .otherwise(pl.lit(MASK_STARS)))


# --- checks ----------------------------------------------------------------------------

CHECK_DIGITS = {n: "1X864209753"[n] for n in range(11)}  # (1 − 2·n) mod 11 as stdnum writes it


def checksum_digit_expr(body: pl.Expr) -> pl.Expr:
    """The check digit stdnum's `calc_check_digit` gives, vectorised: (1 − 2·int(first 17, base 13)) mod 11.

    13 ≡ 2 (mod 11), so reading the 17 digits in base 13 weighs digit i by 2^(17−i) mod 11,
    the weights of GB 11643. Seventeen base-13 digits fit in a signed 64-bit integer.
    """
    remainder = body.str.to_integer(base=13, strict=False) % 11
    return remainder.replace_strict(CHECK_DIGITS, default=None, return_dtype=pl.String)


def birth_date_expr(column: str) -> pl.Expr:
    return pl.col(column).str.slice(6, 8).str.to_date("%Y%m%d", strict=False)


def explain_invalid(number: str) -> str:
    """Why stdnum refuses a number, in the words a 学籍 clerk uses."""
    number = normalize_id(number)
    try:
        if len(number) != 18:
            raise stdnum_errors.InvalidLength()
        if not number[:17].isdigit() or not (number[17].isdigit() or number[17] == "X"):
            raise stdnum_errors.InvalidFormat()
        if number[-1] != ric.calc_check_digit(number):
            raise stdnum_errors.InvalidChecksum()
        ric.get_birth_date(number)
    except stdnum_errors.InvalidLength:
        return f"身份证号应为 18 位（此处 {len(number)} 位）"
    except stdnum_errors.InvalidFormat:
        return "身份证号只能由数字组成，末位可为 X"
    except stdnum_errors.InvalidChecksum:
        return "身份证号校验位错误"
    except stdnum_errors.InvalidComponent:
        return "身份证号中的出生日期不存在"
    return ""
