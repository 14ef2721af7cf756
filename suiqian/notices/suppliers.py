"""附件3 row 1 (已审核 / 未审核随迁子女入学实施细则县区数量) comes from the reviews of 实施细则."""

from suiqian.reporting.suppliers import register

from .enrollment_rules import reviewed_counts


@register("enrollment_rules.reviewed")
def reviewed(unit, year):
    return reviewed_counts(unit, year)[0]


@register("enrollment_rules.unreviewed")
def unreviewed(unit, year):
    return reviewed_counts(unit, year)[1]
