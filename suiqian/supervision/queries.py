"""Reads: key-supervision lists."""

from suiqian.accounts.scope import Scope

from .models import KeySupervisionListing


def key_listings(scope: Scope, year: int):
    return scope.filter(KeySupervisionListing.objects.filter(year=year)).select_related("unit", "unit__parent")


def key_listings_of(scope: Scope, unit):
    return scope.filter(KeySupervisionListing.objects.filter(unit=unit))
