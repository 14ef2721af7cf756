"""The 教育事业统计 as 附件3's second source (summary-*.yaml: `sources`, supplier edu_statistics)."""

from suiqian.reporting.suppliers import register_source

from .queries import SUPPLIER, figures_for_form


@register_source(SUPPLIER)
def statistics(unit, year):
    return figures_for_form(unit, year)
