"""JSON in, exactly and safely: numbers become Decimal (never float); NaN and Infinity, nesting
deeper than any document of ours, and text that no database column can hold (a NUL character,
a lone surrogate) are refused with a 400 that names the field, never a 500 later."""

import codecs
import json
import re
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from rest_framework.exceptions import ParseError, ValidationError
from rest_framework.parsers import JSONParser, get_encoding

MAX_DEPTH = 32  # a plan document nests 5 levels; nothing of ours comes near this


class TooDeep(ValueError):
    def __init__(self):
        super().__init__(f"JSON nested deeper than {MAX_DEPTH} levels")


class BadText(ValueError):
    """Text that cannot be stored, at ``path`` (keys and list indexes from the top)."""

    def __init__(self, path: tuple, message: str):
        super().__init__(message)
        self.path, self.message = path, message


def _reject_constant(name):
    raise ValueError(f"{name} is not a number JSON allows")


def _text_problem(text: str) -> str | None:
    if "\x00" in text:
        return "must not contain NUL characters"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "is not valid Unicode text (it holds a lone surrogate)"
    return None


# Bad text can reach a parsed string only through an escape: JSON refuses raw control characters
# in strings, and decoding UTF-8 never yields a lone surrogate.
_BAD_TEXT_ESCAPE = re.compile(r"\\u(?:0000|[dD][89a-fA-F][0-9a-fA-F]{2})")


def check_parsed(data, *, text: str | None = None) -> None:
    """Raise ``TooDeep`` or ``BadText`` for a parsed document we must not take further. Given
    the ``text`` it was parsed from, strings are only looked at when it holds an escape that
    could make them bad (a 10,000-row batch is checked in a few milliseconds)."""
    _check_depth(data)
    if text is None or _BAD_TEXT_ESCAPE.search(text):
        _check_text(data, ())


def _check_depth(data) -> None:
    level, depth = [data], 0  # the containers at one depth, the document's top at 1
    while level:
        depth += 1
        level = [
            child
            for value in level
            if isinstance(value, (dict, list))
            for child in (value.values() if isinstance(value, dict) else value)
            if isinstance(child, (dict, list))
        ]
        if level and depth >= MAX_DEPTH:
            raise TooDeep


def _check_text(value, path: tuple) -> None:
    # Recursive: the depth was checked first.
    if isinstance(value, str):
        problem = _text_problem(value)
        if problem:
            raise BadText(path, problem)
    elif isinstance(value, dict):
        for key, item in value.items():
            problem = _text_problem(key)
            if problem:
                raise BadText(path, f"has a key that {problem}")
            _check_text(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _check_text(item, (*path, index))


def _parse(text: str):
    try:
        data = json.loads(text, parse_float=Decimal, parse_constant=_reject_constant)
    except RecursionError:
        raise TooDeep from None
    check_parsed(data, text=text)
    return data


def loads_exact(text):
    """JSON with numbers as exact Decimals. Raises ValueError (``TooDeep``, ``BadText`` among
    them) for what the API's parser refuses."""
    return _parse(text)


def error_detail(path: tuple, message: str):
    """``message`` at ``path`` in DRF's nested error shape, so the problem document names the
    field (and, inside a list, the row)."""
    detail = [message]
    for step in reversed(path):
        detail = [*([{}] * step), detail] if isinstance(step, int) else {step: detail}
    return detail if isinstance(detail, dict) else {"non_field_errors": [message]}


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
            return _parse(codecs.getreader(encoding)(stream).read())
        except BadText as exc:
            raise ValidationError(error_detail(exc.path, exc.message)) from exc
        except ValueError as exc:
            raise ParseError(f"JSON parse error - {exc}") from exc
