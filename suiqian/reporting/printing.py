"""The paper copy of a form as a PDF (WeasyPrint), from the same template the browser prints."""

from __future__ import annotations

from django.contrib.staticfiles import finders
from django.template.loader import render_to_string

PRINT_CSS = "css/print.css"


def render_pdf(template: str, context: dict, *, request) -> bytes:
    # Imported here: WeasyPrint loads Pango at import time, which only the print download needs.
    from weasyprint import CSS, HTML

    html = render_to_string(template, context, request=request)
    # The stylesheet is read from disk, never fetched over HTTP from our own server.
    stylesheet = CSS(filename=finders.find(PRINT_CSS))
    return HTML(string=html, base_url=request.build_absolute_uri("/")).write_pdf(stylesheets=[stylesheet])
