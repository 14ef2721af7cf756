"""The roster file as schools' 学籍 clerks fill it: its header and the values each column takes."""

HEADER = ("身份证号", "姓名", "性别", "出生日期", "学校名称", "学校类型", "年级", "县区代码", "进城务工人员随迁子女")
# Header → the name the code uses for the column.
COLUMNS = {
    "身份证号": "id_number",
    "姓名": "name",
    "性别": "sex",
    "出生日期": "birth_date",
    "学校名称": "school",
    "学校类型": "school_type",
    "年级": "grade",
    "县区代码": "unit_code",
    "进城务工人员随迁子女": "migrant_worker",
}
# Label in the file → stored value.
SCHOOL_TYPES = {"公办": "public", "民办": "private", "政府购买学位": "purchased"}
SEXES = ("男", "女")
YES_NO = {"是": True, "否": False}
MAX_NAME = 50
MAX_SCHOOL = 100
