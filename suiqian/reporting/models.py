from django.db import models


class PublishedEnrollment(models.Model):
    """Counts of a unit for a year as published in an official document (e.g. 附件1 of 晋教基函〔2021〕24号).

    Years before the platform existed are known only this way, and only at the level
    the document gives (附件1: cities); higher levels are summed from them.
    """

    unit = models.ForeignKey("divisions.Division", models.PROTECT, related_name="published_enrollments",
                             verbose_name="单位")
    year = models.PositiveSmallIntegerField("年份")
    migrant_children = models.PositiveIntegerField("随迁子女总数")
    public_school = models.PositiveIntegerField("公办学校就读人数（含政府购买服务）")
    source = models.CharField("来源", max_length=200)

    class Meta:
        verbose_name = verbose_name_plural = "已公布的随迁子女入学数"
        constraints = [models.UniqueConstraint(fields=["unit", "year"], name="published_enrollment_unit_year")]


class NationalRatio(models.Model):
    """The national public-school ratio of a year, the line units are measured against."""

    year = models.PositiveSmallIntegerField("年份", unique=True)
    ratio = models.DecimalField("全国公办学校就读比例（%）", max_digits=5, decimal_places=2)
    source = models.CharField("来源", max_length=200)

    class Meta:
        ordering = ["year"]
        verbose_name = verbose_name_plural = "全国公办学校就读比例"
