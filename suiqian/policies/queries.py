"""Reads: the counties of a city side by side, from their current 实施细则."""

from __future__ import annotations

from dataclasses import dataclass, field

from suiqian.accounts.scope import Scope
from suiqian.divisions.models import Division

from .conditions import ConsistencyTable, consistency_table, extract_conditions
from .extraction import ExtractionError, extract_paragraphs
from .models import FindingFeedback


@dataclass
class CityConsistency:
    city: Division
    requirement: object | None
    table: ConsistencyTable | None
    missing: list[tuple[Division, str]] = field(default_factory=list)  # county, why it is not compared


def city_consistency(scope: Scope, city: Division) -> CityConsistency:
    """Each county's key conditions from the latest version of its rules under the city's latest notice."""
    from suiqian.notices.models import DocumentSubmission, Notice, Requirement
    from suiqian.notices.queries import expected_units

    if not scope.sees(city):
        raise PermissionError("不在权限范围内")
    requirement = (Requirement.objects.filter(notice__issuer=city, notice__status=Notice.Status.PUBLISHED,
                                              document_type=Requirement.DocumentType.ENROLLMENT_RULES)
                   .order_by("-due_date", "-pk").first())
    result = CityConsistency(city, requirement, None)
    if requirement is None:
        return result
    rows = []
    for county in expected_units(requirement):
        latest = (DocumentSubmission.objects.filter(requirement=requirement, unit=county)
                  .order_by("-version").first())
        if latest is None:
            result.missing.append((county, "未报送"))
            continue
        try:
            with latest.file.open("rb") as f:
                rows.append((county.name, extract_conditions(extract_paragraphs(f.read(), latest.filename))))
        except (ExtractionError, OSError) as e:
            result.missing.append((county, str(e)))
    result.table = consistency_table(rows) if rows else None
    return result


# --- reviewers' feedback ---------------------------------------------------------------------

def feedback_in_scope(scope: Scope):
    """Every feedback on the rules of units the scope sees (a province sees all of its own)."""
    return scope.filter(FindingFeedback.objects.select_related("unit", "created_by", "submission__requirement"))


def feedback_on(scope: Scope, submission) -> list:
    return list(feedback_in_scope(scope).filter(submission=submission))
