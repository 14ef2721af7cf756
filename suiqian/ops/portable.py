"""The portable backup format: Django's JSON fixtures, with every datetime and time to the microsecond.

Django's JSON encoder cuts microseconds to milliseconds, so a row restored on another engine would come back
up to a millisecond earlier than it was written. Read back by the ordinary "json" deserializer."""

from __future__ import annotations

import datetime as dt

from django.core.serializers.json import DjangoJSONEncoder
from django.core.serializers.json import Deserializer as Deserializer  # noqa: F401 — the format's reader
from django.core.serializers.json import Serializer as JSONSerializer

FORMAT = "json-exact"  # registered in settings.SERIALIZATION_MODULES


class ExactEncoder(DjangoJSONEncoder):
    def default(self, o):
        if isinstance(o, dt.datetime):
            text = o.isoformat()
            return text.removesuffix("+00:00") + "Z" if text.endswith("+00:00") else text
        if isinstance(o, dt.time):
            return o.isoformat()
        return super().default(o)


class Serializer(JSONSerializer):
    def _init_options(self):
        super()._init_options()
        self.json_kwargs["cls"] = ExactEncoder
