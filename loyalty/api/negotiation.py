from collections.abc import Iterable
from typing import Any

from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import BaseRenderer
from rest_framework.request import Request

# Accept headers that choose the API's one renderer (JSON) as DRF would, without
# parsing them: anything (also what no header means) or JSON itself, as the apps and
# the counter send. An empty header is not among them: DRF answers it 406.
PLAIN_ACCEPTS = frozenset({"*/*", "application/json"})


class JSONFirstNegotiation(DefaultContentNegotiation):
    """DRF's content negotiation, answered at once in the usual case: one renderer, a
    plain Accept header and no `?format=`. Any other request is negotiated by DRF (a
    406 `not_acceptable`, a 404 for an unknown format), so the answers are the same."""

    def select_renderer(
        self, request: Request, renderers: Iterable[BaseRenderer], format_suffix: Any = None
    ) -> tuple[BaseRenderer, str]:
        if (
            isinstance(renderers, list)
            and len(renderers) == 1
            and format_suffix is None
            and request.META.get("HTTP_ACCEPT", "*/*") in PLAIN_ACCEPTS
            and self.settings.URL_FORMAT_OVERRIDE not in request.query_params
        ):
            return renderers[0], renderers[0].media_type
        return super().select_renderer(request, renderers, format_suffix)  # type: ignore[no-any-return]
