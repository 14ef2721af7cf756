"""Reads of the division tree."""

from .models import Division


def children_in(unit: Division, year: int | None = None):
    qs = Division.objects.filter(parent=unit)
    return qs.existing_in(year) if year else qs.current()


def get_current(code: str) -> Division:
    return Division.objects.get(code=code, valid_to__isnull=True)


def count_by_city(province: Division, year: int | None = None) -> list[tuple[Division, int]]:
    cities = list(children_in(province, year))
    return [(city, children_in(city, year).count()) for city in cities]
