"""JSON stored with exact decimals, for ``JSONField(encoder=..., decoder=...)``.

Computed results (scorecards, reports) hold Decimals. Django's encoder would store them as
text and the standard decoder reads numbers back as floats; these keep them numbers on disk
(``jsonb`` numerics are exact) and Decimals in Python.
"""

import json
from decimal import Decimal

import simplejson
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models


class ExactJSONEncoder(json.JSONEncoder):
    def encode(self, o):
        return simplejson.dumps(o, use_decimal=True, default=DjangoJSONEncoder().default)

    def iterencode(self, o, _one_shot=False):
        yield self.encode(o)


class ExactJSONDecoder(json.JSONDecoder):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("parse_float", Decimal)
        super().__init__(*args, **kwargs)


class ExactJSONField(models.JSONField):
    """A JSONField with exact decimals that is written row by row in a bulk insert.

    On PostgreSQL Django bulk-inserts through ``UNNEST`` of one array per column; psycopg then
    escapes every quote of every document into the array literal, which costs more than the
    whole scorecard arithmetic. A field with ``get_placeholder`` opts the insert out of that.
    """

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("encoder", ExactJSONEncoder)
        kwargs.setdefault("decoder", ExactJSONDecoder)
        super().__init__(*args, **kwargs)

    def get_placeholder(self, value, compiler, connection):
        return "%s"
