"""Parsing of the notice forms posted by the pages (plain POST data, checked here, errors in Chinese)."""

from __future__ import annotations

import datetime as dt

from suiqian.reporting.models import FormDefinition

from .models import Requirement
from .services import NoticeError, RequirementSpec

MAX_REQUIREMENT_ROWS = 6
MAX_ATTACHMENT_BYTES = 20 * 1024 * 1024


def requirement_kinds() -> list[tuple[str, str]]:
    """Choices for a requirement row: a document type, or a form of the reporting engine."""
    docs = [(f"document:{value}", f"材料：{label}") for value, label in Requirement.DocumentType.choices]
    forms = [(f"form:{f.code}", f"报表：{f.title}") for f in FormDefinition.objects.all()]
    return docs + forms


def parse_date(text: str, label: str) -> dt.date:
    try:
        return dt.date.fromisoformat((text or "").strip())
    except ValueError as e:
        raise NoticeError(f"{label}的日期格式应为 年-月-日，如 2021-06-20") from e


def parse_requirements(post) -> list[RequirementSpec]:
    specs = []
    for i in range(MAX_REQUIREMENT_ROWS):
        title = (post.get(f"req-{i}-title") or "").strip()
        if not title:
            continue
        kind, _, value = (post.get(f"req-{i}-kind") or "").partition(":")
        due = parse_date(post.get(f"req-{i}-due"), f"事项“{title}”")
        if kind == "form":
            form = FormDefinition.objects.filter(code=value).first()
            if form is None:
                raise NoticeError(f"事项“{title}”选择的报表不存在")
            specs.append(RequirementSpec(title=title, kind=Requirement.Kind.FORM, due_date=due, form=form))
        elif kind == "document" and value in Requirement.DocumentType.values:
            specs.append(RequirementSpec(title=title, kind=Requirement.Kind.DOCUMENT, due_date=due,
                                         document_type=value))
        else:
            raise NoticeError(f"请为事项“{title}”选择类型")
    return specs


def parse_contacts(post) -> list[dict]:
    return [{"name": post.get(f"contact-{i}-name", ""), "phone": post.get(f"contact-{i}-phone", ""),
             "email": post.get(f"contact-{i}-email", "")} for i in range(3)]


def read_attachments(files) -> list[tuple[str, bytes]]:
    out = []
    for upload in files.getlist("attachments"):
        if upload.size > MAX_ATTACHMENT_BYTES:
            raise NoticeError(f"附件 {upload.name} 超过 20 MB")
        out.append((upload.name, upload.read()))
    return out
