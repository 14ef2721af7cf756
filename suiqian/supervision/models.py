from django.conf import settings
from django.db import models


class KeySupervisionListing(models.Model):
    """A unit on the official list of key supervision (重点督促) for a year — 附件2, as issued from above."""

    unit = models.ForeignKey("divisions.Division", models.PROTECT, related_name="key_listings",
                             verbose_name="单位")
    year = models.PositiveSmallIntegerField("年份")
    listed_by = models.CharField("列入单位", max_length=50)
    source = models.CharField("来源文件", max_length=200)

    class Meta:
        ordering = ["year", "unit__code"]
        verbose_name = verbose_name_plural = "重点督促县区"
        constraints = [models.UniqueConstraint(fields=["unit", "year"], name="key_listing_unit_year")]


class ProgressNote(models.Model):
    """A dated note on a key county's progress under its 一县一案."""

    unit = models.ForeignKey("divisions.Division", models.PROTECT, related_name="progress_notes")
    year = models.PositiveSmallIntegerField("年份")
    text = models.TextField("进展")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]


class Inspection(models.Model):
    """A 专项检查 of one unit: what was found, what must be rectified by when, and where it stands."""

    class Status(models.TextChoices):
        PLANNED = "planned", "计划中"
        RECTIFYING = "rectifying", "整改中"
        CLOSED = "closed", "已完成"

    inspector = models.ForeignKey("divisions.Division", models.PROTECT, related_name="inspections_made",
                                  verbose_name="检查单位")
    unit = models.ForeignKey("divisions.Division", models.PROTECT, related_name="inspections",
                             verbose_name="被检查单位")
    plan = models.CharField("检查计划", max_length=200)
    date = models.DateField("检查日期")
    findings = models.TextField("发现的问题", blank=True)
    rectification = models.TextField("整改要求", blank=True)
    rectification_due = models.DateField("整改期限", null=True, blank=True)
    status = models.CharField("状态", max_length=12, choices=Status.choices, default=Status.PLANNED)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-date", "unit__code"]
        verbose_name = verbose_name_plural = "专项检查"


class Sanction(models.Model):
    """约谈 or 通报 of a unit, linked to the inspection whose findings it acts on."""

    class Kind(models.TextChoices):
        TALK = "talk", "约谈"
        BULLETIN = "bulletin", "通报"

    inspection = models.ForeignKey(Inspection, models.PROTECT, related_name="sanctions")
    kind = models.CharField("类型", max_length=10, choices=Kind.choices)
    date = models.DateField("日期")
    text = models.TextField("内容")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-date"]


class PublishedRanking(models.Model):
    """A ranking as it was published (e.g. 附件1 of a year sent upward): the indicator definition and
    every row are frozen, so later corrections never silently change what was published."""

    unit = models.ForeignKey("divisions.Division", models.PROTECT, related_name="published_rankings")
    year = models.PositiveSmallIntegerField("年份")
    title = models.CharField("标题", max_length=200)
    indicator = models.JSONField("指标定义")
    rows = models.JSONField("数据")
    total = models.JSONField("合计")
    national_ratio = models.CharField(max_length=10, blank=True)
    published_at = models.DateTimeField(auto_now_add=True)
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, related_name="+")

    class Meta:
        ordering = ["-published_at"]
