"""The member's points history, newest first, paged as the API pages it."""

from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.views.decorators.http import require_GET

from loyalty.formatting import points_text
from points import selectors
from tenants.selectors import merchant_current

from . import member_required, membership_of, page_of, render_local


def signed(points: int) -> str:
    """Points with their sign: "+750", "-300"."""
    return f"+{points_text(points)}" if points > 0 else points_text(points)


@require_GET
@member_required
def history(request: HttpRequest) -> HttpResponse:
    membership = membership_of(request)
    page = page_of(request, selectors.LedgerPages(membership))
    language = translation.get_language()
    membership_currency = merchant_current().currency
    entries = [
        {
            "entry": entry,
            "text": entry.description_shown(language),
            "points": signed(entry.points),
            "gain": entry.points > 0,
            "currency": entry.currency or membership_currency,
        }
        for entry in page.object_list
    ]
    return render_local(
        request,
        "card/history.html",
        {"membership": membership, "page": page, "entries": entries},
    )
