"""JSON in with exact decimals: numbers become Decimal, never float."""

import codecs
import json
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser, get_encoding


def _reject_constant(name):
    raise ValueError(f"{name} is not a number JSON allows")


def loads_exact(text):
    """JSON with numbers as exact Decimals; NaN and Infinity refused (ValueError)."""
    return json.loads(text, parse_float=Decimal, parse_constant=_reject_constant)


class DecimalJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        request = parser_context.get("request")
        length = request.META.get("CONTENT_LENGTH") if request is not None else None
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if limit is not None and length and length.isdigit() and int(length) > limit:
            # DRF reads the stream itself: apply Django's body limit before parsing (413).
            raise RequestDataTooBig("Request body exceeded settings.DATA_UPLOAD_MAX_MEMORY_SIZE.")
        encoding = get_encoding(parser_context)  # text codecs only (no bz2 bombs)
        try:
            decoded = codecs.getreader(encoding)(stream)
            return json.load(decoded, parse_float=Decimal, parse_constant=_reject_constant)
        except ValueError as exc:
            raise ParseError(f"JSON parse error - {exc}") from exc
