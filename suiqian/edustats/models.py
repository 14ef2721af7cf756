from django.db import models

from suiqian.reporting.models import ReviewedRecord, ReviewEvent


class EduStatistics(ReviewedRecord):
    """One county's 教育事业统计 figures for a year: its own data, with the same review and lock as a form."""

    unit = models.ForeignKey("divisions.Division", models.PROTECT, related_name="edu_statistics", verbose_name="单位")
    year = models.PositiveSmallIntegerField("年份")

    class Meta:
        verbose_name = verbose_name_plural = "教育事业统计"
        constraints = [models.UniqueConstraint(fields=["unit", "year"], name="edustats_unit_year")]
        indexes = [models.Index(fields=["year", "status"])]

    def __str__(self) -> str:
        return f"{self.unit.name}{self.year}年教育事业统计"


class EduStatisticsValue(models.Model):
    record = models.ForeignKey(EduStatistics, models.CASCADE, related_name="values")
    field = models.CharField(max_length=50)
    value = models.BigIntegerField(null=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["record", "field"], name="edustats_value_record_field")]


class EduStatisticsEvent(ReviewEvent):
    record = models.ForeignKey(EduStatistics, models.CASCADE, related_name="events")
