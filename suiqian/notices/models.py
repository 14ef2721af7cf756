from django.conf import settings
from django.db import models


class Notice(models.Model):
    """A notice (通知) issued by a unit to units directly below it, or forwarded (转发) from above."""

    class Status(models.TextChoices):
        DRAFT = "draft", "草稿"
        PUBLISHED = "published", "已发布"
        WITHDRAWN = "withdrawn", "已撤回"

    issuer = models.ForeignKey("divisions.Division", models.PROTECT, related_name="issued_notices",
                               verbose_name="发文单位")
    wenhao = models.CharField("文号", max_length=60)
    title = models.CharField("标题", max_length=200)
    body = models.TextField("正文", blank=True)
    contacts = models.JSONField("联系人", default=list, blank=True)  # [{"name", "phone", "email"}]
    forwarded_from = models.ForeignKey("self", models.PROTECT, null=True, blank=True, related_name="forwards",
                                       verbose_name="转发自")
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.DRAFT)
    published_at = models.DateTimeField("发布时间", null=True, blank=True)
    withdrawn_at = models.DateTimeField("撤回时间", null=True, blank=True)
    withdraw_reason = models.TextField("撤回说明", blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-published_at", "-created_at"]
        verbose_name = verbose_name_plural = "通知"
        constraints = [models.UniqueConstraint(fields=["issuer", "wenhao"], name="notice_issuer_wenhao")]

    def __str__(self) -> str:
        return f"{self.wenhao} {self.title}"


class NoticeCorrection(models.Model):
    """更正 of a published notice: the note its recipients read and what changed, field by field."""

    notice = models.ForeignKey(Notice, models.CASCADE, related_name="corrections")
    note = models.TextField("更正说明")
    changes = models.JSONField("修改内容", default=list)  # [{"label", "old", "new"}], labels in Chinese
    made_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, related_name="+")
    made_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["made_at", "pk"]


class NoticeAttachment(models.Model):
    notice = models.ForeignKey(Notice, models.CASCADE, related_name="attachments")
    name = models.CharField("名称", max_length=200)
    file = models.FileField(upload_to="notices/%Y/")
    size = models.PositiveIntegerField(default=0)


class NoticeTarget(models.Model):
    """A unit a notice is addressed to: its inbox entry, with the read receipt."""

    notice = models.ForeignKey(Notice, models.CASCADE, related_name="targets")
    unit = models.ForeignKey("divisions.Division", models.PROTECT, related_name="received_notices")
    read_at = models.DateTimeField("签收时间", null=True, blank=True)
    read_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["notice", "unit"], name="notice_target_unit")]


class Requirement(models.Model):
    """Something each target must deliver by a date: a document, or a form of the reporting engine."""

    class Kind(models.TextChoices):
        DOCUMENT = "document", "材料"
        FORM = "form", "报表"

    class DocumentType(models.TextChoices):
        ENROLLMENT_RULES = "enrollment_rules", "随迁子女入学实施细则"
        KEY_COUNTY_PLAN = "key_county_plan", "重点县工作方案（一县一案）"
        WORK_SUMMARY = "work_summary", "工作情况总结"
        OTHER = "other", "其他材料"

    notice = models.ForeignKey(Notice, models.CASCADE, related_name="requirements")
    title = models.CharField("事项", max_length=200)
    kind = models.CharField("类型", max_length=10, choices=Kind.choices)
    document_type = models.CharField("材料类别", max_length=20, choices=DocumentType.choices, blank=True)
    form = models.ForeignKey("reporting.FormDefinition", models.PROTECT, null=True, blank=True,
                             verbose_name="报表")
    due_date = models.DateField("截止日期")
    parent = models.ForeignKey("self", models.PROTECT, null=True, blank=True, related_name="forwarded",
                               verbose_name="上级事项")
    # Empty: every target of the notice. Otherwise a subset (e.g. the key-supervision counties).
    units = models.ManyToManyField("divisions.Division", blank=True, related_name="+", verbose_name="指定单位")
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return self.title


class Extension(models.Model):
    """A later due date granted to one unit for one requirement, with the reason."""

    requirement = models.ForeignKey(Requirement, models.CASCADE, related_name="extensions")
    unit = models.ForeignKey("divisions.Division", models.PROTECT, related_name="+")
    due_date = models.DateField("延期至")
    reason = models.TextField("理由")
    granted_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, related_name="+")
    granted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["requirement", "unit"], name="extension_requirement_unit")]


class ExtensionRequest(models.Model):
    """A unit below asks the issuer, from the notice, for a later due date; the issuer grants or refuses it there."""

    class Status(models.TextChoices):
        PENDING = "pending", "待处理"
        GRANTED = "granted", "已同意"
        REFUSED = "refused", "未同意"

    requirement = models.ForeignKey(Requirement, models.CASCADE, related_name="extension_requests")
    unit = models.ForeignKey("divisions.Division", models.PROTECT, related_name="+")
    due_date = models.DateField("申请延期至")
    reason = models.TextField("理由")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, related_name="+")
    requested_at = models.DateTimeField(auto_now_add=True)
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.PENDING)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField("处理意见", blank=True)

    class Meta:
        ordering = ["-requested_at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["requirement", "unit"], condition=models.Q(status="pending"),
                                               name="one_pending_extension_request")]


class DocumentSubmission(models.Model):
    """One version of a document a unit delivered against a requirement; every upload is a new version."""

    class Status(models.TextChoices):
        SUBMITTED = "submitted", "已报送"
        APPROVED = "approved", "已审核"
        RETURNED = "returned", "已退回"

    class Recognition(models.TextChoices):
        NOT_NEEDED = "", "无需识别"
        PENDING = "pending", "识别中"
        DONE = "done", "已识别"
        FAILED = "failed", "无法识别"

    requirement = models.ForeignKey(Requirement, models.PROTECT, related_name="submissions")
    unit = models.ForeignKey("divisions.Division", models.PROTECT, related_name="document_submissions")
    version = models.PositiveSmallIntegerField("版本")
    file = models.FileField(upload_to="submissions/%Y/")
    filename = models.CharField("文件名", max_length=200)
    content_type = models.CharField(max_length=20)  # pdf / docx / txt / jpg / png, from the content
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    note = models.TextField("说明", blank=True)
    submitted_at = models.DateTimeField("报送时间")
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, related_name="+")
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.SUBMITTED)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+")
    decision_reason = models.TextField("审核意见", blank=True)
    # For a city's 实施细则 package: the county versions it carried up, with their decisions.
    manifest = models.JSONField(default=list, blank=True)
    findings = models.JSONField("自动审查结果", default=list, blank=True)
    # A large document is checked by the background worker; until then its findings are not known yet.
    checking = models.BooleanField("自动审查进行中", default=False)
    # A scan (image-only PDF, photo) is read by OCR in the background before it is checked.
    recognition = models.CharField("文字识别", max_length=10, choices=Recognition.choices, blank=True, default="")
    recognition_note = models.TextField("识别说明", blank=True)
    recognized_pages = models.JSONField("识别结果", default=list, blank=True)
    pages_recognized = models.PositiveSmallIntegerField(default=0)
    pages_total = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["requirement", "unit", "-version"]
        constraints = [models.UniqueConstraint(fields=["requirement", "unit", "version"],
                                               name="submission_requirement_unit_version")]


class ReminderLog(models.Model):
    """What `suiqian remind` sent, so a second run on the same day sends nothing twice."""

    class Kind(models.TextChoices):
        DUE_SOON = "due_soon", "即将到期"
        OVERDUE = "overdue", "已逾期"
        ESCALATION = "escalation", "逾期上报"

    requirement = models.ForeignKey(Requirement, models.CASCADE, related_name="+")
    unit = models.ForeignKey("divisions.Division", models.PROTECT, related_name="+")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    sent_on = models.DateField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["requirement", "unit", "kind", "sent_on"],
                                               name="reminder_once_a_day")]


class InboxMessage(models.Model):
    """An in-app message to a unit (reminders, decisions)."""

    unit = models.ForeignKey("divisions.Division", models.PROTECT, related_name="messages")
    text = models.CharField(max_length=500)
    link = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
