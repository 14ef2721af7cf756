"""Demo data: 晋城市's counties part-way through the 2021 summary, so every screen has something to show."""

import datetime as dt
import random
from zoneinfo import ZoneInfo

from suiqian.accounts.scope import Scope
from suiqian.divisions.models import Division

from suiqian.reporting import services
from suiqian.reporting.models import FormDefinition, Report

CHINA = ZoneInfo("Asia/Shanghai")

# 晋城市 counties and where each stands in the demo (泽州县 140525 is left for the demo user to fill).
DEMO_STATES = {"140502": "approved", "140521": "approved", "140522": "submitted", "140524": "returned",
               "140581": "draft"}


def _county_values(rng: random.Random, size: int) -> dict[str, int]:
    primary, junior = int(size * 0.68), size - int(size * 0.68)
    worker_primary, worker_junior = int(primary * 0.9), int(junior * 0.9)
    public_primary, public_junior = int(worker_primary * 0.95), int(worker_junior * 0.96)
    bought_primary, bought_junior = int(worker_primary * 0.02), int(worker_junior * 0.01)
    places_primary, places_junior = rng.randint(100, 600), rng.randint(50, 300)
    migrant_primary, migrant_junior = places_primary // 4, places_junior // 4
    return {
        "new_places_primary": places_primary, "new_places_junior": places_junior,
        "new_places_total": places_primary + places_junior,
        "new_places_migrant_primary": migrant_primary, "new_places_migrant_junior": migrant_junior,
        "new_places_migrant_total": migrant_primary + migrant_junior,
        "migrant_children_total": size, "migrant_worker_children_total": worker_primary + worker_junior,
        "public_school_primary": public_primary, "public_school_junior": public_junior,
        "public_school_total": public_primary + public_junior,
        "purchased_places_primary": bought_primary, "purchased_places_junior": bought_junior,
        "purchased_places_total": bought_primary + bought_junior,
        "zhongkao_applicants": int(junior * 0.3), "gaokao_applicants": int(size * 0.02),
    }


def _backdate(report: Report, day: int) -> None:
    """Demo submissions happened in September 2021, before the 9/20 deadline, not today."""
    when = dt.datetime(2021, 9, day, 10, 0, tzinfo=CHINA)
    Report.objects.filter(pk=report.pk).update(submitted_at=when, decided_at=when + dt.timedelta(days=2))
    for offset, event in enumerate(report.events.order_by("pk")):
        type(event).objects.filter(pk=event.pk).update(at=when + dt.timedelta(hours=offset))


def create_demo_reports(city_user) -> int:
    """Idempotent: counties that already have a report are left as they are."""
    form = FormDefinition.objects.get(code="summary-2021")
    rng = random.Random(2021)
    county_scope, city_scope = Scope.system(), Scope.of(city_user)
    created = 0
    for code, state in DEMO_STATES.items():
        unit = Division.objects.get(code=code, valid_to__isnull=True)
        values = _county_values(rng, rng.randint(2500, 5000))
        if Report.objects.filter(form=form, unit=unit).exists():
            continue
        report = services.save_values(county_scope, None, form, unit, {k: str(v) for k, v in values.items()})
        if state != "draft":
            services.submit_report(county_scope, None, report)
        if state == "approved":
            services.approve_report(city_scope, city_user, report)
        elif state == "returned":
            services.return_report(city_scope, city_user, report, "新增学位数与年度建设计划不一致，请核对后重报",
                                   {"new_places_total": "请与年度学位建设计划核对"})
        _backdate(report, 10 + created)
        created += 1
    return created
