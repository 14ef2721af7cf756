from suiqian.policies.checker import Finding, check_paragraphs
from suiqian.policies.highlight import Segment, highlight


def test_it_cuts_each_paragraph_into_plain_and_marked_segments():
    paragraphs = ["第一条 总则。", "报名材料：户口簿；计划生育证明；居住证。"]
    findings = check_paragraphs(paragraphs)
    [plain], marked = highlight(paragraphs, findings)
    assert plain == Segment("第一条 总则。", None)
    assert [(text, f.code if f else None) for text, f in marked] == [
        ("报名材料：户口簿；", None), ("计划生育证明", "FAMILY_PLANNING_PROOF"), ("；居住证。", None)]
    assert "".join(s.text for s in marked) == paragraphs[1]


def test_it_keeps_every_finding_of_a_sentence_and_puts_the_most_severe_first():
    paragraphs = ["父母双方均须持有居住证满一年，并提供无犯罪记录证明。"]
    [[segment, tail]] = highlight(paragraphs, check_paragraphs(paragraphs))
    assert segment.finding.severity == "error"
    assert {f.code for f in segment.findings} == {
        "RESIDENCE_PERMIT_DURATION_EXCEEDS", "BOTH_PARENTS_REQUIRED", "OTHER_UNNECESSARY_PROOF"}
    assert segment.findings[-1].code == "OTHER_UNNECESSARY_PROOF"  # a warning comes after the errors
    assert tail == Segment("。", None)


def test_it_handles_overlapping_spans_and_ignores_spans_outside_the_paragraph():
    def finding(code, start, end, paragraph=1, severity="error"):
        return Finding(code, severity, paragraph, start, end, "", "", "")

    outer, inner = finding("A", 0, 6, severity="warning"), finding("B", 2, 4)
    [segments] = highlight(["abcdefgh"], [outer, inner, finding("C", 3, 5, paragraph=7), finding("D", 20, 30)])
    assert [(s.text, [f.code for f in s.findings]) for s in segments] == [
        ("ab", ["A"]), ("cd", ["B", "A"]), ("ef", ["A"]), ("gh", [])]
