"""实施细则审查: reads a county's 随迁子女入学实施细则 and shows which sentence breaks which clause.

- extraction.extract_paragraphs(data, filename) -> list[str]       (.docx, text-layer PDF, UTF-8/GBK text)
- checker.check_paragraphs(paragraphs) / check_file(data, filename) -> list[Finding]  (certain=False: 需人工核查)
- highlight.highlight(paragraphs, findings) -> list[list[Segment]]  (for the review page's <mark>s)
- conditions.extract_conditions(paragraphs) -> Conditions; consistency_table(rows) -> ConsistencyTable
  (red where a county breaks the policy, amber where it differs from a majority within policy)
- rules.load_rules() — rules.yaml, the rules as data; evaluation — scores on corpus/real (train/dev/frozen test)
- services.record_feedback — reviewers mark findings wrong or add missed ones; feedback.corpus_line exports them
- `suiqian policy check FILE... [--format json|text]`, `suiqian policy feedback export -o F.jsonl`
"""
