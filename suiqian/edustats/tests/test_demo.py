from django.core.management import call_command

from suiqian.accounts.scope import Scope

from .. import queries
from ..models import EduStatistics


def test_demo_statistics_agree_with_the_demo_forms_but_one_county(seeded_notices, capsys):
    call_command("demo", "data")
    call_command("demo", "data")  # idempotent
    assert EduStatistics.objects.filter(year=2021).count() == 6
    assert set(EduStatistics.objects.values_list("status", flat=True)) == {"submitted", "approved"}
    rows = queries.differences(Scope.system(), 2021)
    assert sorted((d.unit.code, d.field, d.difference) for d in rows) == [
        ("140522", "public_school_primary", 12), ("140522", "public_school_total", 12)]
