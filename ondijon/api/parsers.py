"""The API's JSON parser: a body nested deeper than `API_MAX_JSON_DEPTH` is a 400.

Python's decoder recurses once per level: a few thousand levels exhaust the stack, and the
RecursionError it raises is not the ValueError DRF's parser turns into a 400.
"""

from rest_framework import parsers
from rest_framework.exceptions import ParseError

from ondijon.inputs import load_json


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        encoding = parsers.get_encoding(parser_context or {})
        try:
            return load_json(stream.read().decode(encoding))
        except ValueError as error:  # UnicodeDecodeError included
            raise ParseError(f"JSON parse error - {error}") from None
