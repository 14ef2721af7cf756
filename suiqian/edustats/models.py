from django.conf import settings
from django.db import models

from suiqian.reporting.models import Report, ReportEvent


class EduStatistics(models.Model):
    """One county's 教育事业统计 figures for a year: its own data, with the same review and lock as a form."""

    Status = Report.Status
    EDITABLE = Report.EDITABLE

    unit = models.ForeignKey("divisions.Division", models.PROTECT, related_name="edu_statistics", verbose_name="单位")
    year = models.PositiveSmallIntegerField("年份")
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.DRAFT)
    version = models.PositiveIntegerField(default=0)
    submitted_at = models.DateTimeField("上报时间", null=True, blank=True)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True,
                                     related_name="+")
    decided_at = models.DateTimeField("审核时间", null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    return_reason = models.TextField("退回原因", blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = "教育事业统计"
        constraints = [models.UniqueConstraint(fields=["unit", "year"], name="edustats_unit_year")]
        indexes = [models.Index(fields=["year", "status"])]

    def __str__(self) -> str:
        return f"{self.unit.name}{self.year}年教育事业统计"

    @property
    def is_editable(self) -> bool:
        return self.status in self.EDITABLE

    def value_map(self) -> dict[str, int | None]:
        return {v.field: v.value for v in self.values.all()}


class EduStatisticsValue(models.Model):
    record = models.ForeignKey(EduStatistics, models.CASCADE, related_name="values")
    field = models.CharField(max_length=50)
    value = models.BigIntegerField(null=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["record", "field"], name="edustats_value_record_field")]


class EduStatisticsEvent(models.Model):
    """The record's history, as a form's: every transition and every value change, who and when."""

    Action = ReportEvent.Action

    record = models.ForeignKey(EduStatistics, models.CASCADE, related_name="events")
    at = models.DateTimeField(auto_now_add=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, related_name="+")
    action = models.CharField(max_length=10, choices=Action.choices)
    from_status = models.CharField(max_length=10, blank=True)
    to_status = models.CharField(max_length=10, blank=True)
    comment = models.TextField(blank=True)
    changes = models.JSONField(default=list, blank=True)  # [{"field", "old", "new"}]

    class Meta:
        ordering = ["at", "pk"]
