"""Reads: who must deliver what by when, what came in, on time or late; inboxes; packages."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.db.models import Q
from django.http import Http404
from django.urls import reverse

from suiqian.accounts.scope import Refused, Scope
from suiqian.divisions.models import Division
from suiqian.lib.tabular import Column, Table
from suiqian.lib.todo import ToDo
from suiqian.reporting.models import Report, ReportEvent

from .models import DocumentSubmission, Extension, ExtensionRequest, InboxMessage, Notice, NoticeTarget, Requirement

CHINA = ZoneInfo("Asia/Shanghai")
STATUS_LABELS = {"missing": "未报送", "submitted": "已报送", "approved": "已审核", "returned": "已退回"}


def china_date(moment: dt.datetime) -> dt.date:
    """Deadlines are dates in China Standard Time: 23:59:59 on the due date is on time."""
    return moment.astimezone(CHINA).date()


def today_in_china() -> dt.date:
    return china_date(dt.datetime.now(dt.timezone.utc))


# --- visibility ------------------------------------------------------------------------

SENT = (Notice.Status.PUBLISHED, Notice.Status.WITHDRAWN)
PAGE_SIZE = 20


def visible_notices(scope: Scope):
    """Notices issued in the user's subtree, addressed to it, or forwarded into it."""
    if scope.is_system:
        return Notice.objects.all()
    root = scope.root_path
    # A withdrawn notice stays readable to those who received it, marked withdrawn.
    published = Q(status__in=SENT)
    return Notice.objects.filter(
        Q(issuer__path__startswith=root)
        | (published & Q(targets__unit__path__startswith=root))
        | (published & Q(forwards__targets__unit__path__startswith=root))
    ).distinct()


def get_notice(scope: Scope, pk: int) -> Notice:
    from django.http import Http404

    notice = visible_notices(scope).select_related("issuer", "forwarded_from").filter(pk=pk).first()
    if notice is None:
        raise Http404("通知不存在或不在您的权限范围内")
    return notice


def inbox(scope: Scope):
    if scope.is_system:
        return NoticeTarget.objects.none()
    return (NoticeTarget.objects.filter(unit=scope.unit, notice__status__in=SENT)
            .select_related("notice", "notice__issuer").order_by("-notice__published_at", "-pk"))


def issued(scope: Scope):
    if scope.is_system:
        return Notice.objects.all()
    return Notice.objects.filter(issuer=scope.unit).select_related("issuer")


def search_inbox(scope: Scope, text: str = ""):
    qs = inbox(scope)
    if text:
        qs = qs.filter(Q(notice__wenhao__icontains=text) | Q(notice__title__icontains=text)
                       | Q(notice__issuer__name__icontains=text))
    return qs


def search_issued(scope: Scope, text: str = ""):
    qs = issued(scope)
    if text:
        qs = qs.filter(Q(wenhao__icontains=text) | Q(title__icontains=text))
    return qs.order_by("-created_at", "-pk")


def extension_requests(notice: Notice, scope: Scope):
    """Requests on this notice that the viewer may see: all for the issuer's side, a unit's own otherwise."""
    qs = (ExtensionRequest.objects.filter(requirement__notice=notice)
          .select_related("requirement", "unit", "requested_by", "decided_by"))
    if scope.is_system or scope.sees(notice.issuer):
        return qs
    return qs.filter(unit=scope.unit)


def unread_messages(scope: Scope):
    if scope.is_system:
        return InboxMessage.objects.none()
    return InboxMessage.objects.filter(unit=scope.unit, read_at__isnull=True)


# --- expected units and their status ---------------------------------------------------------

def expected_units(requirement: Requirement) -> list[Division]:
    chosen = list(requirement.units.all())
    if chosen:
        return sorted(chosen, key=lambda u: u.code)
    return [t.unit for t in requirement.notice.targets.select_related("unit").order_by("unit__code")]


def is_expected(requirement: Requirement, unit: Division) -> bool:
    return any(u.pk == unit.pk for u in expected_units(requirement))


def requirements_for(notice: Notice, unit: Division) -> list[Requirement]:
    return [r for r in notice.requirements.all() if is_expected(r, unit)]


@dataclass
class UnitStatus:
    requirement: Requirement
    unit: Division
    status: str  # missing / submitted / approved / returned
    due_date: dt.date
    extension: Extension | None = None
    first_submitted_at: dt.datetime | None = None
    latest: DocumentSubmission | Report | None = None
    today: dt.date | None = None

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]

    @property
    def submitted(self) -> bool:
        return self.first_submitted_at is not None

    @property
    def on_time(self) -> bool | None:
        if not self.submitted:
            return None
        return china_date(self.first_submitted_at) <= self.due_date

    @property
    def overdue(self) -> bool:
        return not self.submitted and self.today is not None and self.today > self.due_date

    @property
    def timeliness(self) -> str:
        if self.on_time is True:
            return "按时"
        if self.on_time is False:
            return "逾期报送"
        return "逾期未报" if self.overdue else "未到期"


def document_status(requirement: Requirement, units: list[Division]) -> dict[int, tuple]:
    rows = DocumentSubmission.objects.filter(requirement=requirement, unit__in=units).order_by("unit_id", "version")
    out: dict[int, tuple] = {}
    for s in rows:
        first = out[s.unit_id][0] if s.unit_id in out else s.submitted_at
        out[s.unit_id] = (first, s)
    return {uid: (first, s, s.status) for uid, (first, s) in out.items()}


def _form_status(requirement: Requirement, units: list[Division]) -> dict[int, tuple]:
    reports = {r.unit_id: r for r in Report.objects.filter(form=requirement.form, unit__in=units)}
    firsts: dict[int, dt.datetime] = {}
    for unit_id, at in (ReportEvent.objects.filter(report__in=reports.values(), action=ReportEvent.Action.SUBMIT)
                        .order_by("at").values_list("report__unit_id", "at")):
        firsts.setdefault(unit_id, at)
    out = {}
    for unit_id, report in reports.items():
        if report.status == Report.Status.DRAFT and unit_id not in firsts:
            continue
        # A draft that was submitted before is being reworked after a return.
        status = "returned" if report.status == Report.Status.DRAFT else report.status
        out[unit_id] = (firsts.get(unit_id), report, status)
    return out


def board(requirement: Requirement, today: dt.date | None = None, scope: Scope | None = None) -> list[UnitStatus]:
    """One row per expected unit (within the viewer's scope): status, due date with extension, timeliness."""
    today = today or today_in_china()
    units = [u for u in expected_units(requirement) if scope is None or scope.sees(u)]
    extensions = {e.unit_id: e for e in requirement.extensions.filter(unit__in=units)}
    found = (_form_status if requirement.kind == Requirement.Kind.FORM else document_status)(requirement, units)
    rows = []
    for unit in units:
        first, latest, status = found.get(unit.pk, (None, None, "missing"))
        ext = extensions.get(unit.pk)
        rows.append(UnitStatus(requirement, unit, status, ext.due_date if ext else requirement.due_date, ext,
                               first, latest, today))
    return rows


@dataclass
class Completeness:
    requirement: Requirement
    rows: list[UnitStatus]

    @property
    def expected(self) -> int:
        return len(self.rows)

    def _count(self, test) -> int:
        return sum(1 for r in self.rows if test(r))

    @property
    def on_time(self) -> int:
        return self._count(lambda r: r.on_time is True)

    @property
    def late(self) -> int:
        return self._count(lambda r: r.on_time is False)

    @property
    def missing(self) -> int:
        return self._count(lambda r: not r.submitted)

    @property
    def overdue(self) -> int:
        return self._count(lambda r: r.overdue)

    @property
    def approved(self) -> int:
        return self._count(lambda r: r.status == "approved")

    @property
    def returned(self) -> int:
        return self._count(lambda r: r.status == "returned")


def completeness(notice: Notice, today: dt.date | None = None, scope: Scope | None = None) -> list[Completeness]:
    return [Completeness(r, board(r, today, scope)) for r in notice.requirements.select_related("form", "notice")]


def status_table(notice: Notice, today: dt.date | None = None, scope: Scope | None = None) -> Table:
    """One row per expected unit and requirement, for CSV and xlsx."""
    rows = []
    for block in completeness(notice, today, scope):
        for r in block.rows:
            submitted = r.first_submitted_at.astimezone(CHINA).strftime("%Y-%m-%d %H:%M:%S") if r.submitted else ""
            rows.append([r.unit.code, r.unit.name, block.requirement.title, r.status_label, submitted,
                         r.due_date.isoformat(), r.timeliness])
    columns = [Column("单位代码", width=10), Column("单位名称", width=16), Column("事项", width=36),
               Column("状态", width=10), Column("报送时间", width=20), Column("截止日期", width=12),
               Column("及时性", width=10)]
    return Table(f"{notice.wenhao} 报送情况", columns, rows)


# --- reminders -------------------------------------------------------------------------------

@dataclass
class OpenItem:
    requirement: Requirement
    unit: Division
    due_date: dt.date
    overdue: bool


def open_items(today: dt.date, window_days: int) -> list[OpenItem]:
    """Undelivered (or returned) requirements due within the window or already overdue."""
    items = []
    horizon = today + dt.timedelta(days=window_days)
    requirements = Requirement.objects.filter(notice__status=Notice.Status.PUBLISHED).select_related("notice", "form")
    for requirement in requirements:
        for row in board(requirement, today):
            if row.status in ("approved", "submitted"):
                continue
            if row.due_date <= horizon:
                items.append(OpenItem(requirement, row.unit, row.due_date, today > row.due_date))
    return items


def dashboard_completeness(scope: Scope, unit: Division, limit: int = 5) -> list[Completeness]:
    """Completeness of the latest notices issued by `unit` (or, for a county, what it owes)."""
    notices = Notice.objects.filter(issuer=unit, status=Notice.Status.PUBLISHED)[:limit]
    if not notices:
        notices = [t.notice for t in NoticeTarget.objects.filter(unit=unit, notice__status=Notice.Status.PUBLISHED)
                   .select_related("notice")[:limit]]
    return [block for notice in notices for block in completeness(notice, scope=scope)]


def reporting_lapses(scope: Scope, year: int, today: dt.date | None = None) -> list[UnitStatus]:
    """Units in scope that delivered late or not at all, for requirements due in `year`."""
    today = today or today_in_china()
    lapses = []
    requirements = (Requirement.objects.filter(notice__status=Notice.Status.PUBLISHED, due_date__year=year)
                    .select_related("notice", "form"))
    for requirement in requirements:
        for row in board(requirement, today, scope):
            if row.on_time is False or row.overdue:
                lapses.append(row)
    return lapses


def attention(scope: Scope, today: dt.date | None = None) -> list[ToDo]:
    """What awaits the unit: unread notices, what it still owes (nearest due first), documents to review."""
    if scope.is_system:
        return []
    today = today or today_in_china()
    unit, items = scope.unit, []
    for target in inbox(scope).filter(read_at__isnull=True)[:10]:
        items.append(ToDo(f"未读通知：{target.notice.wenhao}《{target.notice.title}》",
                          reverse("notice_detail", args=[target.notice_id])))
    owed = []
    for target in inbox(scope):
        for requirement in requirements_for(target.notice, unit):
            row = next((r for r in board(requirement, today) if r.unit.pk == unit.pk), None)
            if row and row.status in ("missing", "returned") and requirement.kind == Requirement.Kind.DOCUMENT:
                owed.append(row)
    for row in sorted(owed, key=lambda r: r.due_date)[:10]:
        when = "已逾期" if row.due_date < today else "截止"
        items.append(ToDo(f"报送“{row.requirement.title}”（{when} {row.due_date:%Y-%m-%d}，{row.status_label}）",
                          reverse("submission_page", args=[row.requirement.pk, unit.code])))
    if scope.may_review_children_of(unit):
        pending = (DocumentSubmission.objects.filter(unit__parent=unit, status=DocumentSubmission.Status.SUBMITTED)
                   .select_related("unit", "requirement").order_by("submitted_at")[:20])
        for s in pending:
            items.append(ToDo(f"审核{s.unit.name}报送的“{s.requirement.title}”（第 {s.version} 版）",
                              reverse("submission_page", args=[s.requirement_id, s.unit.code])))
    return items


# --- one unit's delivery, looked up for the API -------------------------------------------------

def requirement_of(scope: Scope, requirement_id: int, unit: Division) -> Requirement:
    """A requirement of a notice the user may see, owed by `unit`; 404 otherwise."""
    requirement = Requirement.objects.select_related("notice", "form").filter(pk=requirement_id).first()
    if requirement is None:
        raise Http404("事项不存在")
    get_notice(scope, requirement.notice_id)
    if not is_expected(requirement, unit):
        raise Http404("该单位不是该事项的报送单位")
    return requirement


def versions(requirement: Requirement, unit: Division):
    return (DocumentSubmission.objects.filter(requirement=requirement, unit=unit)
            .select_related("unit", "submitted_by", "decided_by").order_by("-version"))


def submission_for(scope: Scope, pk: int) -> DocumentSubmission:
    """A submission of the user's unit or one below it."""
    submission = DocumentSubmission.objects.select_related("unit", "requirement__notice").filter(pk=pk).first()
    if submission is None or not scope.sees(submission.unit):
        raise Http404("材料不存在或不在您的权限范围内")
    return submission


def read_receipts(scope: Scope, notice: Notice):
    """Who signed for the notice: for the issuing side only (the issuer and the units above it)."""
    if not scope.sees(notice.issuer):
        raise Refused("只有发文单位及其上级可以查看签收情况")
    return notice.targets.select_related("unit", "read_by").order_by("unit__code")
