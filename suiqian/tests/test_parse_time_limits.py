"""Issue #14 item 3, parse time: every spreadsheet an upload brings is read under a time cap — the 附件3 and
教育事业统计 imports in a child process (FORM_WORKBOOK), a roster row by row in the worker (ROSTER_WORKBOOK)."""

import dataclasses
import io
import time

import openpyxl
import pytest

from suiqian.accounts.scope import Scope
from suiqian.divisions.models import Division
from suiqian.edustats import services as edustats
from suiqian.edustats.workbook import render_template
from suiqian.lib import files
from suiqian.reporting import excel, excel_import
from suiqian.reporting import services as reporting
from suiqian.rosters import reading


def unit(code):
    return Division.objects.get(code=code, valid_to__isnull=True)


@pytest.fixture
def no_time_to_parse(monkeypatch):
    """A parse limit no child process can meet: what a workbook built to parse for minutes meets."""
    monkeypatch.setattr(excel_import, "FORM_WORKBOOK", dataclasses.replace(files.FORM_WORKBOOK, max_seconds=0.01))


def test_a_form_upload_is_parsed_within_the_limits_and_read_as_before(summary_form, county_user):
    template = excel.render_form_workbook(summary_form.parsed, values={"new_places_primary": 120})
    reading = excel_import.read_form_workbook_within_limits(summary_form.spec, template, "汇总表.xlsx")
    assert reading.values["new_places_primary"] == 120
    assert reading == excel_import.read_form_workbook(summary_form.parsed, template, "汇总表.xlsx")


def test_a_form_upload_that_parses_too_long_is_refused_and_nothing_saved(summary_form, county_user, no_time_to_parse):
    template = excel.render_form_workbook(summary_form.parsed, values={"new_places_primary": 120})
    with pytest.raises(reporting.ReportError, match="文件处理超过"):
        reporting.import_workbook(Scope.of(county_user), county_user, summary_form, unit("140525"), template,
                                  "汇总表.xlsx")
    assert not summary_form.reports.exists()


def test_a_statistics_upload_that_parses_too_long_is_refused(seeded, province_user, no_time_to_parse):
    data = render_template(list(Division.objects.filter(parent__code="140500", valid_to__isnull=True)), 2021)
    with pytest.raises(reporting.ReportError, match="文件处理超过"):
        edustats.import_table(Scope.of(province_user), province_user, 2021, data, "教育事业统计.xlsx")


def test_a_roster_workbook_read_past_its_time_is_stopped():
    workbook = openpyxl.Workbook()
    for n in range(50):
        workbook.active.append([f"{n}", "张三"])
    out = io.BytesIO()
    workbook.save(out)

    def slowly(rows):
        for row in rows:
            time.sleep(0.01)  # a sheet built to parse slowly
            yield row

    rows = reading._xlsx_rows(out.getvalue(), reading.Meter())
    with pytest.raises(reading.RosterFileError, match="读取 Excel 名册超过"):
        list(reading.within_parse_time(slowly(rows), 0.1))
    # Time spent between rows (checks, writes) is not the file's: a fast sheet read slowly by its consumer passes.
    fast = reading.within_parse_time(iter([[1], [2], [3]]), 0.05)
    for row in fast:
        time.sleep(0.03)
