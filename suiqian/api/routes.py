"""REST API v1 (django-ninja). Every operation resolves units through the same scope helper as the pages and
calls the same services; domain errors become HTTP errors in one shape (errors.py)."""

from ninja import NinjaAPI

from . import errors
from .routers import dashboard, notices, policies, reporting, rosters, statistics, supervision

DESCRIPTION = """
随迁子女就学工作平台的接口：单位与填报、通知与材料报送、实施细则审查、名册与控辍保学、督导、统计与排名、看板。

**认证**：在平台“接口令牌”页新建个人令牌，请求头 `Authorization: Bearer sq_…`。令牌的权限范围与所属账号完全相同
（同一个权限判断），另可限为只读、限于部分接口分组；令牌有有效期（默认 180 天），账号改密码或停用时自动作废。

**错误**：所有错误都是同一格式 `{"detail": "中文说明", "errors": [{"loc": [...], "msg": "..."}]}`：
401 令牌缺失、无效、过期或作废；403 没有权限（或令牌只读、不含该分组）；404 不存在或不在权限范围内
（不区分两者，以免泄露其他单位的信息）；409 与当前状态冲突（如已锁定、版本已变）；422 数据不正确（`errors` 逐项列出）。

**学期**写作 `2021-fall`（秋季学期）、`2022-spring`（春季学期）；**年份**为 2000—2100 的整数。
"""

RESPONSE_TEXT = {"200": "成功", "202": "已受理", "400": "请求格式不正确", "401": "缺少令牌，或令牌无效、已过期、已作废",
                 "403": "没有权限（或令牌只读、不含该分组）", "404": "不存在或不在您的权限范围内",
                 "409": "与当前状态冲突", "422": "数据不正确"}


PARAMETER_TEXT = {"code": "单位的区划代码（表单接口中为表单代码）", "unit_code": "单位的区划代码", "notice_id": "通知编号",
                  "requirement_id": "报送事项编号", "submission_id": "报送材料编号", "attachment_id": "附件编号",
                  "job_id": "导入任务编号", "case_id": "个案编号", "inspection_id": "专项检查编号",
                  "ranking_id": "已发布排名编号", "parent": "上级单位的区划代码"}


class Api(NinjaAPI):
    def get_openapi_operation_id(self, operation) -> str:
        # The same name as the URL's, so the authorization matrix and the schema speak of one thing.
        return operation.view_func.__name__

    def get_openapi_schema(self, *args, **kwargs):
        schema = super().get_openapi_schema(*args, **kwargs)
        for item in schema["paths"].values():
            for operation in item.values():
                for parameter in operation.get("parameters", []):
                    if not parameter.get("description") and parameter["name"] in PARAMETER_TEXT:
                        parameter["description"] = PARAMETER_TEXT[parameter["name"]]
                for status, response in operation.get("responses", {}).items():
                    if response.get("description") in (None, "", "OK", "Accepted") or str(status) != "200":
                        response["description"] = RESPONSE_TEXT.get(str(status), response.get("description", ""))
        return schema


api = Api(title="随迁子女就学工作平台接口", version="1", urls_namespace="api", description=DESCRIPTION)
errors.install(api)

for module in (reporting, notices, policies, rosters, supervision, statistics, dashboard):
    api.add_router("", module.router)
