"""The portable backup keeps every timestamp to the microsecond (Django's JSON would keep milliseconds)."""

import datetime as dt

from django.core import serializers

from suiqian.ops import portable


def test_the_portable_format_keeps_microseconds_that_djangos_json_drops(county_user):
    county_user.last_login = dt.datetime(2021, 9, 20, 10, 0, 0, 400, tzinfo=dt.UTC)
    county_user.save(update_fields=["last_login"])

    def round_trip(fmt: str):
        return next(serializers.deserialize("json", serializers.serialize(fmt, [county_user]))).object.last_login

    assert round_trip(portable.FORMAT) == county_user.last_login
    assert round_trip("json") != county_user.last_login  # what the restore used to lose
