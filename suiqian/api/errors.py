"""One shape for every error the API returns: {"detail": 中文说明, "errors": [逐项问题]}.

Domain errors of every app map to a status here, so operations just call services and let them raise."""

import re

from django.core.exceptions import PermissionDenied
from django.http import Http404
from ninja import Field, Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError

from suiqian.notices import services as notices
from suiqian.policies.extraction import ExtractionError
from suiqian.reporting import services as reporting
from suiqian.rosters import errors as rosters
from suiqian.rosters.terms import TermError
from suiqian.supervision import services as supervision

from .services import TokenError


class ErrorItem(Schema):
    loc: list[str | int] = Field(description="出错的位置：请求的哪一部分、哪个字段", examples=[["body", "year"]])
    msg: str = Field(description="问题", examples=["格式不正确"])


class Error(Schema):
    """每个错误响应的格式。"""

    detail: str = Field(description="中文说明，可直接显示给用户", examples=["单位不存在或不在您的权限范围内"])
    errors: list[ErrorItem] = Field(default=[], description="请求格式不正确（422）时逐项列出；其他错误为空")


ERROR_DOCS = {
    400: Error, 401: Error, 403: Error, 404: Error, 409: Error, 422: Error,
}
STATUS_TEXT = {
    400: "请求格式不正确", 401: "缺少令牌，或令牌无效、已过期、已作废", 403: "没有权限",
    404: "不存在或不在您的权限范围内", 409: "与当前状态冲突", 422: "请求的数据不正确",
}
# Ninja's own messages (English) as users see them.
NINJA_MESSAGES = {"Cannot parse request body": "请求体不是有效的 JSON", "Unauthorized": STATUS_TEXT[401]}
PYDANTIC_MESSAGES = {"missing": "缺少此项", "int_parsing": "应为整数", "date_from_datetime_parsing": "应为日期（年-月-日）",
                     "date_parsing": "应为日期（年-月-日）", "less_than_equal": "超出允许范围",
                     "greater_than_equal": "超出允许范围", "string_too_long": "过长", "enum": "不是可选的值",
                     "literal_error": "不是可选的值", "bool_parsing": "应为 true 或 false"}

REFUSED = (reporting.NotAllowed, notices.NotAllowed, rosters.NotAllowed, supervision.NotAllowed, PermissionDenied)
CONFLICTS = (reporting.Locked, reporting.Stale, reporting.ReportError)
INVALID = (reporting.InputErrors, reporting.RulesFailed, reporting.ImportFailed, notices.NoticeError,
           rosters.RosterError, supervision.SupervisionError, ExtractionError, TermError, TokenError)


CJK = re.compile(r"[\u4e00-\u9fff]")


def body(detail: str, errors=()) -> dict:
    return {"detail": detail, "errors": list(errors)}


def chinese(message: str, status: int) -> str:
    """The message if it is meant for users; Django's and Ninja's English ones ("No Notice matches the given
    query.") give way to the status's Chinese text."""
    message = NINJA_MESSAGES.get(message, message)
    return message if CJK.search(message) else STATUS_TEXT.get(status, "请求未能完成")


def install(api) -> None:
    def respond(status):
        return lambda request, exc: api.create_response(request, body(chinese(str(exc), status)), status=status)

    for cls in REFUSED:
        api.add_exception_handler(cls, respond(403))
    for cls in INVALID:
        api.add_exception_handler(cls, respond(422))
    for cls in CONFLICTS:
        api.add_exception_handler(cls, respond(409))
    api.add_exception_handler(Http404, respond(404))

    @api.exception_handler(HttpError)
    def http_error(request, exc):
        return api.create_response(request, body(chinese(str(exc), exc.status_code)), status=exc.status_code)

    @api.exception_handler(AuthenticationError)
    def unauthenticated(request, exc):
        return api.create_response(request, body(STATUS_TEXT[401]), status=401)

    @api.exception_handler(ValidationError)
    def invalid(request, exc):
        items = [{"loc": [str(p) if not isinstance(p, int) else p for p in e.get("loc", ())],
                  "msg": PYDANTIC_MESSAGES.get(e.get("type", ""), "格式不正确")} for e in exc.errors]
        return api.create_response(request, body(STATUS_TEXT[422], items), status=422)


def responses(ok=None, *, status: int = 200) -> dict:
    """The documented responses of an operation: its success and every error, all in the one shape."""
    out = dict(ERROR_DOCS)
    if ok is not None:
        out[status] = ok
    return out
