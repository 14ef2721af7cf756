"""The dashboards' data: the same numbers the charts draw."""

from typing import Any

from ninja import Field, Query, Router, Schema

from suiqian.dashboard.queries import dashboard_data
from suiqian.notices.queries import dashboard_completeness
from suiqian.reporting.queries import requested_year

from ..auth import TokenAuth
from ..errors import responses
from ..models import Group
from .common import scope_of, year_param

router = Router(auth=TokenAuth(Group.DASHBOARD), tags=["看板"])


class BarOut(Schema):
    code: str
    name: str
    numerator: int | None
    denominator: int | None
    ratio: float | None = Field(description="比例（百分数）")
    against_national: str = Field(description="above / below / equal / 空")
    key_listed: bool = Field(description="在重点督促名单中")
    basis: str = Field(description="数据依据")


class TrendOut(Schema):
    year: int
    ratio: float | None
    national: float | None
    indicator: str


class CompletenessOut(Schema):
    requirement: str = Field(description="报送事项")
    notice: str = Field(description="通知文号")
    expected: int
    on_time: int
    late: int
    missing: int
    overdue: int
    approved: int


class DashboardOut(Schema):
    unit: dict = Field(description="code、name、level")
    year: int
    indicator: str = Field(description="指标名称")
    national: float | None = Field(description="全国比例（百分数）")
    bars: list[dict[str, Any]] = Field(description="下级单位（县级为本县）的比例，地图与排名图用")
    trend: list[dict[str, Any]] = Field(description="历年比例与全国比例")
    rows_total: dict[str, Any] | None = Field(None, description="各行合计（含纳入情况）")
    total: dict[str, Any] | None = Field(None, description="本单位的比例、与全国比较、数据依据、纳入情况")
    labels: dict[str, Any] = Field({}, description="分子、分母、下级单位的称呼")
    empty: str = Field("", description="没有数据时的原因")
    headline: Any = Field(None, description="看板标题处的一句话")
    completeness: list[CompletenessOut] = Field(description="最近通知的报送完成情况")


@router.get("/dashboard", response=responses(DashboardOut), summary="看板数据",
            description="看板上地图、排名、趋势、报送完成情况的数据，与页面相同。")
def get_dashboard(request, unit: str | None = Query(None, description="单位代码；不填为本单位"),
                  year: int | None = year_param()):
    scope = scope_of(request)
    year = year or requested_year(scope, None)
    target = scope.get_unit(unit or scope.default_unit().code, year)
    completeness = [{"requirement": c.requirement.title, "notice": c.requirement.notice.wenhao,
                     "expected": c.expected, "on_time": c.on_time, "late": c.late, "missing": c.missing,
                     "overdue": c.overdue, "approved": c.approved}
                    for c in dashboard_completeness(scope, target)]
    return {**dashboard_data(scope, target, year), "completeness": completeness}
