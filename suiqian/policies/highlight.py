"""Paragraphs cut into segments so a template can wrap each finding's span in <mark>.

    {% for segment in paragraph %}{% if segment.finding %}<mark data-code="{{ segment.finding.code }}"
    title="{{ segment.finding.explanation }}">{{ segment.text }}</mark>{% else %}{{ segment.text }}{% endif %}{% endfor %}
"""

from __future__ import annotations

from dataclasses import dataclass

from .checker import Finding

SEVERITY_RANK = {"error": 0, "warning": 1}


@dataclass(frozen=True)
class Segment:
    text: str
    finding: Finding | None  # the most severe finding covering this text, None for plain text
    findings: tuple[Finding, ...] = ()  # every finding covering it (one sentence can break several rules)

    def __iter__(self):
        # Unpacks as (text, finding).
        return iter((self.text, self.finding))


def highlight(paragraphs: list[str], findings: list[Finding]) -> list[list[Segment]]:
    """Each paragraph as segments whose texts join back to it; findings of other documents'
    paragraph numbers or spans outside the paragraph are clipped or ignored."""
    by_paragraph: dict[int, list[Finding]] = {}
    for finding in findings:
        by_paragraph.setdefault(finding.paragraph, []).append(finding)
    return [_segments(text, by_paragraph.get(number, [])) for number, text in enumerate(paragraphs, 1)]


def _segments(text: str, findings: list[Finding]) -> list[Segment]:
    spans = [(max(0, f.start), min(len(text), f.end), f) for f in findings]
    spans = [(s, e, f) for s, e, f in spans if s < e]
    cuts = sorted({0, len(text), *(s for s, _, _ in spans), *(e for _, e, _ in spans)})
    segments = []
    for start, end in zip(cuts, cuts[1:]):
        covering = tuple(sorted((f for s, e, f in spans if s <= start and end <= e),
                                key=lambda f: SEVERITY_RANK.get(f.severity, len(SEVERITY_RANK))))
        segments.append(Segment(text[start:end], covering[0] if covering else None, covering))
    return segments
