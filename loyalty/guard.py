"""Refuse, before any view, input that no view can hold.

First in MIDDLEWARE, so it runs before the merchant lookup, sessions and CSRF:

* a NUL character (raw or percent-encoded) in the path, the query string, a header, a
  cookie or a form field: PostgreSQL refuses it in text, so it would otherwise end as a
  500 at the first query that carries it;
* a body above DATA_UPLOAD_MAX_MEMORY_SIZE (413); a multipart body (a form with a file)
  above one image and the other fields at their own limit (UPLOAD_IMAGE_MAX_BYTES +
  DATA_UPLOAD_MAX_MEMORY_SIZE), by its Content-Length, before a byte of it is read or
  written to disk. An image somewhat over its limit still reaches the form, which says
  what is wrong with it;
* form data that cannot be read (a multipart body without its boundary, too many fields).

JSON bodies are checked where they are parsed (`loyalty.api.parsers`). Under /api/ a
refusal is the API's error shape; elsewhere a plain 400 page, whatever DEBUG says.
"""

from collections.abc import Callable, Iterable

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.http import HttpRequest, HttpResponse, UnreadablePostError
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import render
from django.utils import translation
from django.utils.translation import gettext as _

from loyalty.api.errors import error_response

NUL = "\x00"
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


class Refused(Exception):
    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


def _has_nul(values: Iterable[object]) -> bool:
    return any(NUL in str(value) for value in values)


def _pairs(data: object) -> list[object]:
    lists = getattr(data, "lists", None)
    if lists is None:
        return []
    return [item for key, values in lists() for item in (key, *values)]


def _check_request(request: HttpRequest) -> None:
    try:
        _check_fields(request)
    except RequestDataTooBig:
        raise _too_large() from None
    except (SuspiciousOperation, MultiPartParserError, UnreadablePostError):
        # Too many fields, a multipart body without its boundary, a cut-off upload.
        raise Refused("malformed_request", _("The form data could not be read.")) from None


def _check_fields(request: HttpRequest) -> None:
    nul = Refused(
        "malformed_request", _("The request has a NUL character, which no field accepts.")
    )
    headers = [value for key, value in request.META.items() if key.startswith("HTTP_")]
    if _has_nul([request.path, request.path_info, request.META.get("CONTENT_TYPE", ""), *headers]):
        raise nul
    if _has_nul(_pairs(request.GET)) or _has_nul(
        [*request.COOKIES.keys(), *request.COOKIES.values()]
    ):
        raise nul
    content_type = request.content_type or ""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    limit = _body_limit(content_type)
    if limit is not None and length > limit:
        raise _too_large(limit)
    if request.method == "POST" and content_type in FORM_TYPES:
        fields = _pairs(request.POST)
        names = [upload.name for _field, uploads in request.FILES.lists() for upload in uploads]
        if _has_nul(fields) or _has_nul(names):
            raise nul


def _body_limit(content_type: str) -> int | None:
    fields: int | None = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    if content_type != "multipart/form-data" or fields is None:
        return fields
    return settings.UPLOAD_IMAGE_MAX_BYTES + fields


def _too_large(limit: int | None = None) -> Refused:
    limit = limit or settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    return Refused(
        "request_too_large",
        _("The request body is larger than the %(limit)d bytes allowed.") % {"limit": limit},
        413,
    )


class RequestGuardMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # The refusal is written before LocaleMiddleware runs: choose the language here.
        language = translation.get_language_from_request(request)
        try:
            with translation.override(language):
                _check_request(request)
        except Refused as refused:
            with translation.override(language):
                return self._refusal(request, refused)
        return self.get_response(request)

    @staticmethod
    def _refusal(request: HttpRequest, refused: Refused) -> HttpResponse:
        if request.path.startswith("/api/"):
            return error_response(refused.code, refused.message, status=refused.status)
        return render(request, "400.html", {"message": refused.message}, status=refused.status)
