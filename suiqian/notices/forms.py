"""Parsing of the notice forms posted by the pages (plain POST data, checked here, errors in Chinese)."""

from __future__ import annotations

import datetime as dt

from suiqian.reporting.models import FormDefinition

from .models import Requirement
from .services import NoticeError, RequirementSpec

MAX_REQUIREMENT_ROWS = 6


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


def attachments_of(files) -> list[tuple[str, object]]:
    """The uploaded attachments as (name, upload): the service checks and reads them."""
    return [(upload.name, upload) for upload in files.getlist("attachments")]


# --- what the notice form shows: blank, from a draft, or back from a refused post ------------------

CONTACT_ROWS = 3


def _pad(rows: list[dict], n: int, blank: dict) -> list[dict]:
    return (rows + [dict(blank) for _ in range(n)])[:max(n, len(rows))]


def contacts_initial(post=None, contacts: list[dict] | None = None) -> list[dict]:
    if post:
        contacts = parse_contacts(post)
    return _pad(list(contacts or []), CONTACT_ROWS, {"name": "", "phone": "", "email": ""})


def _requirement_rows(rows: list[dict]) -> list[dict]:
    return _pad(rows, MAX_REQUIREMENT_ROWS, {"title": "", "kind": "", "due": ""})


def blank_initial(children) -> dict:
    return {"wenhao": "", "title": "", "body": "", "contacts": contacts_initial(), "publish": True,
            "targets": {c.code for c in children}, "requirements": _requirement_rows([])}


def initial_from_post(post) -> dict:
    rows = [{"title": post.get(f"req-{i}-title", ""), "kind": post.get(f"req-{i}-kind", ""),
             "due": post.get(f"req-{i}-due", "")} for i in range(MAX_REQUIREMENT_ROWS)]
    return {"wenhao": post.get("wenhao", ""), "title": post.get("title", ""), "body": post.get("body", ""),
            "contacts": contacts_initial(post), "publish": bool(post.get("publish")),
            "targets": set(post.getlist("targets")), "requirements": rows}


def initial_from_notice(notice) -> dict:
    rows = [{"title": r.title, "due": r.due_date.isoformat(),
             "kind": f"form:{r.form.code}" if r.kind == Requirement.Kind.FORM else f"document:{r.document_type}"}
            for r in notice.requirements.select_related("form")]
    return {"wenhao": notice.wenhao, "title": notice.title, "body": notice.body,
            "contacts": contacts_initial(contacts=notice.contacts), "publish": False,
            "targets": {t.unit.code for t in notice.targets.select_related("unit")},
            "requirements": _requirement_rows(rows)}
