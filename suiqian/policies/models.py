"""What reviewers teach the checker: findings marked wrong, and violations it missed."""

from django.conf import settings
from django.db import models
from django.utils import timezone

MAX_SENTENCE = 1000


class FindingFeedback(models.Model):
    class Kind(models.TextChoices):
        WRONG = "wrong", "误报（该处并不违反政策）"
        MISSED = "missed", "漏报（该处违反政策但未被发现）"

    submission = models.ForeignKey("notices.DocumentSubmission", models.CASCADE, related_name="policy_feedback")
    # The county whose text it is, kept apart so that Scope can filter without a join through notices.
    unit = models.ForeignKey("divisions.Division", models.PROTECT, related_name="+")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    code = models.CharField(max_length=64)
    sentence = models.TextField(max_length=MAX_SENTENCE)
    paragraph = models.PositiveIntegerField(null=True, blank=True)
    note = models.CharField(max_length=500, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = "实施细则审查反馈"
