"""Reading scanned 实施细则 — image-only PDF pages and photos — with Tesseract's Simplified Chinese model.

Counties send their rules printed, stamped with the red 公章 and scanned, so the most formal copy has
no text layer. Pages are rendered (pypdfium2) or opened (Pillow) within hard limits, the red of a
stamp is dropped by reading the red channel (red ink is bright there, black print stays dark), and
Tesseract (offline, from Debian's packages) returns words with their boxes and confidences. The
words become paragraphs the checker reads like any other document; the boxes let the review page
mark a finding on the page image.

Runs in the background worker, never in a request: a page takes seconds.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from PIL import Image

from .extraction import ExtractionError, mark_layout

# One thread per Tesseract: workers read pages side by side, and OpenMP threads fighting over the cores of a
# busy server run slower than one each.
os.environ.setdefault("OMP_THREAD_LIMIT", "1")

LANGUAGE = "chi_sim"
MAX_PAGES = 60
# A4 at 300 dpi is 2480 × 3508; anything much larger is not a scan of a page.
MAX_PAGE_PIXELS = 5000 * 7000
RENDER_LONG_SIDE = 3508
SECONDS_PER_PAGE = 90
SECONDS_PER_DOCUMENT = 30 * 60
# Mean word confidence (0–100) below which a page is shown as 识别质量低 for a person to read.
LOW_CONFIDENCE = 75
# Red ink is brighter than this in the red channel; black print is darker.
INK_THRESHOLD = 150

CJK = r"\u3400-\u9fff\uf900-\ufaff"
# Tesseract often returns ASCII punctuation between Chinese characters; a reader expects the full-width
# forms. One character for one, so offsets into the text stay those of the words.
ASCII_TO_FULL_WIDTH = str.maketrans({":": "：", ";": "；", ",": "，", "(": "（", ")": "）", "?": "？", "!": "！"})
# Terms of this field that a fast OCR model gets one character wrong (人学 for 入学, 正明 for 证明). A run of
# the same length that differs from one of them in one Chinese character is read as the term. Only terms of
# four characters or more, none a character away from another real phrase of the field: 居住证 would turn
# 居住地 into 居住证, 子女入学 would turn 子女就学 into 子女入学.
LEXICON = (
    "计划生育证明", "超龄证明", "户籍地无人监护证明", "无人监护证明", "随迁子女", "进城务工人员", "实施细则",
    "义务教育", "社会保险", "入学条件", "入学须知", "入学手续", "入学年龄", "租赁合同", "劳动合同", "营业执照",
    "父母双方", "适龄儿童", "申请就读", "就读公办", "公办学校", "民办学校", "持有时间", "居住年限", "社保缴纳",
    "缴纳社保",
)


class RecognitionError(ExtractionError):
    """The scan cannot be read: too many pages, too large, not an image, or Tesseract failed."""


class RecognitionUnavailable(RecognitionError):
    """Tesseract or its Chinese model is not installed on this server."""


def available() -> bool:
    """Whether this server can read scans (tesseract and the chi_sim model are installed)."""
    if shutil.which("tesseract") is None:
        return False
    import pytesseract

    try:
        return LANGUAGE in pytesseract.get_languages(config="")
    except Exception:  # noqa: BLE001 — a broken install answers with anything
        return False


UNAVAILABLE_MESSAGE = "本服务器未安装文字识别（OCR）组件，扫描件无法自动审查，请人工阅读原件（运维人员：apt-get install tesseract-ocr tesseract-ocr-chi-sim）。"


@dataclass
class Paragraph:
    text: str
    # Each recognised word: its character span in `text`, its box on the page image, its confidence.
    words: list[tuple[int, int, int, int, int, int, float]] = field(default_factory=list)


@dataclass
class Page:
    number: int
    width: int
    height: int
    paragraphs: list[Paragraph]
    confidence: float  # mean word confidence, 0–100

    @property
    def low_quality(self) -> bool:
        return self.confidence < LOW_CONFIDENCE

    def to_dict(self) -> dict:
        return {"number": self.number, "width": self.width, "height": self.height,
                "confidence": round(self.confidence, 1), "low_quality": self.low_quality,
                "paragraphs": [{"text": p.text, "words": p.words} for p in self.paragraphs]}


def scan_kind(data: bytes) -> str:
    """'pdf', 'jpg' or 'png' — what a scan is, told by its content."""
    if data[:1024].find(b"%PDF-") >= 0:
        return "pdf"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    raise RecognitionError("不是可识别的扫描件（PDF、JPEG 或 PNG）。")


def read_paragraphs(data: bytes) -> list[str]:
    """The paragraphs of a scan, recognised here and now (the command line; pages use the task queue)."""
    return paragraphs_of([page.to_dict() for page in recognize(data, scan_kind(data))])


def paragraphs_of(pages: list[dict]) -> list[str]:
    """The document's paragraphs, in page order, as the checker and the highlighter number them."""
    return [p["text"] for page in pages for p in page["paragraphs"]]


# --- pages -------------------------------------------------------------------------------

def page_count(data: bytes, kind: str) -> int:
    if kind != "pdf":
        return 1
    import pypdfium2 as pdfium

    try:
        return len(pdfium.PdfDocument(data))
    except pdfium.PdfiumError as e:
        raise RecognitionError("PDF 已损坏，无法读取页面。") from e


def page_images(data: bytes, kind: str, *, long_side: int = RENDER_LONG_SIDE) -> Iterator[Image.Image]:
    """Each page as an image no larger than `long_side` pixels on its long side, within the limits."""
    if kind == "pdf":
        yield from _pdf_pages(data, long_side)
    else:
        yield _photo(data, long_side)


def page_image(data: bytes, kind: str, number: int, *, long_side: int) -> Image.Image:
    """One page (1-based) for display."""
    if kind == "pdf":
        import pypdfium2 as pdfium

        document = pdfium.PdfDocument(data)
        if not 1 <= number <= min(len(document), MAX_PAGES):
            raise RecognitionError("没有这一页。")
        return _render(document[number - 1], long_side)
    if number != 1:
        raise RecognitionError("没有这一页。")
    return _photo(data, long_side)


def _pdf_pages(data: bytes, long_side: int) -> Iterator[Image.Image]:
    import pypdfium2 as pdfium

    try:
        document = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as e:
        raise RecognitionError("PDF 已损坏，无法读取页面。") from e
    if len(document) > MAX_PAGES:
        raise RecognitionError(f"扫描件有 {len(document)} 页，超过自动识别的上限 {MAX_PAGES} 页，请拆分后分别报送或人工审查。")
    for page in document:
        yield _render(page, long_side)


def _render(page, long_side: int) -> Image.Image:
    width, height = page.get_size()  # points
    if width <= 0 or height <= 0:
        raise RecognitionError("PDF 页面尺寸无效。")
    # The scale is computed from the page size, so a page declared a kilometre wide still renders small.
    scale = long_side / max(width, height)
    return page.render(scale=scale).to_pil()


def _photo(data: bytes, long_side: int) -> Image.Image:
    try:
        with Image.open(io.BytesIO(data)) as probe:
            # The header's size is known before a pixel is decoded: refuse a decompression bomb here.
            if probe.width * probe.height > MAX_PAGE_PIXELS:
                raise RecognitionError(
                    f"图片为 {probe.width}×{probe.height} 像素，超过上限（约 3500 万像素），请以 300 dpi 扫描后上传。")
            if probe.format not in ("JPEG", "PNG"):
                raise RecognitionError("仅支持 JPEG、PNG 图片。")
            probe.load()
            image = probe.convert("RGB")
    except RecognitionError:
        raise
    except (OSError, ValueError, Image.DecompressionBombError) as e:
        raise RecognitionError("图片已损坏或格式不受支持。") from e
    if max(image.size) > long_side:
        image.thumbnail((long_side, long_side))
    return image


# --- recognition -------------------------------------------------------------------------

def recognize(data: bytes, kind: str, *, progress: Callable[[int, int], None] | None = None) -> list[Page]:
    """Every page of a scanned document, recognised; RecognitionError when it cannot be read."""
    if not available():
        raise RecognitionUnavailable(UNAVAILABLE_MESSAGE)
    total = page_count(data, kind)
    deadline = time.monotonic() + SECONDS_PER_DOCUMENT
    pages = []
    for number, image in enumerate(page_images(data, kind), 1):
        if time.monotonic() > deadline:
            raise RecognitionError(f"识别超时（{SECONDS_PER_DOCUMENT // 60} 分钟），已识别 {number - 1} 页，请人工审查。")
        pages.append(recognize_page(image, number))
        if progress:
            progress(number, total)
    if not any(p.paragraphs for p in pages):
        raise RecognitionError("扫描件中没有识别出文字，请确认上传的是实施细则的扫描件。")
    return pages


def recognize_page(image: Image.Image, number: int = 1) -> Page:
    import pytesseract

    ink = _without_red(image)
    try:
        data = pytesseract.image_to_data(ink, lang=LANGUAGE, config="--oem 1 --psm 6",
                                         output_type=pytesseract.Output.DICT, timeout=SECONDS_PER_PAGE)
    except RuntimeError as e:  # pytesseract's timeout
        raise RecognitionError(f"第 {number} 页识别超时，请人工审查。") from e
    except pytesseract.TesseractError as e:
        raise RecognitionError(f"第 {number} 页无法识别。") from e
    paragraphs, confidences = _paragraphs(data)
    confidence = sum(confidences) / len(confidences) if confidences else 0.0
    return Page(number, image.width, image.height, paragraphs, confidence)


def _without_red(image: Image.Image) -> Image.Image:
    """Black print on white with a red stamp's ink gone."""
    red = image.convert("RGB").getchannel("R")
    return red.point(lambda v: 255 if v > INK_THRESHOLD else 0)


def _paragraphs(data: dict) -> tuple[list[Paragraph], list[float]]:
    """Tesseract's words as lines, and the lines joined into paragraphs as a reader sees them: a line
    starts a paragraph when it is indented or the one before stopped short (the rule for PDF text)."""
    lines: dict[tuple[int, int, int], _Line] = {}
    confidences = []
    for i, raw in enumerate(data["text"]):
        word = (raw or "").strip()
        conf = float(data["conf"][i])
        if not word or conf < 0:
            continue
        confidences.append(conf)
        key = (data["block_num"][i], data["par_num"][i], data["line_num"][i])
        left, top = data["left"][i], data["top"][i]
        lines.setdefault(key, _Line()).add(word, (left, top, left + data["width"][i], top + data["height"][i]), conf)
    ordered = sorted(lines.values(), key=lambda line: (line.top, line.x0))
    mark_layout(ordered)
    paragraphs: list[Paragraph] = []
    previous = None
    for line in ordered:
        if previous is None or line.indented or previous.short or ENUMERATOR.match(line.start()):
            paragraphs.append(Paragraph(""))
        _append(paragraphs[-1], line)
        previous = line
    for paragraph in paragraphs:
        paragraph.text = correct(paragraph.text)
    return paragraphs, confidences


class _Line:
    """One line of recognised words, with what the paragraph rule needs (as extraction.PdfLine)."""

    def __init__(self):
        self.words: list[tuple[str, tuple[int, int, int, int], float]] = []
        self.x0 = self.top = 10**9
        self.x1 = self.height = 0
        self.indented = self.short = False

    def start(self) -> str:
        """The first few characters, enough to see an enumerator such as （十二）."""
        return "".join(word for word, _, _ in self.words[:6])

    def add(self, word: str, box: tuple[int, int, int, int], conf: float) -> None:
        self.words.append((word, box, conf))
        self.x0, self.x1 = min(self.x0, box[0]), max(self.x1, box[2])
        self.top, self.height = min(self.top, box[1]), max(self.height, box[3] - box[1])


def _append(paragraph: Paragraph, line: _Line) -> None:
    for word, box, conf in line.words:
        if paragraph.text and _needs_space(paragraph.text[-1], word[0]):
            paragraph.text += " "
        start = len(paragraph.text)
        paragraph.text += word
        paragraph.words.append((start, len(paragraph.text), *box, round(conf, 1)))


def _needs_space(before: str, after: str) -> bool:
    return before.isascii() and before.isalnum() and after.isascii() and after.isalnum()


# 一、 （一） 1. 第三条: a numbered item starts a paragraph even where a scan lost the indentation.
ENUMERATOR = re.compile(r"^([一二三四五六七八九十]+、|[（(][一二三四五六七八九十\d]+[)）]|\d+[.．、]|第[一二三四五六七八九十百\d]+条)")
# 满1年 comes back as 满]年 or 满l年: a lone stroke between two Chinese characters is the digit.
_STROKE_FOR_ONE = re.compile(rf"(?<=[{CJK}])[\]|lI\[](?=[{CJK}])")
_BETWEEN_CJK_PUNCTUATION = re.compile(rf"(?<=[{CJK}])[:;,()?!]|[:;,()?!](?=[{CJK}])")


def correct(text: str) -> str:
    """Full-width punctuation beside Chinese, a lone 1 read as a stroke, and the field's terms mended where
    one character is misread. Every change is one character for one: word offsets stay valid."""
    text = _BETWEEN_CJK_PUNCTUATION.sub(lambda m: m.group().translate(ASCII_TO_FULL_WIDTH), text)
    text = _STROKE_FOR_ONE.sub("1", text)
    text = _quotes(text)
    chars = list(text)
    exact = [(m.start(), m.end()) for term in LEXICON for m in re.finditer(re.escape(term), text)]
    # Characters that belong to a term (as read, or mended) are settled: a shorter term must not "mend"
    # 无人监护证明 back into 无人监护人明, nor 居住证明 turn 居住证持有 into 居住证明有 where 持有时间 was read right.
    settled = [False] * len(chars)
    for term in sorted(LEXICON, key=len, reverse=True):
        _mend(chars, settled, term, [span for span in exact if span[1] - span[0] >= len(term)])
    return "".join(chars)


def _quotes(text: str) -> str:
    """Straight double quotes in Chinese text as the curly pairs they were printed as: opening, closing, in turn."""
    if '"' not in text or not re.search(rf"[{CJK}]", text):
        return text
    parts = text.split('"')
    return "".join(part + ("“" if i % 2 == 0 else "”") for i, part in enumerate(parts[:-1])) + parts[-1]


def _mend(chars: list[str], settled: list[bool], term: str, exact: list[tuple[int, int]]) -> None:
    """Replace runs one Chinese character away from `term`, unless that character belongs to a term at
    least as long that was read as it is."""
    n = len(term)
    i = 0
    while i <= len(chars) - n:
        mismatches = [j for j in range(n) if chars[i + j] != term[j]]
        if (not any(settled[i:i + n]) and len(mismatches) <= 1
                and all(_mendable(chars[i + j], i + j, exact) for j in mismatches)):
            chars[i:i + n] = term
            settled[i:i + n] = [True] * n
            i += n
        else:
            i += 1


def _mendable(char: str, position: int, exact: list[tuple[int, int]]) -> bool:
    return bool(re.match(rf"[{CJK}]", char)) and not any(start <= position < end for start, end in exact)
