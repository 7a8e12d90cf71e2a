"""Request parsers for the API (DRF's DEFAULT_PARSER_CLASSES and every view that lists its own)."""

from rest_framework import parsers
from rest_framework.exceptions import ParseError

# No request of the portal nests deeper than a few levels ({"scores": {"12": "3.5"}}); a body nested
# thousands deep is an attack on the parser (RecursionError) or on whatever walks the result later.
MAX_JSON_DEPTH = 32


def _depth_exceeds(value, limit: int) -> bool:
    """Whether `value` nests lists and objects deeper than `limit`, walked without recursion."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, answering a body nested too deeply with a 400 ParseError instead of a 500."""

    def parse(self, stream, media_type=None, parser_context=None):
        message = (
            f"The JSON body is nested too deeply (more than {MAX_JSON_DEPTH} levels); send a flat object."
        )
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(message) from None
        if _depth_exceeds(data, MAX_JSON_DEPTH):
            raise ParseError(message)
        return data
