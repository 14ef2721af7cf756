"""Field labels from the form files, for any page that must show a field code in words."""

from __future__ import annotations

from .formspec import FORMS_DIR, FormSpecError, read_form_file

_FIELD_LABELS: dict[str, str] = {}


def field_label(code: str) -> str | None:
    if not _FIELD_LABELS:
        _load()
    return _FIELD_LABELS.get(code)


def _load() -> None:
    # The form files themselves (not the database): the same data the forms are built from, always at hand.
    for path in sorted(FORMS_DIR.glob("*.yaml")):
        try:
            spec = read_form_file(path)
        except FormSpecError:
            continue
        for f in spec.fields:
            _FIELD_LABELS.setdefault(f.code, f.label)
