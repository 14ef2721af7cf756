"""Statistics: 附件1-style tables (JSON with coverage, or the Excel/CSV file), published rankings."""

import datetime as dt
from typing import Literal

from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema

from suiqian.lib.http import table_download
from suiqian.reporting.queries import requested_year
from suiqian.reporting.rankings import indicator_table
from suiqian.supervision import queries as supervision
from suiqian.supervision import services as supervision_services

from ..auth import TokenAuth
from ..errors import responses
from ..models import Group
from .common import XLSX, UnitRef, file_doc, scope_of, unit_ref, year_param

router = Router(auth=TokenAuth(Group.STATISTICS), tags=["统计与排名"])


class RowCoverageOut(Schema):
    included: int = Field(description="纳入（已审核）的下级单位数", examples=[2])
    expected: int = Field(description="应纳入的下级单位数", examples=[6])
    partial: int = Field(0, description="部分纳入的下级单位数")
    complete: bool = Field(description="下级单位全部纳入")
    text: str = Field(description="中文说明", examples=["6 个中 2 个"])


class TableRowOut(Schema):
    unit: UnitRef | None
    code: str = Field(description="区划代码", examples=["140500"])
    name: str
    denominator: int | None = Field(description="分母（如随迁子女在校生数）；无数据为 null", examples=[5120])
    numerator: int | None = Field(description="分子（如在公办学校就读的）", examples=[4410])
    ratio: str | None = Field(description="比例（百分数，两位小数）", examples=["86.13"])
    against_national: str = Field(description="above 高于 / below 低于 / equal 持平全国比例；无数据为空")
    basis: str = Field(description="数据依据：已审核填报 / 下级汇总 / 公布数据 / 合计", examples=["已审核填报"])
    coverage: RowCoverageOut | None = Field(description="这一行的数字纳入了多少下级单位；县级为 null")


class CoverageOut(Schema):
    units_with_data: int = Field(description="有数据的下级单位数", examples=[5])
    units_total: int = Field(description="下级单位总数", examples=[6])
    by_basis: dict[str, int] = Field(description="各数据依据的单位数", examples=[{"已审核填报": 4, "公布数据": 1}])


class IndicatorTableOut(Schema):
    title: str = Field(examples=["晋城市2020年义务教育阶段随迁子女入学情况统计表"])
    unit: UnitRef
    year: int
    indicator: dict = Field(description="指标：code、label、分子与分母的字段")
    national_ratio: str | None = Field(description="全国比例（百分数）")
    rows: list[TableRowOut] = Field(description="下级单位，按比例从高到低；无数据的在后")
    total: TableRowOut = Field(description="合计（有数据的单位之和）")
    coverage: CoverageOut
    sources: list[str] = Field(description="公布数据的出处")


class RankingOut(Schema):
    id: int
    unit: UnitRef
    year: int
    title: str
    published_at: dt.datetime
    national_ratio: str


class RankingDetailOut(RankingOut):
    indicator: dict
    rows: list[dict] = Field(description="发布时冻结的各行：code、name、numerator、denominator、ratio、basis")
    total: dict
    changes: list[dict] = Field(description="发布后数据有变化的行（发布时与现在的数字）")


class PublishIn(Schema):
    unit: str = Field(description="发布单位（本单位）", examples=["140500"])
    year: int = Field(ge=2000, le=2100, examples=[2020])


def _row(row) -> dict:
    coverage = getattr(row, "coverage", None)
    return {"unit": unit_ref(row.unit), "code": row.unit.code if row.unit else "", "name": row.name,
            "coverage": coverage.as_dict() if coverage else None, "denominator": row.denominator,
            "numerator": row.numerator, "ratio": str(row.ratio) if row.ratio is not None else None,
            "against_national": row.against_national, "basis": row.basis}


def _table(request, unit: str | None, year: int | None):
    scope = scope_of(request)
    year = year or requested_year(scope, None)
    parent = scope.get_unit(unit or scope.default_unit().code, year)
    return indicator_table(scope, parent, year)


def _coverage(rows) -> dict:
    by_basis: dict[str, int] = {}
    for r in rows:
        if r.has_data:
            by_basis[r.basis] = by_basis.get(r.basis, 0) + 1
    return {"units_with_data": sum(by_basis.values()), "units_total": len(rows), "by_basis": by_basis}


@router.get("/stats/enrollment", response=responses(IndicatorTableOut), summary="附件1 统计表（数据）",
            description="某单位各下级单位某年的随迁子女在公办学校（含政府购买学位）就读比例，排名、与全国比较、"
                        "数据依据和覆盖情况。数字来自已审核的填报，没有时用公布数据。")
def get_enrollment_table(request, unit: str | None = Query(None, description="单位代码；不填为本单位",
                                                           examples=["140500"]),
                         year: int | None = year_param()):
    table = _table(request, unit, year)
    ind = table.indicator
    return {"title": table.title, "unit": unit_ref(table.parent), "year": table.year,
            "indicator": {"code": ind.code, "label": ind.label, "numerator": ind.numerator,
                          "denominator": ind.denominator} if ind else {},
            "national_ratio": str(table.national_ratio.ratio) if table.national_ratio else None,
            "rows": [_row(r) for r in table.rows], "total": _row(table.total), "coverage": _coverage(table.rows),
            "sources": table.sources}


@router.get("/stats/enrollment/download", summary="附件1 统计表（下载 Excel 或 CSV）", response=responses(),
            openapi_extra=file_doc(XLSX, "text/csv", description="附件1 样式的 .xlsx 或 UTF-8 CSV"))
def download_enrollment_table(request, unit: str | None = Query(None, description="单位代码；不填为本单位"),
                              year: int | None = year_param(),
                              format: Literal["xlsx", "csv"] = Query("xlsx", description="xlsx 或 csv")):
    return table_download(_table(request, unit, year).as_table(), format)


def _ranking_out(r) -> dict:
    return {"id": r.pk, "unit": unit_ref(r.unit), "year": r.year, "title": r.title, "published_at": r.published_at,
            "national_ratio": r.national_ratio}


@router.get("/rankings", response=responses(list[RankingOut]), summary="已发布的排名",
            description="权限范围内各单位发布的附件1 排名（发布时冻结），最近 100 份。")
def list_rankings(request):
    return [_ranking_out(r) for r in supervision.published_rankings(scope_of(request))[:100]]


@router.get("/rankings/{ranking_id}", response=responses(RankingDetailOut), summary="已发布的排名详情")
def get_ranking(request, ranking_id: int):
    scope = scope_of(request)
    ranking = get_object_or_404(supervision.published_rankings(scope), pk=ranking_id)
    return {**_ranking_out(ranking), "indicator": ranking.indicator, "rows": ranking.rows, "total": ranking.total,
            "changes": supervision.ranking_changes(scope, ranking)}


@router.post("/rankings", response=responses(RankingDetailOut), summary="发布排名",
             description="冻结本单位某年的附件1（指标定义与每一行），之后的更正不会改变已发布的内容。"
                         "本单位的管理员或审核员可以发布。")
def publish_ranking(request, body: PublishIn):
    scope = scope_of(request)
    ranking = supervision_services.publish_ranking(scope, request.user, scope.get_unit(body.unit, body.year),
                                                   body.year)
    return {**_ranking_out(ranking), "indicator": ranking.indicator, "rows": ranking.rows, "total": ranking.total,
            "changes": []}
