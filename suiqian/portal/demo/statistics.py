"""Demo statistics for 晋城市's counties, so the comparison with 附件3 has something to show.

Each county's figures agree with its demo 附件3 except 阳城县's, whose statistics count 12 fewer
children in public primary schools; 泽州县 (left for the demo user to fill) has its figures reported.
"""

from suiqian.accounts.scope import Scope
from suiqian.divisions.models import Division
from suiqian.reporting.models import Report

from suiqian.edustats import services
from suiqian.edustats.models import EduStatistics

ZEZHOU = {"migrant_children_primary": 2380, "migrant_children_junior": 1120,
          "migrant_worker_children_primary": 2142, "migrant_worker_children_junior": 1008,
          "public_school_primary": 2034, "public_school_junior": 967,
          "purchased_places_primary": 42, "purchased_places_junior": 10}
DIFFERING = {"140522": {"public_school_primary": -12}}
APPROVED = ("140502", "140521")


def _split(total: int, primary_floor: int, junior_floor: int) -> tuple[int, int]:
    """Two parts of `total`, each at least its floor, the slack shared."""
    slack = max(total - primary_floor - junior_floor, 0)
    return primary_floor + slack - slack // 2, junior_floor + slack // 2


def figures_from_form(values: dict[str, int]) -> dict[str, int]:
    """Statistics that agree with a county's 附件3 (which has only totals for the children)."""
    public = values["public_school_primary"], values["public_school_junior"]
    bought = values["purchased_places_primary"], values["purchased_places_junior"]
    worker = _split(values["migrant_worker_children_total"], public[0] + bought[0], public[1] + bought[1])
    children = _split(values["migrant_children_total"], *worker)
    return {"migrant_children_primary": children[0], "migrant_children_junior": children[1],
            "migrant_worker_children_primary": worker[0], "migrant_worker_children_junior": worker[1],
            "public_school_primary": public[0], "public_school_junior": public[1],
            "purchased_places_primary": bought[0], "purchased_places_junior": bought[1]}


def create_demo_statistics(city_user, year: int = 2021) -> int:
    """Idempotent: counties that already have statistics for the year are left as they are."""
    system, city = Scope.system(), Scope.of(city_user)
    created = 0
    for unit in Division.objects.filter(parent__code="140500", valid_to__isnull=True).order_by("code"):
        if EduStatistics.objects.filter(unit=unit, year=year).exists():
            continue
        report = Report.objects.filter(unit=unit, year=year).first()
        values = figures_from_form(report.value_map()) if report else dict(ZEZHOU)
        for code, change in DIFFERING.get(unit.code, {}).items():
            values[code] += change
        record = services.save_figures(system, None, unit, year, {k: str(v) for k, v in values.items()})
        record = services.submit(system, None, record)
        if unit.code in APPROVED:
            services.approve(city, city_user, record)
        created += 1
    return created
