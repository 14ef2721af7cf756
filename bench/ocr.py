"""Scanned 实施细则: how much of the text Tesseract reads back, and how fast.

    python -m bench.ocr --db sqlite

Corpus excerpts (real published wording) are typeset on A4 pages at 300 dpi, as a county's scanner
produces them, once clean and once with a red 公章 over the text; each page is read by
`suiqian.policies.ocr` and compared with its source: character accuracy = 1 − edit distance / length,
white space ignored (aim: ≥ 95 % on clean scans). Also prints pages per second on one core and the
findings of the checker on the scan against those on the source text. No database: it runs in the
sqlite round of `python -m bench` only. Skips, saying why, without Tesseract or the Noto CJK fonts.
"""

from __future__ import annotations

import random
import time

import bench

SEED = 2021_24
PAGES = 2


def main(db: str) -> None:
    if db != "sqlite":
        return
    bench.setup_django(db, "ocr")
    from suiqian.policies import ocr
    from suiqian.policies.checker import check_paragraphs
    from suiqian.policies.evaluation import load_corpus
    from suiqian.policies.tests.scans import FONT, page_images

    if not ocr.available() or not FONT.exists():
        print("ocr: skipped — needs tesseract-ocr, tesseract-ocr-chi-sim and fonts-noto-cjk (apt-get install)")
        return
    excerpts = [text for e in load_corpus() for text in e.paragraphs]
    random.Random(SEED).shuffle(excerpts)
    source = _fill_pages(excerpts, page_images)
    truth = "".join("".join(source).split())
    print(f"ocr: {PAGES} A4 pages at 300 dpi, {len(truth)} characters of corpus text")
    for stamp in (False, True):
        started = time.perf_counter()
        pages = [ocr.recognize_page(image, n) for n, image in enumerate(page_images(source, stamp=stamp), 1)]
        seconds = time.perf_counter() - started
        read = "".join("".join(p.text for p in page.paragraphs) for page in pages)
        read = "".join(read.split())
        accuracy = 1 - edit_distance(truth, read) / len(truth)
        label = "stamped" if stamp else "clean"
        confidence = sum(p.confidence for p in pages) / len(pages)
        print(f"  {label:8} character accuracy {accuracy:.4f}  mean confidence {confidence:.1f}  "
              f"{len(pages) / seconds:.2f} pages/s")
        found = {f.code for f in check_paragraphs([p.text for page in pages for p in page.paragraphs])}
        expected = {f.code for f in check_paragraphs(source)}
        print(f"  {label:8} checker codes on the scan {len(found & expected)}/{len(expected)} of the text's, "
              f"{len(found - expected)} extra")


def _fill_pages(excerpts: list[str], page_images) -> list[str]:
    """As many excerpts as fill PAGES pages."""
    chosen: list[str] = []
    for text in excerpts:
        if len(page_images([*chosen, text], stamp=False)) > PAGES:
            break
        chosen.append(text)
    return chosen


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance, two rows at a time."""
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


if __name__ == "__main__":
    raise SystemExit(bench.cli(main))
