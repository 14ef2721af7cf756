"""Real .docx and .pdf files for the tests, written with python-docx and reportlab."""

from __future__ import annotations

import io

FONT = "STSong-Light"  # reportlab's built-in CID font: Chinese without a font file
FONT_SIZE = 10
LINE_CHARS = 40  # characters per PDF line before wrapping
LEFT, TOP, LINE_HEIGHT = 60, 780, 16

# A 细则 opens with a paragraph long enough to wrap, as real ones do; PDF paragraphs are told
# apart by indentation and by lines stopping short of the right margin this sets.
PREAMBLE = ("第一条 为做好进城务工人员随迁子女接受义务教育工作，根据《居住证暂行条例》和省、市有关规定，"
            "结合我县实际，制定本实施细则。")

# One paragraph per finding code, in the order of rules.yaml.
NINE_VIOLATIONS = {
    "RESIDENCE_PERMIT_DURATION_EXCEEDS": "父母一方须持有本县居住证满一年。",
    "RESIDENCE_YEARS_EXCEEDS": "随迁子女家庭须在本县连续居住满三年。",
    "SOCIAL_INSURANCE_YEARS_EXCEEDS": "父母一方须在本县连续缴纳社会保险满二十四个月。",
    "FAMILY_PLANNING_PROOF": "报名时须提供计划生育证明。",
    "OVERAGE_PROOF": "超龄儿童须提供超龄证明。",
    "NO_GUARDIAN_PROOF": "须提交户籍地无人监护证明。",
    "PROPERTY_ONLY": "须在本县有自有产权住房，租赁房屋的不予登记。",
    "BOTH_PARENTS_REQUIRED": "父母双方均须在本县务工。",
    "OTHER_UNNECESSARY_PROOF": "家长须提供无犯罪记录证明。",
}

COMPLIANT = [
    "不得要求提供户籍地无人监护证明",
    "居住证且居住满半年",
    "随迁子女父母一方持有本县居住证且在本县居住满半年的，可申请入学。",
    "父母一方提供社保缴费证明、劳动合同或营业执照之一即可。",
    "住房证明：房产证、购房合同或房屋租赁合同均可。",
]


def make_docx(paragraphs: list[str], blank_between: bool = False, table_rows: list[str] = ()) -> bytes:
    from docx import Document

    document = Document()
    for text in paragraphs:
        document.add_paragraph(text)
        if blank_between:
            document.add_paragraph("")
    if table_rows:
        table = document.add_table(rows=len(table_rows), cols=1)
        for row, text in zip(table.rows, table_rows):
            row.cells[0].text = text
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def make_pdf(paragraphs: list[str]) -> bytes:
    """A text PDF: each paragraph indented two characters and wrapped at LINE_CHARS, like a 公文."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer)
    pdf.setFont(FONT, FONT_SIZE)
    y = TOP
    for text in paragraphs:
        # The indented first line holds two characters fewer, so every full line ends at the margin.
        first = LINE_CHARS - 2
        lines = [text[:first]] + [text[i:i + LINE_CHARS] for i in range(first, len(text), LINE_CHARS)]
        for index, line in enumerate(lines):
            if y < 60:
                pdf.showPage()
                pdf.setFont(FONT, FONT_SIZE)
                y = TOP
            indent = 2 * FONT_SIZE if index == 0 else 0
            pdf.drawString(LEFT + indent, y, line)
            y -= LINE_HEIGHT
    pdf.save()
    return buffer.getvalue()


def make_scanned_pdf() -> bytes:
    """A PDF whose page is only a picture, as a scanner makes it."""
    from PIL import Image, ImageDraw
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    image = Image.new("L", (400, 200), 255)
    ImageDraw.Draw(image).rectangle((20, 20, 380, 60), fill=0)
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer)
    pdf.drawImage(ImageReader(image), 60, 500, width=400, height=200)
    pdf.save()
    return buffer.getvalue()
