"""Who may see and change what — the one place that decides it.

A user belongs to one unit. They see their unit and everything below it, nothing
beside it, and of the units above only the names. Roles decide what they may do
within that: 填报员 fills their own unit's forms, 审核员 reviews what the units
directly below submit, 管理员 manages users of their unit and below, 查看 reads.

Every view, API endpoint, export and command asks a Scope; none filters by unit
on its own.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from suiqian.divisions.models import Division

from .models import Role


class OutOfScope(Http404):
    """Raised for a unit the user may not see. A 404, so that nothing beside is confirmed to exist."""


class Refused(PermissionDenied):
    """The one refusal of an action on something the user may see: a 403 on every page and in the API.

    Each app's `NotAllowed` is this type (and its own domain error, so commands print the message);
    nothing raises Python's PermissionError, which Django would answer with a 500.
    """


def require(allowed: bool, message: str) -> None:
    """Raise Refused with `message` (shown to the user) unless `allowed`."""
    if not allowed:
        raise Refused(message)


@dataclass(frozen=True)
class Scope:
    unit: Division | None  # None: the whole platform (operator commands only)
    roles: frozenset[str]

    @classmethod
    def of(cls, user) -> Scope:
        if not user.is_authenticated or user.unit_id is None:
            if getattr(user, "is_superuser", False):
                return cls.system()
            return cls(unit=Division(path="\0"), roles=frozenset())
        return cls(unit=user.unit, roles=user.roles)

    @classmethod
    def system(cls) -> Scope:
        """The operator at the command line: sees everything, acts as every role."""
        return cls(unit=None, roles=frozenset(Role.values))

    @property
    def is_system(self) -> bool:
        return self.unit is None

    @property
    def root_path(self) -> str:
        return "" if self.unit is None else self.unit.path

    # --- seeing -----------------------------------------------------------
    def units(self) -> QuerySet[Division]:
        """Every unit the user may see."""
        return Division.objects.filter(path__startswith=self.root_path)

    def sees(self, unit: Division) -> bool:
        return unit.path.startswith(self.root_path)

    def filter(self, queryset: QuerySet, unit_field: str = "unit") -> QuerySet:
        """Restrict any queryset whose rows belong to a unit to those the user may see."""
        if self.is_system:
            return queryset
        return queryset.filter(**{f"{unit_field}__path__startswith": self.root_path})

    def get_unit(self, code: str, year: int | None = None) -> Division:
        """The unit with `code` if the user may see it; 404 otherwise."""
        qs = self.units().filter(code=code)
        if year:
            qs = qs.existing_in(year)
        unit = qs.filter(valid_to__isnull=True).first() or qs.first()
        if unit is None:
            raise OutOfScope("单位不存在或不在您的权限范围内")
        return unit

    def default_unit(self) -> Division:
        """The unit a page opens on: the user's own; for the operator, the top of the tree
        (教育部 once the national tree is loaded, else the province)."""
        if self.unit is not None:
            return self.unit
        top = Division.objects.current().filter(parent__isnull=True).order_by("code").first()
        if top is None:
            raise OutOfScope("尚未载入行政区划")
        return top

    def default_year(self, years_with_data: list[int] | tuple[int, ...] = ()) -> int:
        """The year a page opens on: the latest year with data the user may see, else this year."""
        return max(years_with_data, default=timezone.localdate().year)

    def breadcrumbs(self, unit: Division) -> list[tuple[Division, bool]]:
        """Units from the top down to `unit`, each with whether the user may open it."""
        return [(u, self.sees(u)) for u in [*unit.ancestors(), unit]]

    # --- acting -----------------------------------------------------------
    def has_role(self, role: str) -> bool:
        return role in self.roles

    def may_fill(self, unit: Division) -> bool:
        return self.has_role(Role.FILLER) and (self.is_system or unit.pk == self.unit.pk)

    def may_fill_statistics(self, unit: Division) -> bool:
        """A county's 教育事业统计: its own 填报员, or its city's, who often holds the survey's figures."""
        return self.has_role(Role.FILLER) and unit.level == Division.Level.COUNTY and (
            self.is_system or unit.pk == self.unit.pk or unit.parent_id == self.unit.pk)

    def may_review(self, unit: Division) -> bool:
        """审核员 of the parent unit review what a unit submits."""
        return self.has_role(Role.REVIEWER) and (self.is_system or unit.parent_id == self.unit.pk)

    def may_review_children_of(self, unit: Division) -> bool:
        """Whether what `unit`'s children submit is this user's to review (their to-do list)."""
        return self.has_role(Role.REVIEWER) and (self.is_system or unit.pk == self.unit.pk)

    def may_issue(self, unit: Division) -> bool:
        """Issuing or forwarding a notice in the unit's name: its 管理员 or 审核员."""
        return (self.has_role(Role.ADMIN) or self.has_role(Role.REVIEWER)) and (
            self.is_system or unit.pk == self.unit.pk)

    def may_list_users(self) -> bool:
        """The user pages (who is locked out, and unlocking them) are for 管理员."""
        return self.has_role(Role.ADMIN)

    def may_unlock(self, user) -> bool:
        """The user's unit's 管理员, and the 管理员 above it."""
        return user.unit is not None and self.may_manage(user.unit)

    def may_manage(self, unit: Division) -> bool:
        return self.has_role(Role.ADMIN) and self.sees(unit)

    def may_supervise(self, unit: Division) -> bool:
        """Inspections, 约谈/通报 and published rankings of a unit are made from above, by 审核员 or 管理员."""
        if self.is_system:
            return True
        return self._supervisor() and self.sees(unit) and unit.pk != self.unit.pk

    def may_change_inspection(self, inspection) -> bool:
        """Only the inspecting unit and the units above it change an inspection or add to it — not the
        units between the inspector and the inspected (a city may not rewrite the province's inspection)."""
        if self.is_system:
            return True
        return self.may_supervise(inspection.unit) and inspection.inspector.path.startswith(self.root_path)

    def may_note_progress(self, unit: Division) -> bool:
        """Progress notes on a key county: anyone who acts (not 查看) in the county or above."""
        return self.sees(unit) and bool(self.roles & {Role.FILLER, Role.REVIEWER, Role.ADMIN})

    def may_publish_ranking(self, unit: Division) -> bool:
        return self.is_system or self.may_issue(unit)

    def may_forward(self, notice, unit: Division) -> bool:
        """转发: a unit passes a published notice it received to the units below it, once."""
        if not (self.may_issue(unit) and notice.status == "published"):
            return False
        return (notice.targets.filter(unit=unit).exists() and unit.children.exists()
                and not notice.forwards.filter(issuer=unit).exists())

    def may_import(self, unit: Division | None) -> bool:
        """The unit's own 填报员 import its roster (a city's may import a file covering its counties)."""
        return self.is_system or (unit is not None and self.may_fill(unit))

    def may_follow_up(self, case) -> bool:
        """Dropout cases are verified by the county where the child was last seen."""
        return self.is_system or self.may_fill(case.unit)

    def may_detect(self, unit: Division) -> bool:
        """A county's or city's 填报员 starts a dropout comparison from its page; it covers the whole platform
        because transfers cross every boundary, and it only adds what is new."""
        return self.is_system or self.may_fill(unit)

    def may_export_personal(self, unit: Division | None) -> bool:
        """Lists with children's names leave the platform only through staff who work with them."""
        if unit is None:
            return self.is_system
        return self.sees(unit) and (self.is_system or self.has_role(Role.FILLER) or self.has_role(Role.ADMIN))

    def may_read_audit_log(self, user) -> bool:
        return bool(getattr(user, "is_superuser", False)) or self.may_administer_platform()

    def _supervisor(self) -> bool:
        return self.has_role(Role.REVIEWER) or self.has_role(Role.ADMIN)

    def may_administer_platform(self) -> bool:
        """教育部's and a province's 管理员 reach Django's admin (scoped to their country or province)."""
        return self.has_role(Role.ADMIN) and (self.is_system or self.unit.level <= Division.Level.PROVINCE)
