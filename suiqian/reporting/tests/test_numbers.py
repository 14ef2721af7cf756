import pytest

from suiqian.reporting.numbers import CountError, parse_count


@pytest.mark.parametrize("typed, value", [
    ("12788", 12788), ("12,788", 12788), ("１２７８８", 12788), ("１２，７８８", 12788), (" 12788 ", 12788),
    ("\u300012788\u3000", 12788), ("+5", 5), ("0", 0), ("", None), ("   ", None), (None, None),
    (12788, 12788), (12788.0, 12788),
])
def test_it_accepts_counts_as_people_type_them(typed, value):
    assert parse_count(typed) == value


@pytest.mark.parametrize("typed, message", [
    ("-1", "不能是负数"), ("－１", "不能是负数"), ("12.5", "不能是小数"), ("12.0", "不能是小数"), (12.5, "不能是小数"),
    ("abc", "不是数字"), ("十二", "不是数字"), ("1,23", "不是数字"), ("12 788x", "不是数字"), ("١٢", "不是数字"),
    ("99999999999", "数值过大"),
])
def test_it_refuses_what_is_not_a_count_and_names_the_field(typed, message):
    with pytest.raises(CountError, match=message) as e:
        parse_count(typed, "中考报名人数")
    assert "“中考报名人数”" in str(e.value)
