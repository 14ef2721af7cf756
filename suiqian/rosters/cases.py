"""Following a dropout case up: what a county may record after checking, and the record of it."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from suiqian.accounts import audit
from suiqian.accounts.scope import Scope

from .errors import NotAllowed, RosterError
from .models import OPEN_STATUSES, CaseEvent, CaseStatus, DropoutCase

# What a county may record after checking. Closed cases may be reopened (核查中) with a note.
MANUAL_TRANSITIONS = {
    CaseStatus.CHECKING: (CaseStatus.RETURNED, CaseStatus.TRANSFERRED_OUT, CaseStatus.PERSUADING, CaseStatus.OTHER),
    CaseStatus.PERSUADING: (CaseStatus.RETURNED, CaseStatus.TRANSFERRED_OUT, CaseStatus.OTHER),
    CaseStatus.RETURNED: (CaseStatus.CHECKING,),
    CaseStatus.TRANSFERRED_OUT: (CaseStatus.CHECKING,),
    CaseStatus.OTHER: (CaseStatus.CHECKING,),
    CaseStatus.TRANSFERRED: (CaseStatus.CHECKING,),
}


def allowed_statuses(case: DropoutCase) -> list[tuple[str, str]]:
    return [(s.value, s.label) for s in MANUAL_TRANSITIONS[CaseStatus(case.status)]]


@transaction.atomic
def change_case_status(scope: Scope, user, case: DropoutCase, to_status: str, note: str,
                       happened_on: dt.date | None = None) -> DropoutCase:
    if not scope.may_follow_up(case):
        raise NotAllowed("只有学生最后在册县区的填报员可以记录核查情况")
    case = DropoutCase.objects.select_for_update().get(pk=case.pk)
    if to_status not in {s.value for s in MANUAL_TRANSITIONS[CaseStatus(case.status)]}:
        raise RosterError(f"个案当前为“{case.get_status_display()}”，不能改为所选状态")
    note = (note or "").strip()
    if not note:
        raise RosterError("请填写核查情况说明")
    if happened_on and happened_on > timezone.localdate():
        raise RosterError("日期不能晚于今天")
    old = case.status
    case.status = to_status
    case.closed_at = None if to_status in OPEN_STATUSES else timezone.now()
    if to_status == CaseStatus.CHECKING:
        case.new_unit = None
    case.save(update_fields=["status", "closed_at", "new_unit", "updated_at"])
    CaseEvent.objects.create(case=case, user=user, from_status=old, to_status=to_status, note=note[:2000],
                             happened_on=happened_on)
    audit.record(audit.Action.DATA_CHANGED, user=user, unit=case.unit, target=f"疑似辍学个案 {case.id_masked}",
                 detail={"case": case.pk, "from": old, "to": to_status})
    return case

