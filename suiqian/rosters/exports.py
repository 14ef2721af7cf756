"""Taking children's personal data out of the platform: checked, and recorded every time."""

from __future__ import annotations

from suiqian.accounts import audit
from suiqian.accounts.scope import Scope
from suiqian.divisions.models import Division

from .errors import NotAllowed
from .models import PersonalDataExport
from .terms import Term


def record_export(scope: Scope, user, unit: Division | None, term: Term, kind: str, rows: int,
                  via: str = "page") -> PersonalDataExport:
    """Check that the user may take children's personal data out of the platform, and record that they did."""
    if not scope.may_export_personal(unit):
        raise NotAllowed("您没有导出学生个人信息的权限")
    export = PersonalDataExport.objects.create(user=user, username=getattr(user, "username", "") or "",
                                               unit=unit, term=term.code, kind=kind, rows=rows, via=via)
    kinds = {"cases": "疑似辍学个案", "transfers": "平台内转学", "bad_rows": "名册错误行"}
    audit.record(audit.Action.EXPORT_PERSONAL, user=user, unit=unit, target=f"{kinds.get(kind, kind)} {term.label}",
                 detail={"rows": rows, "via": via, "export": export.pk})
    return export
