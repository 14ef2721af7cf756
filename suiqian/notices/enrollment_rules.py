"""Reads of 实施细则 (enrollment rules): a city's package of its counties' rules, the counts for 附件3,
the review page's marked text and scan pages, and the counties of a city side by side."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from suiqian.accounts.scope import OutOfScope, Scope
from suiqian.divisions.models import Division
from suiqian.policies.checker import Finding
from suiqian.policies.conditions import ConsistencyTable, consistency_table, extract_conditions
from suiqian.policies.extraction import ExtractionError, extract_paragraphs
from suiqian.policies.highlight import highlight

from .models import DocumentSubmission, Notice, Requirement
from .queries import document_status, expected_units


@dataclass
class PackageEntry:
    unit: Division
    submission: DocumentSubmission | None


@dataclass
class Package:
    requirement: Requirement
    unit: Division
    counties: list[PackageEntry] = field(default_factory=list)


def package(requirement: Requirement, unit: Division) -> Package:
    """For a city: each county's current 实施细则 under the requirement the city forwarded, with its decision."""
    forwarded = Requirement.objects.filter(parent=requirement, notice__issuer=unit).first()
    package = Package(requirement, unit)
    if forwarded is None:
        return package
    counties = expected_units(forwarded)
    latest = document_status(forwarded, counties)
    for county in counties:
        package.counties.append(PackageEntry(county, latest.get(county.pk, (None, None, None))[1]))
    return package


def reviewed_counts(city: Division, year: int) -> tuple[int, int]:
    """(reviewed, not reviewed) counties of a city for 实施细则 due in `year` — 附件3 row 1."""
    counties = list(Division.objects.filter(parent=city).existing_in(year))
    requirements = Requirement.objects.filter(notice__issuer=city, notice__status=Notice.Status.PUBLISHED,
                                              document_type=Requirement.DocumentType.ENROLLMENT_RULES,
                                              due_date__year=year)
    approved = set()
    for requirement in requirements:
        for unit_id, (_, _, status) in document_status(requirement, counties).items():
            if status == DocumentSubmission.Status.APPROVED:
                approved.add(unit_id)
    reviewed = sum(1 for c in counties if c.pk in approved)
    return reviewed, len(counties) - reviewed


def highlighted(submission: DocumentSubmission):
    """The document's paragraphs with the policy checker's findings marked, for the review page."""
    if not submission.findings or submission.content_type not in ("pdf", "docx", "txt") or submission.recognized_pages:
        return None
    paragraphs = submission.paragraphs
    if not paragraphs:  # stored before the text was kept with the submission
        try:
            with submission.file.open("rb") as f:
                paragraphs = extract_paragraphs(f.read(), submission.filename)
        except (ExtractionError, OSError):
            return None
    return highlight(paragraphs, _checker_findings(submission))


def _checker_findings(submission: DocumentSubmission) -> list[Finding]:
    return [Finding.from_dict(f) for f in submission.findings if f.get("code") not in ("UNREADABLE", "UNCHECKED")]


@dataclass
class ScanPage:
    """One page of a scan on the review page: its image with the findings' words boxed, and the text read."""
    number: int
    width: int
    height: int
    confidence: float
    low_quality: bool
    paragraphs: list  # (paragraph number, highlight segments)
    boxes: list[tuple[int, int, int, int, str]]  # x, y, width, height, severity


def scan_pages(submission: DocumentSubmission) -> list[ScanPage]:
    """The recognised pages of a scanned submission, the findings marked in the image and in the text."""
    findings = _checker_findings(submission)
    pages, number = [], 0
    for page in submission.recognized_pages:
        paragraphs, boxes = [], []
        for paragraph in page["paragraphs"]:
            number += 1
            mine = [f for f in findings if f.paragraph == number]
            paragraphs.append((number, highlight([paragraph["text"]], [_as_first(f) for f in mine])[0]))
            boxes.extend(_word_boxes(paragraph["words"], mine))
        pages.append(ScanPage(page["number"], page["width"], page["height"], page["confidence"],
                              page["low_quality"], paragraphs, boxes))
    return pages


def _as_first(finding: Finding) -> Finding:
    """The finding renumbered as the only paragraph of a one-paragraph highlight."""
    return dataclasses.replace(finding, paragraph=1)


def _word_boxes(words: list, findings: list[Finding]) -> list[tuple[int, int, int, int, str]]:
    """Boxes around the words a finding covers; the characters of one line run together into one box."""
    boxes: list[list] = []
    for start, end, x0, y0, x1, y1, _conf in words:
        hit = [f for f in findings if start < f.end and f.start < end]
        if not hit:
            continue
        severity = "error" if any(f.severity == "error" for f in hit) else "warning"
        last = boxes[-1] if boxes else None
        if last and last[4] == severity and _same_line(last, y0, y1) and x0 - last[2] < (y1 - y0):
            last[1], last[2], last[3] = min(last[1], y0), max(last[2], x1), max(last[3], y1)
        else:
            boxes.append([x0, y0, x1, y1, severity])
    return [(x0, y0, x1 - x0, y1 - y0, severity) for x0, y0, x1, y1, severity in boxes]


def _same_line(box: list, y0: int, y1: int) -> bool:
    overlap = min(box[3], y1) - max(box[1], y0)
    return overlap > 0.5 * min(box[3] - box[1], y1 - y0)


@dataclass
class CityConsistency:
    city: Division
    requirement: object | None
    table: ConsistencyTable | None
    missing: list[tuple[Division, str]] = field(default_factory=list)  # county, why it is not compared


def city_consistency(scope: Scope, city: Division) -> CityConsistency:
    """Each county's key conditions from the latest version of its rules under the city's latest notice."""
    if not scope.sees(city):
        raise OutOfScope("单位不存在或不在您的权限范围内")
    requirement = (Requirement.objects.filter(notice__issuer=city, notice__status=Notice.Status.PUBLISHED,
                                              document_type=Requirement.DocumentType.ENROLLMENT_RULES)
                   .order_by("-due_date", "-pk").first())
    result = CityConsistency(city, requirement, None)
    if requirement is None:
        return result
    rows = []
    counties = expected_units(requirement)
    latest_of = document_status(requirement, counties)  # one query for every county's latest version
    for county in counties:
        latest = latest_of.get(county.pk, (None, None, None))[1]
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
