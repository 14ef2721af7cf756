"""Codes in words on any page: `{{ case.term|term_label }}`, `{{ code|field_label }}`."""

from django import template

from suiqian.lib import labels

register = template.Library()


@register.filter
def term_label(code) -> str:
    return labels.term_label(str(code or ""))


@register.filter
def field_label(code) -> str:
    return labels.label("field", code)
