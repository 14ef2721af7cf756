"""Demo documents: some of 晋城市's counties have sent their 实施细则, one of them with problems to find."""

import datetime as dt
from zoneinfo import ZoneInfo

from suiqian.accounts.scope import Scope
from suiqian.divisions.models import Division

from suiqian.notices import documents
from suiqian.notices.models import DocumentSubmission, Notice, Requirement

CHINA = ZoneInfo("Asia/Shanghai")
COMPLIANT = """城区2021年随迁子女义务教育入学实施细则
第一条 随迁子女入学以居住证为主要依据，父母一方持有本区居住证即可申请。
第二条 申请人在本区居住满半年，并有合法稳定就业、合法稳定住所或连续就读之一即可。
第三条 不得要求提供计划生育证明、超过正常入学年龄证明、户籍地无人监护证明。
第四条 全面落实公民同招，民办学校报名人数超过招生计划的，实行电脑随机录取。"""
STRICT = """沁水县2021年随迁子女入学实施细则
第一条 随迁子女父母双方均须持有本县居住证满一年。
第二条 须在本县连续缴纳社会保险满二十四个月，并提供本人名下房产证，租房不予受理。
第三条 报名时须提供计划生育证明及户籍地无人监护证明。
第四条 全面落实公民同招。"""


def create_demo_documents(city_user) -> int:
    notice = Notice.objects.filter(wenhao="晋市教基函字(2021)25号").first()
    if notice is None:
        return 0
    enrollment_rules = notice.requirements.get(document_type=Requirement.DocumentType.ENROLLMENT_RULES)
    created = 0
    for code, text, day, approve in (("140502", COMPLIANT, 15, True), ("140521", STRICT, 21, None)):
        unit = Division.objects.get(code=code, valid_to__isnull=True)
        if DocumentSubmission.objects.filter(requirement=enrollment_rules, unit=unit).exists():
            continue
        at = dt.datetime(2021, 6, day, 16, 0, tzinfo=CHINA)
        submission = documents.submit_document(Scope.system(), None, enrollment_rules, unit, text.encode("utf-8"),
                                              f"{unit.name}随迁子女入学实施细则.txt", at=at)
        if approve:
            documents.review_document(Scope.of(city_user), city_user, submission, approve=True)
        created += 1
    return created
