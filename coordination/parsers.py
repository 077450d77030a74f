"""JSON read with a bound on nesting: every API body and every imported STIX bundle.

Python's JSON decoder recurses once per level; a body of 100,000 nested lists raised
``RecursionError`` (a 500) before any validation ran. Concord's own documents nest a
handful of levels (a STIX bundle about six), so anything deeper is refused with a 400.
"""

import json

from django.utils.translation import gettext as _
from rest_framework import parsers
from rest_framework.exceptions import ParseError

MAX_DEPTH = 32


class TooDeep(ValueError):
    pass


def too_deep_message(limit=None):
    return _("The JSON document is nested more than %(max)d levels deep.") % {
        "max": limit or MAX_DEPTH
    }


def check_depth(data, limit=None):
    """Raise ``TooDeep`` if ``data`` (decoded JSON) nests more than ``limit`` levels.

    Walks with an explicit stack, so the check itself never recurses.
    """
    limit = limit or MAX_DEPTH
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            children = value.values()
        elif isinstance(value, list):
            children = value
        else:
            continue
        if depth > limit:
            raise TooDeep(too_deep_message(limit))
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return data


def loads(text, limit=None):
    """``json.loads`` that raises ``TooDeep`` instead of recursing without bound."""
    try:
        data = json.loads(text)
    except RecursionError:
        raise TooDeep(too_deep_message(limit)) from None
    return check_depth(data, limit)


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser with the nesting bound (REST_FRAMEWORK's DEFAULT_PARSER_CLASSES)."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(too_deep_message()) from None
        try:
            return check_depth(data)
        except TooDeep as exc:
            raise ParseError(str(exc)) from None
