"""The member's inbox here, newest first; a message is marked read when opened."""

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_GET, require_POST

from loyalty.errors import NotFound
from notifications import services
from notifications.models import InboxItem
from notifications.selectors import unread_count

from . import member_required, membership_of, page_of, render_local


@require_GET
@member_required
def inbox(request: HttpRequest) -> HttpResponse:
    membership = membership_of(request)
    page = page_of(request, InboxItem.objects.filter(membership=membership).order_by("-id"))
    return render_local(
        request,
        "card/inbox.html",
        {"page": page, "unread": unread_count(membership.pk)},
    )


@require_GET
@member_required
def inbox_item(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        item = services.inbox_mark_read(membership=membership_of(request), item_id=pk)
    except NotFound:
        raise Http404 from None
    return render_local(request, "card/inbox_item.html", {"item": item})


@require_POST
@member_required
def inbox_read_all(request: HttpRequest) -> HttpResponse:
    services.inbox_mark_all_read(membership=membership_of(request))
    return redirect("card-inbox")
