import json
from functools import cached_property, lru_cache

from django.conf import settings
from django.db import models

from .formspec import parse_form_spec


def parsed_spec(spec: dict):
    """A form file parsed once per process and content, not once per request (every request reads the form)."""
    return _parse(json.dumps(spec, sort_keys=True, ensure_ascii=False))


@lru_cache(maxsize=32)
def _parse(text: str):
    return parse_form_spec(json.loads(text))


class FormDefinition(models.Model):
    """A form as loaded from its file (`suiqian forms load`); the file's content is kept as it was loaded."""

    code = models.CharField("表单代码", max_length=50, unique=True)
    year = models.PositiveSmallIntegerField("年份")
    title = models.CharField("标题", max_length=200)
    spec = models.JSONField("定义")
    checksum = models.CharField(max_length=64)
    loaded_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-year", "code"]
        verbose_name = verbose_name_plural = "表单"

    def __str__(self) -> str:
        return self.title

    @cached_property
    def parsed(self):
        return parsed_spec(self.spec)


class ReviewedRecord(models.Model):
    """What a record under review holds — a unit's copy of a form, a county's 教育事业统计 — for the one state
    machine in review.py: where it stands, its version, who submitted and who decided, and when."""

    class Status(models.TextChoices):
        DRAFT = "draft", "草稿"
        SUBMITTED = "submitted", "已上报"
        APPROVED = "approved", "已审核"
        RETURNED = "returned", "已退回"

    EDITABLE = (Status.DRAFT, Status.RETURNED)

    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.DRAFT)
    # Bumped by every write: a page posted from an older version is refused, not silently merged.
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
        abstract = True

    @property
    def is_editable(self) -> bool:
        return self.status in self.EDITABLE

    def value_map(self) -> dict[str, int | None]:
        return {v.field: v.value for v in self.values.all()}


class Report(ReviewedRecord):
    """One unit's copy of a form for a year, and where it stands in the review workflow."""

    form = models.ForeignKey(FormDefinition, models.PROTECT, related_name="reports", verbose_name="表单")
    unit = models.ForeignKey("divisions.Division", models.PROTECT, related_name="reports", verbose_name="单位")
    year = models.PositiveSmallIntegerField("年份")
    cell_comments = models.JSONField("单元格批注", default=dict, blank=True)
    returned_values = models.JSONField("退回时的数据", default=dict, blank=True)
    explanations = models.JSONField("警告说明", default=dict, blank=True)
    # A roll-up submitted before every unit below was approved: what it covered then, and why it went up anyway.
    incomplete_reason = models.TextField("汇总不完整的上报原因", blank=True)
    submitted_coverage = models.JSONField("上报时的下级覆盖", default=dict, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "填报"
        constraints = [models.UniqueConstraint(fields=["form", "unit", "year"], name="report_form_unit_year")]
        indexes = [models.Index(fields=["year", "status"])]

    def __str__(self) -> str:
        return f"{self.unit.name} {self.form.title}"

    @property
    def submitted_coverage_text(self) -> str:
        c = self.submitted_coverage
        return f"已纳入 {c['included']} / 应纳入 {c['expected']}" if c else ""


class DataValue(models.Model):
    report = models.ForeignKey(Report, models.CASCADE, related_name="values")
    field = models.CharField(max_length=50)
    value = models.BigIntegerField(null=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["report", "field"], name="datavalue_report_field")]


class ReviewEvent(models.Model):
    """A reviewed record's history: every step and every value change, who and when."""

    class Action(models.TextChoices):
        SAVE = "save", "保存"
        IMPORT = "import", "导入"
        SUBMIT = "submit", "上报"
        APPROVE = "approve", "审核通过"
        RETURN = "return", "退回"
        UNLOCK = "unlock", "解锁"

    at = models.DateTimeField(auto_now_add=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, related_name="+")
    action = models.CharField(max_length=10, choices=Action.choices)
    from_status = models.CharField(max_length=10, blank=True)
    to_status = models.CharField(max_length=10, blank=True)
    comment = models.TextField(blank=True)
    changes = models.JSONField(default=list, blank=True)  # [{"field", "old", "new"}]

    class Meta:
        abstract = True
        ordering = ["at", "pk"]


class ReportEvent(ReviewEvent):
    report = models.ForeignKey(Report, models.CASCADE, related_name="events")
    cell_comments = models.JSONField(default=dict, blank=True)


class PublishedValue(models.Model):
    """A unit's value for a year as published in an official document (e.g. 附件1 of 晋教基函〔2021〕24号).

    Years before the platform are known only this way, and only at the level the
    document gives (附件1: cities); higher levels are summed from them.
    """

    unit = models.ForeignKey("divisions.Division", models.PROTECT, related_name="published_values",
                             verbose_name="单位")
    year = models.PositiveSmallIntegerField("年份")
    field = models.CharField("字段", max_length=50)
    value = models.BigIntegerField("数值")
    source = models.CharField("来源", max_length=200)

    class Meta:
        verbose_name = verbose_name_plural = "已公布数据"
        constraints = [models.UniqueConstraint(fields=["unit", "year", "field"], name="published_unit_year_field")]


class NationalRatio(models.Model):
    """The national public-school ratio of a year, the line units are measured against."""

    year = models.PositiveSmallIntegerField("年份", unique=True)
    ratio = models.DecimalField("全国公办学校就读比例（%）", max_digits=5, decimal_places=2)
    source = models.CharField("来源", max_length=200)

    class Meta:
        ordering = ["year"]
        verbose_name = verbose_name_plural = "全国公办学校就读比例"


class Indicator(models.Model):
    """A named ratio over field codes (loaded from indicators.yaml): sums of numerator ÷ sums of denominator."""

    code = models.CharField(max_length=50, unique=True)
    label = models.CharField(max_length=200)
    note = models.CharField(max_length=300, blank=True)
    numerator = models.JSONField()
    denominator = models.JSONField()
    numerator_label = models.CharField(max_length=100)
    denominator_label = models.CharField(max_length=100)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position"]
        verbose_name = verbose_name_plural = "指标"

    def __str__(self) -> str:
        return self.label

    @property
    def fields(self) -> list[str]:
        return [*self.numerator, *self.denominator]
