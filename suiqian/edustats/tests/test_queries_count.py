from django.db import connection
from django.test.utils import CaptureQueriesContext

from suiqian.accounts.scope import Scope

from .. import queries


def test_the_province_table_reads_a_fixed_number_of_times(province_of_differences, province_user):
    with CaptureQueriesContext(connection) as captured:
        rows = queries.differences(Scope.of(province_user), 2021)
    assert len(rows) == 3
    # Forms, the counties, their figures, the reports and their values: not one read per unit.
    assert len(captured) <= 6, [q["sql"][:120] for q in captured]
