"""Property tests (Hypothesis) for the two places where users' text meets the engine."""

import ast

from hypothesis import given, settings
from hypothesis import strategies as st

from suiqian.reporting.formspec import FORMS_DIR, read_form_file
from suiqian.reporting.numbers import CountError, parse_count
from suiqian.reporting.rules import ALLOWED_NODES, RuleSyntaxError, check_expression, evaluate

FULL_WIDTH = str.maketrans("0123456789,", "０１２３４５６７８９，")
SPEC = read_form_file(FORMS_DIR / "summary-2021.yaml")
FIELDS = SPEC.field_codes


@given(st.integers(min_value=0, max_value=2_000_000_000), st.sampled_from(["plain", "grouped", "full", "spaced"]))
def test_every_count_however_typed_reads_back(n, style):
    text = {"plain": str(n), "grouped": f"{n:,}", "full": f"{n:,}".translate(FULL_WIDTH),
            "spaced": f"  {n}\u3000"}[style]
    assert parse_count(text) == n


@given(st.text(max_size=30))
@settings(max_examples=500)
def test_any_text_is_a_count_or_a_chinese_message_never_a_crash(text):
    try:
        value = parse_count(text, "某项")
    except CountError as e:
        assert "某项" in str(e)
    else:
        assert value is None or (isinstance(value, int) and 0 <= value <= 2_000_000_000)


@given(st.floats(allow_nan=True, allow_infinity=True))
def test_any_spreadsheet_number_is_a_count_or_refused(number):
    try:
        value = parse_count(number, "某项")
    except CountError:
        assert number != number or not float(number).is_integer() or number < 0 or abs(number) > 2_000_000_000
    else:
        assert value == int(number)


values = st.dictionaries(st.sampled_from(FIELDS), st.one_of(st.none(), st.integers(0, 10**7)))


@given(values, values)
@settings(max_examples=300)
def test_the_rules_never_crash_and_sum_rules_agree_with_arithmetic(current, previous):
    findings = evaluate(SPEC, current, previous)
    flagged = {f.rule for f in findings}
    parts = [current.get(c) for c in ("public_school_primary", "public_school_junior", "public_school_total")]
    if None not in parts:
        assert ("public_school_sum" in flagged) == (parts[0] + parts[1] != parts[2])
    else:
        assert "public_school_sum" not in flagged


@given(st.text(max_size=60))
@settings(max_examples=500)
def test_a_rule_expression_is_parsed_never_run(expr):
    try:
        names = check_expression(expr, set(FIELDS))
    except RuleSyntaxError:
        return
    tree = ast.parse(expr, mode="eval")
    calls = {n.func.id for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}
    assert calls <= {"abs", "min", "max"} and names <= set(FIELDS)
    assert all(isinstance(node, ALLOWED_NODES) for node in ast.walk(tree))


def test_attribute_access_and_other_syntax_are_refused():
    for expr in ["gaokao_applicants.__class__", "[x for x in ()]", "lambda: 1", "gaokao_applicants[0]",
                 "'a' == 'a'", "(lambda: 1)()"]:
        try:
            check_expression(expr, set(FIELDS))
        except RuleSyntaxError as e:
            assert "不允许" in str(e) or "只能有数字" in str(e)
        else:
            raise AssertionError(f"accepted: {expr}")
