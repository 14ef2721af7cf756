"""Accuracy of the 实施细则 checker on the labelled corpus, and its throughput on 10-page documents.

    python -m bench.policies --db sqlite

Pure Python, no database: it runs (and prints) only in the sqlite round of `python -m bench`.
Prints per-code precision / recall / support and the overall (micro) figures over
suiqian/policies/corpus/*.yaml, then documents per second on one core for generated documents of
10 pages × about 1,800 characters built from corpus sentences: checking paragraphs alone, and
reading a .txt (UTF-8) or .docx from bytes and checking it. Fails if overall precision or
recall falls below 0.95.
"""

from __future__ import annotations

import io
import random
import zipfile
from xml.sax.saxutils import escape

import bench
from bench import check

SEED = 2021_24
PAGES = 10
CHARS_PER_PAGE = 1_800
DOCUMENTS = 30
MIN_SCORE = 0.95


def main(db: str) -> None:
    if db != "sqlite":
        return  # no database involved: measured once, in the sqlite round
    from suiqian.policies.evaluation import evaluate, load_corpus
    from suiqian.policies.rules import load_rules

    rules = load_rules()
    excerpts = load_corpus()
    evaluation = evaluate(excerpts, rules)
    print_scores(evaluation)
    overall = evaluation.overall
    print_throughput(excerpts, rules)
    check(overall.precision >= MIN_SCORE and overall.recall >= MIN_SCORE,
          f"corpus precision {overall.precision:.3f} / recall {overall.recall:.3f} below {MIN_SCORE}")


def print_scores(evaluation) -> None:
    print(f"corpus: {evaluation.excerpts} excerpts, {evaluation.compliant} compliant")
    header = ("code", "precision", "recall", "support", "tp", "fp", "fn")
    rows = [header] + [
        (s.code, f"{s.precision:.3f}", f"{s.recall:.3f}", str(s.support), str(s.true_positives),
         str(s.false_positives), str(s.false_negatives))
        for s in [*evaluation.scores, evaluation.overall]]
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    for index, row in enumerate(rows):
        if index == len(rows) - 1:
            print("  " + "  ".join("-" * w for w in widths))
        print("  " + "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths))))
    for excerpt_id, expected, found in evaluation.mistakes:
        print(f"  mistake {excerpt_id}: expected {sorted(expected) or '[]'}, found {sorted(found) or '[]'}")


def print_throughput(excerpts, rules) -> None:
    from suiqian.policies.checker import check_file, check_paragraphs

    documents = generate_documents(excerpts, DOCUMENTS)
    chars = sum(len(p) for d in documents for p in d) / len(documents)
    texts = ["\n".join(d).encode("utf-8") for d in documents]
    docx_files = [minimal_docx(d) for d in documents]
    check_paragraphs(documents[0], rules)  # warm the regex caches outside the timing

    timings = {
        "check_paragraphs": _per_second(lambda: [check_paragraphs(d, rules) for d in documents]),
        "check_file (.txt)": _per_second(lambda: [check_file(t, "x.txt", rules) for t in texts]),
        "check_file (.docx)": _per_second(lambda: [check_file(x, "x.docx", rules) for x in docx_files]),
    }
    print(f"throughput: {DOCUMENTS} generated documents of {PAGES} pages, {chars:,.0f} characters each, one core")
    for name, rate in timings.items():
        print(f"  {name:20} {rate:8.1f} documents/s  ({1000 / rate:.1f} ms per document)")


def _per_second(run) -> float:
    timing = bench.measure(run, repeat=3)
    return DOCUMENTS / timing.best


def generate_documents(excerpts, count: int) -> list[list[str]]:
    """Documents of PAGES × CHARS_PER_PAGE characters, paragraphs drawn from corpus excerpts."""
    rng = random.Random(SEED)
    pool = [p for e in excerpts for p in e.paragraphs]
    documents = []
    for _ in range(count):
        paragraphs, size = [], 0
        while size < PAGES * CHARS_PER_PAGE:
            paragraph = "".join(rng.choice(pool) for _ in range(rng.randint(1, 4)))
            paragraphs.append(paragraph)
            size += len(paragraph)
        documents.append(paragraphs)
    return documents


def minimal_docx(paragraphs: list[str]) -> bytes:
    """A .docx with just the parts Word needs, so the benchmark does not depend on python-docx."""
    body = "".join(f"<w:p><w:r><w:t>{escape(p)}</w:t></w:r></w:p>" for p in paragraphs)
    document = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
                f"<w:body>{body}</w:body></w:document>")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml",
                         '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/'
                         'package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/>'
                         '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-'
                         'officedocument.wordprocessingml.document.main+xml"/></Types>')
        archive.writestr("word/document.xml", document)
    return buffer.getvalue()


if __name__ == "__main__":
    raise SystemExit(bench.cli(main))
