import io
import re
import zipfile

import openpyxl
import pytest
import xlwt
from openpyxl.cell.cell import MergedCell
from openpyxl.packaging.relationship import Relationship
from openpyxl.utils import coordinate_to_tuple
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.workbook.external_link.external import ExternalBook, ExternalLink

from suiqian.reporting.excel import SHEET_TITLE, cell_address, render_form_workbook
from suiqian.reporting.excel_import import MAX_UPLOAD_BYTES, CellProblem, WorkbookError, read_form_workbook
from suiqian.reporting.formspec import FORMS_DIR, read_form_file

CORRUPT = "文件已损坏或不是 Excel 文件（.xlsx / .xls）"
NOT_TEMPLATE = "该文件不是《2021 年义务教育阶段进城务工人员随迁子女就学工作汇总表》模板"
BOMB = "文件解压后的内容异常大"


@pytest.fixture(scope="module")
def spec():
    return read_form_file(FORMS_DIR / "summary-2021.yaml")


@pytest.fixture(scope="module")
def template(spec):
    return render_form_workbook(spec, unit_name="晋城市教育局", filler="张三", filled_on="2021-09-28")


@pytest.fixture(scope="module")
def sheet(template):
    return openpyxl.load_workbook(io.BytesIO(template))[SHEET_TITLE]


def _distinct_values(spec):
    return {code: 1000 + i * 37 for i, code in enumerate(spec.field_codes)}


def _save(wb) -> bytes:
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _fill_named_cells(template: bytes, typed: dict) -> bytes:
    """What a user does in Excel: type into the unlocked cells and save."""
    wb = openpyxl.load_workbook(io.BytesIO(template))
    for code, value in typed.items():
        sheet, ref = next(wb.defined_names[code].destinations)
        wb[sheet][ref.replace("$", "")] = value
    return _save(wb)


def _rewrite_member(data: bytes, name: str, rewrite) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            content = source.read(item.filename)
            target.writestr(item, rewrite(content) if item.filename == name else content)
    return out.getvalue()


def _rewrite_cells(data: bytes, cells: dict[str, str]) -> bytes:
    """Replaces cells in the sheet XML, as Excel saves a calculated formula or an error value."""

    def rewrite(content: bytes) -> bytes:
        text = content.decode()
        for coordinate, xml in cells.items():
            text, n = re.subn(rf'<c r="{coordinate}"[^>]*?(/>|>.*?</c>)', xml, text)
            assert n == 1, coordinate
        return text.encode()

    return _rewrite_member(data, "xl/worksheets/sheet1.xml", rewrite)


def _xls(rows: dict[tuple[int, int], object]) -> bytes:
    book = xlwt.Workbook()
    ws = book.add_sheet("Sheet1")
    for (row, col), value in rows.items():
        ws.write(row - 1, col - 1, value)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _zip_of_zeros(size: int) -> bytes:
    """A small zip that inflates to `size` bytes, written in chunks so the test stays light."""
    out = io.BytesIO()
    chunk = bytes(1024 * 1024)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as member:
            for _ in range(size // len(chunk)):
                member.write(chunk)
    return out.getvalue()


# --- the template -------------------------------------------------------------------------


def test_it_puts_the_title_in_a1_in_bold_across_the_table(spec, sheet):
    assert sheet["A1"].value == spec.title
    assert sheet["A1"].font.b
    assert "A1:G1" in {str(r) for r in sheet.merged_cells.ranges}


def test_it_writes_the_header_line_with_the_unit_filler_and_date(sheet):
    assert sheet["A2"].value == "填报单位（市级教育行政部门公章）：晋城市教育局"
    assert "填报人：张三" in sheet["E2"].value
    assert "填报时间：2021-09-28" in sheet["E2"].value


def test_it_merges_cells_as_the_paper_does(sheet):
    merged = {str(r) for r in sheet.merged_cells.ranges}
    assert {"A5:A7", "B5:B7", "E5:E7"} <= merged  # row 2's group spans three rows
    assert {"C8:D8", "F8:G8", "C12:D12", "F12:G12"} <= merged  # single figures span two columns
    assert sheet["B5"].value == "2021 年新增义务教育学位数量（针对所有学生）"
    assert [sheet[f"C{r}"].value for r in (5, 6, 7)] == ["小学", "初中", "合计"]


def test_it_borders_every_table_cell(sheet):
    for row in sheet["A4:G12"]:
        for cell in row:
            if not isinstance(cell, MergedCell):
                sides = (cell.border.left, cell.border.right, cell.border.top, cell.border.bottom)
                assert {side.style for side in sides} == {"thin"}, cell.coordinate


def test_it_gives_the_address_of_a_fields_input_cell(spec, sheet):
    assert cell_address(spec, "county_total") == "C4"
    assert cell_address(spec, "new_places_primary") == "D5"
    assert cell_address(spec, "gaokao_applicants") == "F12"
    assert sheet["E12"].value == "随迁子女在流入地参加高考报名人数"


def test_it_names_every_input_cell_after_its_field_and_unlocks_it(spec, template):
    wb = openpyxl.load_workbook(io.BytesIO(template))
    assert len(spec.field_codes) == 19
    for code in spec.field_codes:
        destinations = list(wb.defined_names[code].destinations)
        column, row = re.match(r"([A-Z]+)(\d+)", cell_address(spec, code)).groups()
        assert destinations == [(SHEET_TITLE, f"${column}${row}")]
        cell = wb[SHEET_TITLE][cell_address(spec, code)]
        assert cell.protection.locked is False
        assert cell.number_format == "#,##0"


def test_it_locks_every_other_cell_of_a_protected_sheet(spec, sheet):
    inputs = {cell_address(spec, code) for code in spec.field_codes}
    assert sheet.protection.sheet
    for row in sheet["A1:G14"]:
        for cell in row:
            if cell.coordinate not in inputs and not isinstance(cell, MergedCell):
                assert cell.protection.locked, cell.coordinate


def test_it_accepts_only_whole_numbers_from_zero_in_input_cells(spec, sheet):
    (validation,) = sheet.data_validations.dataValidation
    assert (validation.type, validation.operator, validation.formula1) == ("whole", "greaterThanOrEqual", "0")
    assert "不小于 0 的整数" in validation.error
    assert {str(r) for r in validation.sqref.ranges} == {cell_address(spec, code) for code in spec.field_codes}


def test_it_prints_title_to_notes_on_one_a4_landscape_page(sheet):
    assert sheet.print_area == "'汇总表'!$A$1:$G$14"
    assert int(sheet.page_setup.paperSize) == int(sheet.PAPERSIZE_A4)
    assert sheet.page_setup.orientation == "landscape"
    assert (int(sheet.page_setup.fitToWidth), int(sheet.page_setup.fitToHeight)) == (1, 1)
    assert sheet.sheet_properties.pageSetUpPr.fitToPage
    assert sheet.print_options.horizontalCentered


def test_it_writes_the_notes_under_the_table(spec, sheet):
    assert [sheet["A13"].value, sheet["A14"].value] == list(spec.notes)
    assert {"A13:G13", "A14:G14"} <= {str(r) for r in sheet.merged_cells.ranges}
    assert sheet["A13"].alignment.wrap_text


def test_it_sets_songti_and_the_forms_column_widths(spec, sheet):
    for row in sheet["A1:G14"]:
        for cell in row:
            if not isinstance(cell, MergedCell):
                assert cell.font.name == "宋体", cell.coordinate
    assert [sheet.column_dimensions[c].width for c in "ABCDEFG"] == list(spec.column_widths)


def test_it_marks_the_template_with_the_form_code(template):
    wb = openpyxl.load_workbook(io.BytesIO(template))
    assert wb.defined_names["suiqian_form"].attr_text == '"summary-2021"'


# --- reading back -------------------------------------------------------------------------


def test_it_reads_back_every_value_it_rendered(spec):
    values = _distinct_values(spec) | {"county_total": 0, "gaokao_applicants": None}
    reading = read_form_workbook(spec, render_form_workbook(spec, values=values), "汇总表.xlsx")
    assert reading.values == values
    assert reading.problems == []


def test_it_reads_a_blank_template_as_all_empty(spec, template):
    reading = read_form_workbook(spec, template, "blank.XLSX")
    assert reading.values == dict.fromkeys(spec.field_codes)


def test_it_reads_what_a_user_typed_raw(spec, template):
    typed = {"county_total": 12, "new_places_primary": "12,788", "new_places_junior": "１２７８８",
             "new_places_total": 3.5, "migrant_children_total": "   "}
    reading = read_form_workbook(spec, _fill_named_cells(template, typed), "filled.xlsx")
    assert reading.values["county_total"] == 12
    assert reading.values["new_places_primary"] == "12,788"
    assert reading.values["new_places_junior"] == "１２７８８"
    assert reading.values["new_places_total"] == 3.5
    assert reading.values["migrant_children_total"] is None
    assert reading.problems == []


def test_it_reads_a_cell_wherever_its_name_points(spec, template):
    # As after a user lifted the protection and inserted a row above the table.
    wb = openpyxl.load_workbook(io.BytesIO(template))
    wb.defined_names["county_total"] = DefinedName("county_total", attr_text=f"'{SHEET_TITLE}'!$C$20")
    wb[SHEET_TITLE]["C20"] = 11
    wb[SHEET_TITLE]["C4"] = 99
    assert read_form_workbook(spec, _save(wb), "moved.xlsx").values["county_total"] == 11


def test_it_reads_the_layout_address_when_a_name_is_missing(spec, template):
    wb = openpyxl.load_workbook(io.BytesIO(template))
    del wb.defined_names["county_total"]
    wb[SHEET_TITLE]["C4"] = 11
    reading = read_form_workbook(spec, _save(wb), "no-name.xlsx")
    assert reading.values["county_total"] == 11
    assert reading.problems == []


def test_it_reads_the_result_excel_saved_for_a_formula(spec, template):
    data = _rewrite_cells(template, {"D7": '<c r="D7"><f>D5+D6</f><v>25576</v></c>'})
    reading = read_form_workbook(spec, data, "formula.xlsx")
    assert reading.values["new_places_total"] == 25576
    assert reading.problems == []


def test_it_reports_a_formula_without_a_result(spec, template):
    reading = read_form_workbook(spec, _fill_named_cells(template, {"new_places_total": "=D5+D6"}), "f.xlsx")
    assert reading.values["new_places_total"] is None
    assert reading.problems == [CellProblem(SHEET_TITLE, "D7", "new_places_total", "公式没有计算结果，请直接填写数字")]


def test_it_reports_an_error_value(spec, template):
    data = _rewrite_cells(template, {"D7": '<c r="D7" t="e"><f>D5/0</f><v>#DIV/0!</v></c>'})
    reading = read_form_workbook(spec, data, "error.xlsx")
    assert reading.values["new_places_total"] is None
    assert reading.problems == [
        CellProblem(SHEET_TITLE, "D7", "new_places_total", "单元格是错误值 #DIV/0!，请直接填写数字")]


def test_it_recognises_a_template_by_its_title_when_the_marker_is_gone(spec, template):
    wb = openpyxl.load_workbook(io.BytesIO(template))
    del wb.defined_names["suiqian_form"]
    wb[SHEET_TITLE]["C4"] = 11
    assert read_form_workbook(spec, _save(wb), "old.xlsx").values["county_total"] == 11


def test_it_refuses_the_template_of_another_form_with_the_same_fields(spec, template):
    wb = openpyxl.load_workbook(io.BytesIO(template))
    wb.defined_names["suiqian_form"] = DefinedName("suiqian_form", attr_text='"summary-2022"')
    with pytest.raises(WorkbookError, match=NOT_TEMPLATE):
        read_form_workbook(spec, _save(wb), "2022.xlsx")


def test_it_refuses_an_ordinary_workbook(spec):
    wb = openpyxl.Workbook()
    wb.active["A1"] = "2021 年各县学校统计"
    wb.active["C4"] = 12
    with pytest.raises(WorkbookError, match=NOT_TEMPLATE + "，请在本页下载模板"):
        read_form_workbook(spec, _save(wb), "统计.xlsx")


def test_it_refuses_a_workbook_with_external_links(spec, template):
    wb = openpyxl.load_workbook(io.BytesIO(template))
    link = ExternalLink(externalBook=ExternalBook(id="rId1"))
    link.file_link = Relationship(type="externalLinkPath", Target="file:///C:/other.xlsx", TargetMode="External",
                                  Id="rId1")
    wb._external_links.append(link)
    with pytest.raises(WorkbookError, match="文件包含外部链接，请另存为不含链接的文件后再上传"):
        read_form_workbook(spec, _save(wb), "linked.xlsx")


# --- .xls ---------------------------------------------------------------------------------


def test_it_reads_a_xls_at_the_layout_addresses(spec):
    values = _distinct_values(spec)
    cells = {coordinate_to_tuple(cell_address(spec, code)): value for code, value in values.items()}
    data = _xls({(1, 1): "2021年义务教育阶段进城务工人员随迁子女就学工作汇总表"} | cells)  # retyped without the space
    reading = read_form_workbook(spec, data, "汇总表.xls")
    assert reading.values == values
    assert reading.problems == []


def test_it_refuses_a_xls_of_another_layout(spec):
    with pytest.raises(WorkbookError, match=NOT_TEMPLATE):
        read_form_workbook(spec, _xls({(1, 1): "学校名单", (4, 3): 12}), "学校.xls")


def test_it_reads_a_xlsx_renamed_xls_as_a_xlsx(spec):
    values = _distinct_values(spec)
    assert read_form_workbook(spec, render_form_workbook(spec, values=values), "汇总表.xls").values == values


def test_it_refuses_a_broken_xls(spec):
    with pytest.raises(WorkbookError, match=CORRUPT):
        read_form_workbook(spec, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(4000), "broken.xls")


# --- unusable files -----------------------------------------------------------------------


def test_it_refuses_text_named_xlsx(spec):
    with pytest.raises(WorkbookError, match=CORRUPT):
        read_form_workbook(spec, "县区,人数\n泽州县,12\n".encode(), "汇总表.xlsx")


def test_it_refuses_a_truncated_template(spec, template):
    with pytest.raises(WorkbookError, match=CORRUPT):
        read_form_workbook(spec, template[: len(template) // 2], "汇总表.xlsx")


def test_it_refuses_a_program_renamed_xlsx(spec):
    program = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + bytes(range(256)) * 64
    with pytest.raises(WorkbookError, match=CORRUPT):
        read_form_workbook(spec, program, "setup.xlsx")


def test_it_refuses_a_template_whose_sheet_is_garbled(spec, template):
    data = _rewrite_member(template, "xl/worksheets/sheet1.xml", lambda content: content[: len(content) // 2])
    with pytest.raises(WorkbookError, match=CORRUPT):
        read_form_workbook(spec, data, "汇总表.xlsx")


def test_it_refuses_a_zip_that_is_not_a_workbook(spec):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("word/document.xml", "<w:document/>")
    with pytest.raises(WorkbookError, match=CORRUPT):
        read_form_workbook(spec, out.getvalue(), "报告.xlsx")


def test_it_refuses_a_file_over_10_mb(spec):
    with pytest.raises(WorkbookError, match="文件超过 10 MB"):
        read_form_workbook(spec, b"PK\x03\x04" + bytes(MAX_UPLOAD_BYTES + 1024 * 1024), "big.xlsx")


def test_it_refuses_a_zip_bomb_before_inflating_it(spec):
    bomb = _zip_of_zeros(200 * 1024 * 1024)
    assert len(bomb) < MAX_UPLOAD_BYTES
    with pytest.raises(WorkbookError, match=BOMB):
        read_form_workbook(spec, bomb, "汇总表.xlsx")


def test_it_refuses_a_member_compressed_beyond_any_real_sheet(spec):
    with pytest.raises(WorkbookError, match=BOMB):
        read_form_workbook(spec, _zip_of_zeros(20 * 1024 * 1024), "汇总表.xlsx")


def test_it_refuses_a_csv(spec):
    with pytest.raises(WorkbookError, match="不支持“.csv”文件，请上传 Excel 文件（.xlsx 或 .xls）"):
        read_form_workbook(spec, "县区,人数\n".encode(), "汇总表.csv")
