"""Scans made for tests: Chinese text printed on an A4 page at 300 dpi, a red 公章 over part of it,
saved as an image-only PDF or a photo — what a county's scanner produces."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image, ImageChops, ImageDraw, ImageFont

# Debian's fonts-noto-cjk; .ci/run installs it with tesseract.
FONT = Path("/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc")
PAGE = (2480, 3508)  # A4 at 300 dpi
MARGIN = 230
SIZE = 50  # about 12 pt at 300 dpi
LINE = int(SIZE * 1.8)


def need_ocr():
    """Skip, saying why, where this machine cannot read scans."""
    from suiqian.policies import ocr

    if not FONT.exists():
        pytest.skip(f"未找到 {FONT}（apt-get install fonts-noto-cjk），无法生成扫描件")
    if not ocr.available():
        pytest.skip("未安装 tesseract-ocr / tesseract-ocr-chi-sim，跳过文字识别测试")


def page_images(paragraphs: list[str], *, stamp: bool = True) -> list[Image.Image]:
    """The paragraphs typeset (first-line indent of two characters, wrapped at the margin) over as many pages as needed."""
    font = ImageFont.truetype(str(FONT), SIZE)
    per_line = (PAGE[0] - 2 * MARGIN) // SIZE
    lines = []
    for text in paragraphs:
        text = "\u3000\u3000" + text
        lines.extend(text[i:i + per_line] for i in range(0, len(text), per_line))
    per_page = (PAGE[1] - 2 * MARGIN) // LINE
    pages = []
    for first in range(0, len(lines), per_page):
        image = Image.new("RGB", PAGE, "white")
        draw = ImageDraw.Draw(image)
        for n, line in enumerate(lines[first:first + per_page]):
            draw.text((MARGIN, MARGIN + n * LINE), line, font=font, fill=(20, 20, 20))
        pages.append(_stamped(image) if stamp else image)
    return pages


def _stamped(page: Image.Image) -> Image.Image:
    """A red seal over the top right of the text, as a 公章 sits over the signature block: ink on ink, so the
    print under it stays dark (multiplied, as on paper)."""
    seal = Image.new("RGB", page.size, "white")
    _stamp(ImageDraw.Draw(seal))
    return ImageChops.multiply(page, seal)


def _stamp(draw: ImageDraw.ImageDraw) -> None:
    red = (215, 35, 35)
    box = (PAGE[0] - MARGIN - 620, MARGIN - 60, PAGE[0] - MARGIN - 120, MARGIN + 440)
    draw.ellipse(box, outline=red, width=16)
    font = ImageFont.truetype(str(FONT), 90)
    draw.text((box[0] + 110, box[1] + 200), "教育局", font=font, fill=red)
    draw.regular_polygon((box[0] + 250, box[1] + 110, 50), 5, fill=red)


def scanned_pdf(paragraphs: list[str], *, stamp: bool = True) -> bytes:
    pages = page_images(paragraphs, stamp=stamp)
    out = io.BytesIO()
    pages[0].save(out, format="PDF", resolution=300, save_all=True, append_images=pages[1:])
    return out.getvalue()


def scanned_png(paragraphs: list[str], *, stamp: bool = True) -> bytes:
    out = io.BytesIO()
    page_images(paragraphs, stamp=stamp)[0].save(out, format="PNG")
    return out.getvalue()


# A county's rules with four violations and a compliant clause, as it might be printed and stamped.
RULES = [
    "一、随迁子女申请入学，父母双方须持有本县居住证，且居住证持有时间满两年。",
    "二、家长须提供计划生育证明、户籍地无人监护证明及超龄证明。",
    "三、社保缴纳年限须满三年，方可申请就读公办学校。",
    "四、学校按照就近入学原则统筹安排学位，公办民办学校同步招生。",
]
