"""Responses every app returns the same way."""

from urllib.parse import quote

from django.http import HttpResponse
from django.shortcuts import render

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV = "text/csv; charset=utf-8"


def download(content: bytes | str, filename: str, content_type: str) -> HttpResponse:
    """An attachment whose Chinese file name survives every browser (RFC 5987)."""
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    return response


def table_download(table, fmt: str) -> HttpResponse:
    if fmt == "csv":
        return download(table.to_csv(bom=True), f"{table.title}.csv", CSV)
    return download(table.to_xlsx(), f"{table.title}.xlsx", XLSX)


def refuse(request, message: str, status: int = 400) -> HttpResponse:
    """A parameter the page cannot honour: say so, rather than show something else."""
    return render(request, "refused.html", {"message": message}, status=status)
