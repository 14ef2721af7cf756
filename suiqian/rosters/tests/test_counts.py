"""附件3's counts from the rosters, and the comparison with what the county typed into 附件3."""

import pytest

from suiqian.accounts.scope import OutOfScope, Scope
from suiqian.reporting import services as reporting
from suiqian.rosters import queries
from suiqian.rosters.tests.conftest import unit
from suiqian.rosters.tests.factories import child, import_rows

FALL = "2021-fall"


@pytest.fixture
def zezhou_fall(operator, tmp_path):
    """泽州县, fall 2021: 4 primary and 3 junior children of migrant workers, 2 other migrant children."""
    rows = [
        child(1, grade=1), child(2, grade=6), child(3, grade=2, school_type="政府购买学位"),
        child(4, grade=3, school_type="民办"),
        child(5, grade=7), child(6, grade=9, school_type="政府购买学位"), child(7, grade=8, school_type="政府购买学位"),
        child(8, grade=4, migrant_worker="否"), child(9, grade=7, migrant_worker="否", school_type="政府购买学位"),
    ]
    import_rows(operator, None, tmp_path, rows, FALL)
    import_rows(operator, None, tmp_path, [child(20, "140521", grade=1)], FALL, name="qinshui.csv")
    return rows


def test_the_rosters_give_the_summary_forms_counts(zezhou_fall, county_user):
    counts = queries.roster_counts(Scope.of(county_user), unit("140525"), FALL)
    assert counts.fields == {
        "migrant_children_total": 9, "migrant_worker_children_total": 7,
        "public_school_primary": 2, "public_school_junior": 1, "public_school_total": 3,
        "purchased_places_primary": 1, "purchased_places_junior": 2, "purchased_places_total": 3,
    }
    assert (counts.counties_reported, counts.counties_total) == (1, 1)


def test_a_city_counts_its_counties_and_a_sibling_sees_nothing(zezhou_fall, city_user, sibling_county_user):
    counts = queries.roster_counts(Scope.of(city_user), unit("140500"), FALL)
    assert counts.fields["migrant_children_total"] == 10
    assert counts.counties_reported == 2 and counts.counties_total == 6
    with pytest.raises(OutOfScope):
        queries.roster_counts(Scope.of(sibling_county_user), unit("140525"), FALL)


def test_the_comparison_flags_what_differs_from_the_typed_summary(zezhou_fall, summary_form, county_user):
    typed = {"migrant_children_total": "9", "migrant_worker_children_total": "8",
             "public_school_primary": "2", "public_school_junior": "1", "public_school_total": "3",
             "purchased_places_primary": "1", "purchased_places_junior": "1", "purchased_places_total": "2"}
    scope = Scope.of(county_user)
    reporting.save_values(scope, county_user, summary_form, unit("140525"), typed)
    comparison = queries.compare_with_summary(scope, unit("140525"), FALL)
    verdicts = {r.code: (r.from_rosters, r.typed, r.difference, r.verdict) for r in comparison.rows}
    assert verdicts["migrant_worker_children_total"] == (7, 8, -1, "不一致")
    assert verdicts["purchased_places_junior"] == (2, 1, 1, "不一致")
    assert verdicts["purchased_places_total"] == (3, 2, 1, "不一致")
    assert verdicts["migrant_children_total"] == (9, 9, 0, "一致")
    assert comparison.differences == 3
    assert comparison.rows[0].label == "义务教育阶段随迁子女总数"


def test_a_spring_term_has_no_summary_form_to_compare(operator, tmp_path, summary_form, county_user):
    import_rows(operator, None, tmp_path, [child(1)], "2022-spring")
    comparison = queries.compare_with_summary(Scope.of(county_user), unit("140525"), "2022-spring")
    assert comparison.form is None
    assert comparison.rows[0].from_rosters == 1 and comparison.rows[0].verdict == "附件3 未填"
