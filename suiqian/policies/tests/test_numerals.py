import pytest

from suiqian.policies.numerals import NumeralError, find_durations, parse_duration, parse_number


@pytest.mark.parametrize("text, value", [
    ("18", 18), ("１２", 12), ("十", 10), ("十八", 18), ("二十四", 24), ("三十六", 36), ("两", 2),
    ("一百零五", 105), ("二〇二一", 2021), ("1.5", 1.5),
])
def test_it_parses_chinese_and_arabic_numbers(text, value):
    assert parse_number(text) == value


def test_it_rejects_what_is_not_a_number():
    with pytest.raises(NumeralError):
        parse_number("半")


@pytest.mark.parametrize("text, months", [
    ("半年", 6), ("六个月", 6), ("满1年", 12), ("一年以上", 12), ("12个月", 12), ("两年", 24),
    ("三周年", 36), ("连续缴纳社保满二十四个月", 24), ("十八个月", 18), ("1年半", 18), ("一年半", 18),
    ("满6月", 6), ("1.5年", 18), ("不少于十二个月", 12),
])
def test_it_reads_durations_in_months(text, months):
    assert parse_duration(text) == months


@pytest.mark.parametrize("text", [
    "2021年9月1日起执行", "8月31日前出生", "年满6周岁", "一年级新生", "九年义务教育", "二〇二一年", "第一年", "2021年度",
])
def test_it_does_not_read_dates_ages_or_grades_as_durations(text):
    assert find_durations(text) == []


def test_it_keeps_the_offsets_of_each_duration():
    text = "在本县居住满两年，缴纳社保满十八个月"
    assert [(d.text, d.months, text[d.start:d.end]) for d in find_durations(text)] == [
        ("两年", 24, "两年"), ("十八个月", 18, "十八个月")]
