import io

import openpyxl
import pytest

from suiqian.accounts.scope import Scope
from suiqian.conftest import county_values
from suiqian.divisions.models import Division
from suiqian.reporting import queries as reporting_queries
from suiqian.reporting import services as reporting
from suiqian.reporting.models import FormDefinition, Report

from .. import services

# 泽州县's statistics, consistent with `county_values()` of the project's conftest for every compared field.
ZEZHOU = {"migrant_children_primary": 600, "migrant_children_junior": 400,
          "migrant_worker_children_primary": 540, "migrant_worker_children_junior": 360,
          "public_school_primary": 500, "public_school_junior": 300,
          "purchased_places_primary": 40, "purchased_places_junior": 20}


def unit(code):
    return Division.objects.get(code=code, valid_to__isnull=True)


def reported(code, values, year=2021, *, approve=False):
    """A county's statistics entered and 上报 (and approved) by the operator."""
    system = Scope.system()
    record = services.save_figures(system, None, unit(code), year, {k: str(v) for k, v in values.items()})
    record = services.submit(system, None, record)
    return services.approve(system, None, record) if approve else record


def workbook_bytes(rows: list[list], title="教育事业统计") -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = title
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


JINCHENG_COUNTIES = ["140502", "140521", "140522", "140524", "140525", "140581"]
DIFFERS = dict(ZEZHOU, public_school_primary=480)  # 附件3 says 500: 小学 and 合计 differ


def fill(code, values, *, submit=True):
    """A unit's 附件3 saved, and 上报 with an explanation for every warning."""
    system = Scope.system()
    form = FormDefinition.objects.get(code="summary-2021")
    report = reporting.save_values(system, None, form, unit(code), values)
    if submit:
        check = reporting_queries.check_report(report)
        reporting.submit_report(system, None, report, {w.key: f"说明：{w.message}" for w in check.warnings},
                                incomplete_reason="各县尚在审核")
    return Report.objects.get(pk=report.pk)


@pytest.fixture
def province_of_differences(summary_form):
    """晋城市: all six counties' statistics reported; 泽州县 and the city differ, 沁水县 agrees,
    阳城县 differs in a draft only; 小店区 (太原) differs but its statistics are not reported."""
    for code in JINCHENG_COUNTIES:
        reported(code, DIFFERS if code == "140525" else ZEZHOU, approve=code == "140521")
    fill("140525", county_values())
    fill("140521", county_values())
    fill("140522", dict(county_values(), migrant_children_total="1200"), submit=False)
    # The city's public-school figures carry 泽州县's 480 as the counties' sum does; its total is 100 more.
    fill("140500", dict(county_values(6), migrant_children_total="6100", public_school_primary="2980",
                        public_school_total="4780"))
    services.save_figures(Scope.system(), None, unit("140105"), 2021, DIFFERS)
    fill("140105", county_values())
