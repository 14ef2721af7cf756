import io

import openpyxl
import pytest

from suiqian.accounts.scope import Scope
from suiqian.divisions.models import Division

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


@pytest.fixture
def stats_form(summary_form):
    return summary_form
