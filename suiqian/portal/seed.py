"""The seed's two notices as demo data (idempotent): 晋教基函〔2021〕24号 and 晋城市's forwarding of it."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import yaml
from django.db import transaction

from suiqian.accounts.scope import Scope
from suiqian.divisions.models import Division
from suiqian.lib.tabular import Column, Table
from suiqian.notices import services
from suiqian.notices.models import Notice
from suiqian.notices.queries import CHINA
from suiqian.reporting.excel import render_form_workbook
from suiqian.reporting.models import FormDefinition
from suiqian.reporting.rankings import indicator_table
from suiqian.supervision.queries import key_listings

SEED_FILE = Path(__file__).parent / "data" / "seed-2021.yaml"


def _unit(code: str) -> Division:
    return Division.objects.get(code=code, valid_to__isnull=True)


def _attachment(name: str, issuer: Division) -> tuple[str, bytes]:
    scope = Scope.system()
    if name == "attachment1":
        table = indicator_table(scope, issuer, 2020)  # 附件1 ranks the cities under the issuing province
        return f"附件1 {table.title}.xlsx", table.as_table().to_xlsx()
    if name == "attachment2":
        rows = [[k.unit.parent.name, k.unit.name, k.unit.code] for k in key_listings(scope, 2021)]
        table = Table("进城务工人员随迁子女工作重点督促县区名单", [Column("市"), Column("县（市、区）"), Column("区划代码")], rows)
        return "附件2 进城务工人员随迁子女工作重点督促县区名单.xlsx", table.to_xlsx()
    form = FormDefinition.objects.get(code="summary-2021")
    return f"附件3 {form.title}.xlsx", render_form_workbook(form.parsed)


def _units_named(key: str) -> list[Division]:
    if key == "key_county_cities":
        return sorted({k.unit.parent for k in key_listings(Scope.system(), 2021)}, key=lambda u: u.code)
    raise ValueError(f"未知的单位集合：{key}")


def _published_at(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(9, 0), tzinfo=CHINA)


@transaction.atomic
def load_seed_notices(path: Path = SEED_FILE) -> int:
    scope = Scope.system()
    created = 0
    by_wenhao: dict[str, Notice] = {}
    for entry in yaml.safe_load(path.read_text(encoding="utf-8")):
        issuer = _unit(entry["issuer"])
        existing = Notice.objects.filter(issuer=issuer, wenhao=entry["wenhao"]).first()
        if existing:
            by_wenhao[entry["wenhao"]] = existing
            continue
        common = {"wenhao": entry["wenhao"], "title": entry["title"], "body": entry["body"].strip(),
                  "contacts": entry.get("contacts", [])}
        if "forwards" in entry:
            parent = by_wenhao[entry["forwards"]]
            keys = {r["title"]: r["key"] for r in _province_requirements(path, entry["forwards"])}
            due = {r.pk: entry["due_dates"][keys[r.title]] for r in parent.requirements.all()
                   if keys.get(r.title) in entry["due_dates"]}
            notice = services.forward_notice(scope, None, parent, issuer, due_dates=due, **common)
        else:
            specs = [services.RequirementSpec(
                title=r["title"], kind=r["kind"], due_date=r["due"], document_type=r.get("document_type", ""),
                form=FormDefinition.objects.get(code=r["form"]) if r.get("form") else None,
                units=_units_named(r["units"]) if r.get("units") else []) for r in entry["requirements"]]
            notice = services.create_notice(scope, None, issuer, requirements=specs,
                                            attachments=[_attachment(a, issuer) for a in entry.get("attachments", [])],
                                            **common)
            services.publish_notice(scope, None, notice)
        Notice.objects.filter(pk=notice.pk).update(published_at=_published_at(entry["published"]))
        by_wenhao[entry["wenhao"]] = Notice.objects.get(pk=notice.pk)
        created += 1
    return created


def _province_requirements(path: Path, wenhao: str) -> list[dict]:
    entries = yaml.safe_load(path.read_text(encoding="utf-8"))
    return next(e for e in entries if e["wenhao"] == wenhao)["requirements"]
