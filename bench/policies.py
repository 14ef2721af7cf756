"""Accuracy of the 实施细则 checker on the labelled corpus, and its throughput on 10-page documents.

    python -m bench.policies --db sqlite

Pure Python, no database: it runs (and prints) only in the sqlite round of `python -m bench`.
Prints per-code precision / recall / support and the overall (micro) figures over certain findings
on each split of the real corpus (suiqian/policies/corpus/real: train, dev, and the frozen test
split, whose SHA-256 it checks), then on the invented excerpts, then documents per second on one
core for generated documents of 10 pages × about 1,800 characters built from corpus sentences.
Fails if the test split was changed, or if the invented excerpts (unit-test material) fall below
0.95; the real test split's figures are printed as they are, and a shortfall is reported.
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
    from suiqian.policies.evaluation import TEST_SPLIT_SHA256, evaluate, load_corpus, load_split, split_sha256
    from suiqian.policies.rules import load_rules

    rules = load_rules()
    check(split_sha256() == TEST_SPLIT_SHA256, "the frozen test split (corpus/real/test*.yaml) was changed")
    for name in ("train", "dev", "test"):
        excerpts = load_split(name)
        # The test split's mistakes are not printed: nobody is to tune on them.
        print_scores(evaluate(excerpts, rules), f"real corpus, {name} split, {len({e.place for e in excerpts})} places",
                     show_mistakes=name != "test")
        if name == "test":
            overall = evaluate(excerpts, rules).overall
            if overall.precision < MIN_SCORE or overall.recall < MIN_SCORE:
                print(f"  SHORTFALL: test precision {overall.precision:.3f} / recall {overall.recall:.3f}"
                      f" below {MIN_SCORE}")
    invented = load_corpus()
    evaluation = evaluate(invented, rules)
    print_scores(evaluation, "invented excerpts (unit-test material, counted in no corpus figure)",
                 show_mistakes=False)
    overall = evaluation.overall
    print_throughput(invented, rules)
    check(overall.precision >= MIN_SCORE and overall.recall >= MIN_SCORE,
          f"invented excerpts precision {overall.precision:.3f} / recall {overall.recall:.3f} below {MIN_SCORE}")


def print_scores(evaluation, title: str, show_mistakes: bool = True) -> None:
    print(f"{title}: {evaluation.excerpts} excerpts, {evaluation.compliant} compliant")
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
    for excerpt_id, expected, found in evaluation.mistakes if show_mistakes else ():
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
