"""Pieces every router uses: the caller's scope, units as the API shows them, query parameters."""

from django.http import FileResponse, HttpResponse
from ninja import Field, Query, Schema

from suiqian.accounts.scope import Scope

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def year_param(default=None, description="年份（2000—2100）；不填为有数据的最近一年"):
    # Bounded here, so that ?year=99999999999999999999 is a 422, never a 500.
    return Query(default, ge=2000, le=2100, description=description, examples=[2020])


def scope_of(request) -> Scope:
    return Scope.of(request.user)


class UnitRef(Schema):
    code: str = Field(description="区划代码（GB/T 2260）", examples=["140525"])
    name: str = Field(description="名称", examples=["泽州县"])


def unit_ref(unit) -> dict | None:
    return {"code": unit.code, "name": unit.name} if unit is not None else None


def file_doc(*content_types: str, description: str = "文件") -> dict:
    """The OpenAPI of a 200 that is a file download."""
    return {"responses": {200: {"description": description, "content": {
        t: {"schema": {"type": "string", "format": "binary"}} for t in content_types}}}}


def attachment(fileobj, filename: str) -> HttpResponse:
    return FileResponse(fileobj, as_attachment=True, filename=filename)
