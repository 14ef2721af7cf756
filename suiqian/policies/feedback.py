"""Reviewers' feedback as corpus lines, to be labelled into the next split of the corpus."""

from __future__ import annotations

from .models import FindingFeedback

CORPUS_KIND = "审核员反馈（待标注）"


def corpus_line(feedback: FindingFeedback) -> dict:
    """A line in the corpus format (id, place, year, source, kind, text, expect) plus what the reviewer
    said. `expect` is the reviewer's reading: the certain codes found on that sentence, less the one
    marked wrong, plus the one added as missed. A labeller confirms it before it joins a split."""
    submission = feedback.submission
    found = {f.get("code") for f in submission.findings or ()
             if f.get("text") == feedback.sentence and f.get("certain", True)}
    if feedback.kind == FindingFeedback.Kind.WRONG:
        expect = found - {feedback.code}
    else:
        expect = found | {feedback.code}
    return {
        "id": f"feedback-{feedback.pk}",
        "place": feedback.unit.full_name or feedback.unit.name,
        "year": submission.submitted_at.year,
        "source": f"suiqian:submission/{submission.pk}",
        "kind": CORPUS_KIND,
        "text": feedback.sentence,
        "expect": sorted(c for c in expect if c),
        "feedback": feedback.kind,
        "code": feedback.code,
        "note": feedback.note,
    }
