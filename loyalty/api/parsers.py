"""JSON bodies read one way for the API and the dashboards' JSON endpoints.

Python's `json` accepts what no field of ours can hold: nesting deep enough to exhaust
the interpreter's stack (a RecursionError, then a 500) and NUL characters, which
PostgreSQL refuses in text (a DataError, then a 500). Both are refused here as
`malformed_request`, before any view sees the data.
"""

import json
import math
from collections.abc import Mapping
from typing import IO, Any

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

from loyalty.errors import DomainError

# Deeper than any body the API defines (two or three levels) with room to spare.
MAX_JSON_DEPTH = 32


def _refuse_constant(name: str) -> Any:
    raise ValueError(_("%(name)s is not a JSON value.") % {"name": name})


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(_("%(number)s is too large a number.") % {"number": text[:20]})
    return value


def _check(data: Any) -> None:
    """Walk without recursion: depth and NUL characters in keys and strings."""
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, str):
            if "\x00" in value:
                raise DomainError(
                    "malformed_request", _("Text in the request has a NUL character.")
                )
        elif isinstance(value, dict | list):
            if depth > MAX_JSON_DEPTH:
                raise DomainError(
                    "malformed_request",
                    _("The JSON body is nested deeper than %(depth)d levels.")
                    % {"depth": MAX_JSON_DEPTH},
                )
            items = [*value.keys(), *value.values()] if isinstance(value, dict) else value
            stack.extend((item, depth + 1) for item in items)


def json_body_load(raw: bytes | str, encoding: str = "utf-8") -> Any:
    """The decoded body; DomainError `malformed_request` when it is not plain JSON."""
    try:
        text = raw.decode(encoding) if isinstance(raw, bytes) else raw
        data = json.loads(text, parse_constant=_refuse_constant, parse_float=_finite_float)
    except RecursionError:
        raise DomainError(
            "malformed_request",
            _("The JSON body is nested deeper than %(depth)d levels.") % {"depth": MAX_JSON_DEPTH},
        ) from None
    except LookupError:  # a charset that is no text encoding (bz2_codec, or none at all)
        raise DomainError(
            "malformed_request", _("The request's charset is not a text encoding.")
        ) from None
    except ValueError as error:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise DomainError(
            "malformed_request",
            _("The request body is not valid JSON: %(error)s") % {"error": error},
        ) from None
    _check(data)
    return data


class UnsupportedMediaType(DomainError):
    status = 415


def json_request_body(request: HttpRequest) -> dict[str, Any]:
    """The JSON object a dashboard page sent (its counter endpoints), checked as above."""
    if request.content_type != "application/json":
        raise UnsupportedMediaType(
            "unsupported_media_type", _("Send the request body as application/json.")
        )
    data = json_body_load(request.body or b"{}", request.encoding or "utf-8")
    if not isinstance(data, dict):
        raise DomainError("malformed_request", _("The request body is not a JSON object."))
    return data


class CheckedJSONParser(JSONParser):
    """DRF's JSON parser with the checks above (REST_FRAMEWORK's DEFAULT_PARSER_CLASSES)."""

    def parse(
        self,
        stream: IO[bytes] | None,
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> Any:
        encoding = (parser_context or {}).get("encoding") or settings.DEFAULT_CHARSET
        raw = stream.read() if stream is not None else b""
        try:
            return json_body_load(raw, encoding)
        except DomainError as error:
            raise ParseError(error.message) from None
