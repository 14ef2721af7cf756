"""Term rosters of 随迁子女, dropout cases found by comparing terms, and who exported personal data.

The plain 身份证号 is never stored: entries and cases keep an HMAC of it (to match a
child across terms and counties) and a masked form (to show). See `identity`.
"""

from django.conf import settings
from django.db import models

ID_HASH_BYTES = 16  # HMAC-SHA256 truncated to 128 bits (RFC 2104 §5, as HMAC-SHA-256-128 of RFC 4868)


class SchoolType(models.IntegerChoices):
    PUBLIC = 1, "公办"
    PRIVATE = 2, "民办"
    PURCHASED = 3, "政府购买学位"


class ImportJob(models.Model):
    """One roster file being imported: from the page or the API (a sealed upload, run as a background
    task) or the CLI (the file on disk, at once)."""

    class Status(models.TextChoices):
        PENDING = "pending", "等待处理"
        CONFIRM = "confirm", "等待确认"  # the file would replace other units' rosters: the uploader confirms first
        RUNNING = "running", "正在导入"
        DONE = "done", "完成"
        FAILED = "failed", "未导入"
        CANCELLED = "cancelled", "已取消"

    class OnError(models.TextChoices):
        STOP = "stop", "有错误行则整份不导入"
        SKIP = "skip", "跳过错误行，导入其余行"

    term = models.CharField("学期", max_length=11)
    unit = models.ForeignKey("divisions.Division", models.PROTECT, null=True, blank=True, related_name="+",
                             verbose_name="导入单位")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+")
    source = models.CharField(max_length=10, default="page")  # page | cli
    filename = models.CharField("文件名", max_length=255)
    upload = models.CharField(max_length=500, blank=True)  # sealed, under MEDIA_ROOT; removed once the import ends
    kind = models.CharField(max_length=4, blank=True)  # csv | xlsx | xls, judged from the content
    plain_bytes = models.BigIntegerField(default=0)
    task_id = models.CharField(max_length=64, blank=True)
    confirmed = models.BooleanField(default=False)
    replaces = models.JSONField(default=list, blank=True)  # [code, name] of other units' rosters it would replace
    progress = models.PositiveSmallIntegerField(default=0)  # percent
    on_error = models.CharField("错误行处理", max_length=4, choices=OnError.choices, default=OnError.STOP)
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.PENDING)
    rows_read = models.PositiveIntegerField(default=0)
    rows_checked = models.PositiveIntegerField(default=0)
    rows_written = models.PositiveIntegerField(default=0)
    rows_bad = models.PositiveIntegerField(default=0)
    units = models.JSONField(default=list, blank=True)  # codes of the counties whose roster was replaced
    message = models.TextField(blank=True)
    bad_rows_sample = models.JSONField(default=list, blank=True)  # the first bad rows, masked, for the page
    bad_reasons = models.JSONField(default=dict, blank=True)  # each kind of error → how many rows have it
    bad_rows_file = models.CharField(max_length=500, blank=True)  # all bad rows, masked, under MEDIA_ROOT
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = verbose_name_plural = "名册导入"

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED, self.Status.CANCELLED)

    @property
    def term_label(self) -> str:
        from .terms import Term

        return Term.parse(self.term).label

    @property
    def reasons_by_count(self) -> list[tuple[str, int]]:
        return sorted(self.bad_reasons.items(), key=lambda kv: (-kv[1], kv[0]))


class Roster(models.Model):
    """One county's roster for one term as one import wrote it. At most one per county and term is current.

    An import writes its rows under new rosters (staging) while the current ones stay in
    use, then makes them current in one short transaction: replacing a roster is atomic
    and a failed import changes nothing.
    """

    class Status(models.TextChoices):
        STAGING = "staging", "写入中"
        CURRENT = "current", "现行"
        REPLACED = "replaced", "已被替换"
        ARCHIVED = "archived", "已归档"  # its term's partition is detached (PostgreSQL)

    term = models.CharField("学期", max_length=11)
    unit = models.ForeignKey("divisions.Division", models.PROTECT, related_name="+", verbose_name="县区")
    job = models.ForeignKey(ImportJob, models.PROTECT, related_name="rosters")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.STAGING)
    rows = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    activated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "学期名册"
        constraints = [models.UniqueConstraint(fields=["term", "unit"], condition=models.Q(status="current"),
                                               name="roster_one_current_per_unit_term")]
        indexes = [models.Index(fields=["term", "status"])]


class RosterEntry(models.Model):
    """A child on a roster. Written by COPY in bulk, so no foreign-key constraint checks each row
    (the roster is created by the same import just before) and the roster index is created per
    database in the migration (BRIN on PostgreSQL, where rows of a roster lie together). On
    PostgreSQL the table is partitioned by term and has no primary key (see `partitions`).
    The id is given by the import: its job's id in the high 32 bits, the file's row in the low
    ones (`writing.entry_id`)."""

    roster = models.ForeignKey(Roster, models.DO_NOTHING, db_constraint=False, db_index=False, related_name="+")
    # The roster's term again: on PostgreSQL the table is partitioned by it (see `partitions`).
    term = models.CharField("学期", max_length=11, default="")
    id_hash = models.BinaryField(max_length=ID_HASH_BYTES)
    id_masked = models.CharField("身份证号", max_length=18)
    name = models.CharField("姓名", max_length=50)
    sex = models.CharField("性别", max_length=1)
    birth_date = models.DateField("出生日期")
    school = models.CharField("学校名称", max_length=100)
    school_type = models.PositiveSmallIntegerField("学校类型", choices=SchoolType.choices)
    grade = models.PositiveSmallIntegerField("年级")
    migrant_worker = models.BooleanField("进城务工人员随迁子女")

    class Meta:
        verbose_name = verbose_name_plural = "名册学生"


class CaseStatus(models.TextChoices):
    CHECKING = "checking", "核查中"
    RETURNED = "returned", "已返校"
    TRANSFERRED_OUT = "transferred_out", "已转学（省外）"
    PERSUADING = "persuading", "确认辍学（劝返中）"
    OTHER = "other", "其他"
    # Set only by detection: the child turned up on another county's roster imported later.
    TRANSFERRED = "transferred", "已转学（平台内）"


OPEN_STATUSES = (CaseStatus.CHECKING, CaseStatus.PERSUADING)


class DropoutCase(models.Model):
    """A child on a county's roster in one term and on no roster of the platform in the next (疑似辍学)."""

    term = models.CharField("未在册学期", max_length=11)
    id_hash = models.BinaryField(max_length=ID_HASH_BYTES)
    id_masked = models.CharField("身份证号", max_length=18)
    name = models.CharField("姓名", max_length=50)
    sex = models.CharField("性别", max_length=1)
    birth_date = models.DateField("出生日期")
    # Indexed by (unit, status) below: each index more slows detection's insert of tens of thousands of cases.
    unit = models.ForeignKey("divisions.Division", models.PROTECT, related_name="+", verbose_name="最后在册县区",
                             db_index=False)
    school = models.CharField("最后在读学校", max_length=100)
    school_type = models.PositiveSmallIntegerField("学校类型", choices=SchoolType.choices)
    grade = models.PositiveSmallIntegerField("最后在读年级")
    status = models.CharField("状态", max_length=16, choices=CaseStatus.choices, default=CaseStatus.CHECKING)
    new_unit = models.ForeignKey("divisions.Division", models.PROTECT, null=True, blank=True, related_name="+",
                                 verbose_name="转入县区", db_index=False)
    opened_at = models.DateTimeField("发现时间", auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["unit__code", "school", "pk"]
        verbose_name = verbose_name_plural = "疑似辍学个案"
        constraints = [models.UniqueConstraint(fields=["term", "id_hash"], name="case_once_per_child_term")]
        indexes = [models.Index(fields=["unit", "status"])]

    @property
    def opened_note(self) -> str:
        """The first line of a case's history: how detection found it (not stored per case)."""
        from .terms import Term

        term = Term.parse(self.term)
        return f"名册比对：{term.previous.label}在册，{term.label}未出现在平台任何县区的名册中"

    @property
    def term_label(self) -> str:
        from .terms import Term

        return Term.parse(self.term).label

    @property
    def last_term(self) -> str:
        from .terms import Term

        return Term.parse(self.term).previous.code


class CaseEvent(models.Model):
    """A status change of a case: who, when, what happened on which day, and the note."""

    case = models.ForeignKey(DropoutCase, models.CASCADE, related_name="events")
    at = models.DateTimeField(auto_now_add=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+")
    from_status = models.CharField(max_length=16, choices=CaseStatus.choices, blank=True)
    to_status = models.CharField(max_length=16, choices=CaseStatus.choices)
    happened_on = models.DateField("日期", null=True, blank=True)
    note = models.TextField("说明", blank=True)

    class Meta:
        ordering = ["at", "pk"]


class Transfer(models.Model):
    """A child on county A's roster in one term and on county B's in the next: recorded, not a case."""

    term = models.CharField("转入学期", max_length=11)
    id_hash = models.BinaryField(max_length=ID_HASH_BYTES)
    id_masked = models.CharField("身份证号", max_length=18)
    name = models.CharField("姓名", max_length=50)
    from_unit = models.ForeignKey("divisions.Division", models.PROTECT, related_name="+", verbose_name="转出县区")
    from_school = models.CharField("转出学校", max_length=100)
    from_grade = models.PositiveSmallIntegerField("转出年级")
    to_unit = models.ForeignKey("divisions.Division", models.PROTECT, related_name="+", verbose_name="转入县区")
    to_school = models.CharField("转入学校", max_length=100)
    to_grade = models.PositiveSmallIntegerField("转入年级")
    detected_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["from_unit__code", "pk"]
        verbose_name = verbose_name_plural = "平台内转学"
        constraints = [models.UniqueConstraint(fields=["term", "id_hash"], name="transfer_once_per_child_term")]


class DetectionRun(models.Model):
    """One comparison of a term with the one before, over the whole platform; started from a page
    (run as a background task, with progress) or the CLI."""

    class Status(models.TextChoices):
        PENDING = "pending", "等待处理"
        RUNNING = "running", "正在比对"
        DONE = "done", "完成"
        FAILED = "failed", "比对失败"

    term = models.CharField("学期", max_length=11)
    at = models.DateTimeField(auto_now_add=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+")
    unit = models.ForeignKey("divisions.Division", models.PROTECT, null=True, blank=True, related_name="+",
                             verbose_name="发起单位")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DONE)
    progress = models.PositiveSmallIntegerField(default=0)
    step = models.CharField(max_length=50, blank=True)
    message = models.TextField(blank=True)
    task_id = models.CharField(max_length=64, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    cases_opened = models.PositiveIntegerField(default=0)
    cases_closed = models.PositiveIntegerField(default=0)
    transfers = models.PositiveIntegerField(default=0)
    missing_units = models.JSONField(default=list, blank=True)  # codes of counties without a roster for the term
    seconds = models.FloatField(default=0)

    class Meta:
        ordering = ["-at", "-pk"]

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)

    @property
    def term_label(self) -> str:
        from .terms import Term

        return Term.parse(self.term).label


class PersonalDataExport(models.Model):
    """Every download of children's personal data: who, which unit's, which term, how many rows."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+")
    username = models.CharField(max_length=150, blank=True)
    unit = models.ForeignKey("divisions.Division", models.PROTECT, null=True, blank=True, related_name="+")
    term = models.CharField("学期", max_length=11)
    kind = models.CharField("内容", max_length=20)  # cases | transfers | bad_rows
    rows = models.PositiveIntegerField("行数")
    via = models.CharField(max_length=10, default="page")  # page | cli
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = verbose_name_plural = "个人信息导出记录"
