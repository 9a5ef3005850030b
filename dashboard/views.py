"""Dashboard pages beyond model lists: home, join poster, counter page."""

import io
import json
import logging
import os
import uuid
from typing import Any
from zoneinfo import available_timezones

from django import forms
from django.contrib import messages
from django.contrib.auth import forms as auth_forms
from django.contrib.auth import views as auth_views
from django.contrib.auth.views import PasswordResetConfirmView
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.template.response import TemplateResponse
from django.urls import reverse_lazy
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST
from unfold.widgets import BASE_INPUT_CLASSES, UnfoldAdminColorInputWidget

from loyalty.admin_sites import merchant_site
from loyalty.api.errors import domain_error_response
from loyalty.api.parsers import json_request_body
from loyalty.clientip import client_ip
from loyalty.errors import DomainError, NotFound
from loyalty.formatting import currency_unit, money_text, points_text
from loyalty.forms import UnfoldModelForm
from loyalty.qr import qr_svg
from loyalty.ratelimit import RateLimited, cooldown, wait_minutes
from points.card import card_scanned
from points.models import Membership
from points.selectors import (
    member_name,
    member_search,
    phone_shown,
    phone_whole_for,
    points_settings,
)
from points.services import membership_enrol, membership_enrol_code_send, points_earn
from rewards.models import Redemption
from rewards.selectors import redemption_by_code
from rewards.services import redemption_approve, redemption_use
from tenants.models import Merchant
from tenants.roles import can
from tenants.selectors import merchant_current, merchant_url, root_url
from tenants.services import (
    merchant_profile_update,
    owner_email_check_send,
    staff_password_reset_request,
)

from .gates import merchant_read_only
from .permissions import require, staff_user
from .reports import report_home, setup_checklist
from .services import setup_step_done

logger = logging.getLogger(__name__)


def _chart(labels: list[str], *series: tuple[Any, list[int], str]) -> str:
    """A chart's data for unfold's chart component: one dataset per series, each
    with its legend label, the y axis shown."""
    return json.dumps(
        {
            "labels": labels,
            "datasets": [
                {
                    "label": str(label),
                    "data": data,
                    "backgroundColor": colour,
                    "borderColor": colour,
                    "displayYAxis": True,
                }
                for label, data, colour in series
            ],
        }
    )


# Chart.js options: a legend, values on both axes, whole numbers only.
CHART_OPTIONS = json.dumps(
    {
        "animation": False,
        "responsive": True,
        # Axis figures in the digits and separators of every other figure on the page
        # (Chart.js would follow the page's language to Arabic-Indic digits).
        "locale": "en",
        "maintainAspectRatio": False,
        "maxBarThickness": 14,
        "plugins": {"legend": {"display": True, "position": "top", "align": "start"}},
        "scales": {
            "x": {"ticks": {"autoSkip": True, "maxRotation": 0}, "grid": {"display": False}},
            "y": {"beginAtZero": True, "ticks": {"precision": 0}},
        },
    }
)


def _kpis(report: Any) -> list[dict[str, Any]]:
    """The figures at the top of the home page, each with what it counts."""
    rate = report.redemption_rate
    return [
        {
            "key": "members",
            "label": _("Members"),
            "value": points_text(report.members),
            "help": _("Everyone who has joined your programme."),
        },
        {
            "key": "active_members",
            "label": _("Active (30 days)"),
            "value": points_text(report.active_members),
            "help": _("Members who visited in the last 30 days, today included."),
        },
        {
            "key": "points_issued",
            "label": _("Points issued (30 days)"),
            "value": points_text(report.points_issued),
            "help": _("Points earned at the counter and bonus points, less voided ones."),
        },
        {
            "key": "points_redeemed",
            "label": _("Points redeemed (30 days)"),
            "value": points_text(report.points_redeemed),
            "help": _("Points spent on rewards, less those given back."),
        },
        {
            "key": "redemption_rate",
            "label": _("Redemption rate (30 days)"),
            "value": "—" if rate is None else f"{rate}%",
            "help": _("Points redeemed divided by points issued, in the same 30 days."),
        },
        {
            "key": "pending_redemptions",
            "label": _("Pending redemptions"),
            "value": points_text(report.pending_redemptions),
            "help": _("Rewards members asked for that wait for your decision."),
        },
    ]


def home_callback(request: HttpRequest, context: dict[str, Any]) -> dict[str, Any]:
    """The dashboard home: KPIs, charts and the setup checklist (unfold DASHBOARD_CALLBACK)."""
    if not can(request.user, "reports.view"):
        context.update({"cashier_home": True})
        return context
    report = report_home()
    checklist = setup_checklist()
    currency = merchant_current().currency
    context.update(
        {
            "kpis": _kpis(report),
            "empty": report.empty,
            "points_chart": _chart(
                [date_format(day, "j M") for day in report.days],
                (_("Points issued"), report.issued, "#7c3aed"),
                (_("Points redeemed"), report.redeemed, "#f59e0b"),
            ),
            "members_chart": _chart(
                [date_format(week, "j M") for week in report.weeks],
                (_("New members"), report.joined, "#7c3aed"),
            ),
            "tiers_chart": _chart(
                [tier.display_name() for tier, _n in report.tiers],
                (_("Members"), [count for _tier, count in report.tiers], "#0ea5e9"),
            ),
            "rewards_chart": _chart(
                [reward.display_name() for reward, _n in report.top_rewards],
                (_("Redemptions"), [count for _r, count in report.top_rewards], "#f59e0b"),
            ),
            "staff_chart": _chart(
                [row.name for row in report.staff],
                (_("Sales"), [row.sales for row in report.staff], "#0ea5e9"),
            ),
            "chart_options": CHART_OPTIONS,
            "has_points": bool(report.points_issued or report.points_redeemed),
            "has_members": any(report.joined),
            "empty_tiers": not report.members,
            "top_rewards": report.top_rewards,
            "staff_sales": [
                {
                    "name": row.name,
                    "sales": points_text(row.sales),
                    "amount": money_text(row.amount, currency),
                    "points": points_text(row.points),
                }
                for row in report.staff
            ],
            "staff_points": points_text(report.staff_points),
            "points_issued": points_text(report.points_issued),
            "checklist": checklist,
            "checklist_done": all(item.done for item in checklist),
        }
    )
    return context


def join_url(request: HttpRequest) -> str:
    merchant = merchant_current()
    return f"{merchant_url(request, merchant)}/join/{merchant.join_code}"


def poster(request: HttpRequest) -> TemplateResponse:
    """A printable page with the merchant's logo, name and join QR."""
    require(request, "poster.print")
    setup_step_done(step="poster")
    url = join_url(request)
    context = {
        **merchant_site.each_context(request),
        "merchant": merchant_current(),
        "join_url": url,
        "qr": qr_svg(url).decode(),
        "title": _("Join poster"),
    }
    return TemplateResponse(request, "dashboard/poster.html", context)


ARABIC_FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"


def _arabic(text: str) -> str:
    """Arabic letters joined and ordered for a PDF (which does no shaping itself)."""
    import arabic_reshaper
    from bidi.algorithm import get_display

    return str(get_display(arabic_reshaper.reshape(text)))


def poster_pdf(request: HttpRequest) -> HttpResponse:
    """The join poster as an A4 PDF, in English and (with an Arabic font) Arabic."""
    from reportlab.graphics import renderPDF
    from reportlab.graphics.barcode.qr import QrCodeWidget
    from reportlab.graphics.shapes import Drawing
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    require(request, "poster.print")
    merchant = merchant_current()
    url = join_url(request)
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, pagesize=A4)
    width, height = A4
    page.setTitle(f"{merchant.name}: join our loyalty programme")
    if merchant.logo:
        from reportlab.lib.utils import ImageReader

        try:
            with merchant.logo.open("rb") as logo:
                image = ImageReader(io.BytesIO(logo.read()))
            page.drawImage(
                image,
                width / 2 - 40,
                height - 95,
                width=80,
                height=70,
                preserveAspectRatio=True,
                anchor="c",
                mask="auto",
            )
        except OSError:
            logger.warning("The logo of %s could not be read for the poster", merchant.slug)
    page.setFont("Helvetica-Bold", 34)
    page.drawCentredString(width / 2, height - 130, merchant.name)
    page.setFont("Helvetica", 18)
    page.drawCentredString(width / 2, height - 160, "Scan to join and earn points")
    if os.path.exists(ARABIC_FONT):
        from reportlab.pdfbase import pdfmetrics
        from reportlab.pdfbase.ttfonts import TTFont

        pdfmetrics.registerFont(TTFont("Arabic", ARABIC_FONT))
        page.setFont("Arabic", 18)
        if merchant.name_ar:
            page.drawCentredString(width / 2, height - 195, _arabic(merchant.name_ar))
        page.drawCentredString(width / 2, height - 225, _arabic("امسح الرمز لتنضم وتكسب النقاط"))
    widget = QrCodeWidget(url)
    x0, y0, x1, y1 = widget.getBounds()
    size = 360
    drawing = Drawing(size, size, transform=[size / (x1 - x0), 0, 0, size / (y1 - y0), 0, 0])
    drawing.add(widget)
    renderPDF.draw(drawing, page, (width - size) / 2, height / 2 - size / 2 - 40)
    page.setFont("Helvetica", 11)
    page.drawCentredString(width / 2, 120, url)
    page.showPage()
    page.save()
    response = HttpResponse(buffer.getvalue(), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{merchant.slug}-join-poster.pdf"'
    return response


def counter(request: HttpRequest) -> TemplateResponse:
    """The counter page: find a member (QR, number or phone) or enrol one by phone,
    award points, verify a voucher."""
    require(request, "points.earn")
    context = {
        **merchant_site.each_context(request),
        "title": _("Counter"),
        "currency_unit": currency_unit(merchant_current().currency),
        "attempt": uuid.uuid4().hex,
        "can_enrol": can(request.user, "members.enrol"),
        "enrol_without_code": points_settings().enrol_without_code,
        # A lapsed subscription: the page says so once, instead of refusing each scan.
        "read_only": merchant_read_only(request),
        "can_renew": can(request.user, "billing.manage"),
        # The page's own words, in the staff member's language.
        "texts": {
            "failed": _("Something went wrong. Try again."),
            "amount": _("Enter the amount, e.g. 12.500"),
            "points": _("points"),
            "awarded": _("%(points)s points · balance %(balance)s"),
            "camera": _("The camera is not available: type the member number."),
            "sent": _("Code sent to %(phone)s. Ask the customer to read it out."),
            "joined": _("Welcome! The customer is a member now."),
            "statuses": {value: str(label) for value, label in Redemption.Status.choices},
        },
    }
    return TemplateResponse(request, "dashboard/counter.html", context)


def _member(m: Membership, viewer: object) -> dict[str, Any]:
    """A member as the counter shows them; the numbers already written for a person."""
    return {
        "id": m.pk,
        "member_number": m.member_number,
        "name": member_name(m),
        "phone": phone_shown(m.customer.phone, whole=phone_whole_for(viewer)),
        "tier": m.tier.display_name() if m.tier else None,
        "points": m.current_points,
        "points_text": points_text(m.current_points),
        "status": m.status,
    }


def _member_id(value: object) -> int:
    """The member the page chose: a primary key, or the one refusal that names it."""
    text = str(value) if isinstance(value, int | str) and not isinstance(value, bool) else ""
    if not text.isdigit() or not 0 < int(text) < 2**63:
        raise DomainError("invalid", str(_("Choose a member and an amount.")))
    return int(text)


@require_POST
def counter_lookup(request: HttpRequest) -> JsonResponse:
    """A member by card QR token, member number or phone number. A phone number of no
    member here answers `member_not_found` with the number, to offer enrolment: the
    same answer whether the customer is known elsewhere on the platform or not."""
    require(request, "members.lookup")
    try:
        data = json_request_body(request)
        membership: Membership | None
        if data.get("token"):
            membership = card_scanned(str(data["token"]))
            if membership is None:
                raise NotFound(
                    "member_not_found", str(_("No member with this number or phone number."))
                )
        else:
            typed = str(data.get("query") or data.get("member_number") or "")[:40]
            found = member_search(typed)
            membership = found.membership
            if membership is None and found.phone:
                raise NotFound(
                    "member_not_found",
                    str(_("No member with this phone number yet: enrol them here.")),
                    fields={"phone": found.phone},
                )
            if membership is None:
                raise NotFound(
                    "member_not_found", str(_("No member with this number or phone number."))
                )
    except DomainError as error:
        return domain_error_response(error)
    return JsonResponse({"member": _member(membership, request.user)})


@require_POST
def counter_enrol(request: HttpRequest) -> JsonResponse:
    """Send the customer the code to join (202); a member already is shown at once."""
    require(request, "members.enrol")
    try:
        data = json_request_body(request)
        started = membership_enrol_code_send(
            phone=str(data.get("phone", ""))[:40],
            actor=staff_user(request),
        )
    except DomainError as error:
        return domain_error_response(error)
    if started.membership is not None:
        return JsonResponse({"member": _member(started.membership, request.user)})
    return JsonResponse({"sent": True, "phone": started.phone}, status=202)


@require_POST
def counter_enrol_confirm(request: HttpRequest) -> JsonResponse:
    """Enrol with the code the customer read out (or without it, where allowed)."""
    require(request, "members.enrol")
    try:
        data = json_request_body(request)
        membership = membership_enrol(
            phone=str(data.get("phone", ""))[:40],
            code=str(data.get("code", ""))[:20],
            without_code=data.get("without_code") is True,
            name=str(data.get("name", ""))[:120],
            actor=staff_user(request),
        )
    except DomainError as error:
        return domain_error_response(error)
    return JsonResponse({"member": _member(membership, request.user)})


@require_POST
def counter_earn(request: HttpRequest) -> JsonResponse:
    """Award points; the page sends a fresh attempt key per confirmation, so a double
    tap or a retry of the same attempt never awards twice."""
    require(request, "points.earn")
    try:
        data = json_request_body(request)
        entry = points_earn(
            membership_id=_member_id(data.get("member_id")),
            amount=data.get("amount"),
            actor=staff_user(request),
            idempotency_key=f"counter:{data.get('attempt', '')}"[:100]
            if data.get("attempt")
            else None,
        )
    except DomainError as error:
        # The service's own refusal (a setting to fix, a blocked member...), as it said it.
        return domain_error_response(error)
    arabic = (translation.get_language() or "en").startswith("ar")
    return JsonResponse(
        {
            "points": entry.points,
            "balance": entry.balance_after,
            "points_text": points_text(entry.points),
            "balance_text": points_text(entry.balance_after),
            "explanation": entry.description,
            "explanation_ar": entry.description_ar,
            # The explanation in the reader's language (the page isolates it).
            "explanation_shown": entry.description_ar if arabic else entry.description,
            "next_attempt": uuid.uuid4().hex,
        }
    )


@require_POST
def counter_voucher(request: HttpRequest) -> JsonResponse:
    require(request, "redemptions.view")
    try:
        data = json_request_body(request)
        redemption = redemption_by_code(str(data.get("code", "")))
        if redemption is None:
            raise NotFound("voucher_not_found", "No voucher with this code.")
        if data.get("use"):
            require(request, "redemptions.decide")
            if redemption.status == Redemption.Status.PENDING:
                redemption_approve(redemption_id=redemption.pk, actor=staff_user(request))
            redemption_use(redemption_id=redemption.pk, actor=staff_user(request))
            redemption = redemption_by_code(redemption.voucher_code)
    except DomainError as error:
        return domain_error_response(error)
    assert redemption is not None
    return JsonResponse(
        {
            "voucher": {
                "id": redemption.pk,
                "code": redemption.voucher_code,
                "status": redemption.status,
                "reward": redemption.reward.display_name(),
                "points": redemption.points,
                "member": _member(redemption.membership, request.user),
                "expires_at": timezone.localtime(redemption.expires_at).isoformat(),
            }
        }
    )


@require_POST
def owner_email_check_again(request: HttpRequest) -> HttpResponse:
    """The banner's "send again": a new link to the owner's email, once a minute."""
    merchant = merchant_current()
    if merchant.email_verified:
        return HttpResponseRedirect("/admin/")
    try:
        cooldown(f"owner-email-check:{merchant.pk}", seconds=60)
    except RateLimited as limited:
        messages.error(
            request,
            _("A link was sent a moment ago. Try again in %(seconds)s seconds.")
            % {"seconds": limited.retry_after},
        )
    else:
        owner_email_check_send(
            merchant=merchant,
            base_url=root_url(request),
            language=(translation.get_language() or "en")[:2],
        )
        messages.success(
            request, _("We sent a new link to %(email)s.") % {"email": merchant.contact_email}
        )
    return HttpResponseRedirect("/admin/")


class InviteView(PasswordResetConfirmView):
    """A staff invitation's link: choose a password, then land in the dashboard signed
    in. Django's password-reset token: it ends when the password is set, or after
    PASSWORD_RESET_TIMEOUT."""

    template_name = "dashboard/invite.html"
    post_reset_login = True
    post_reset_login_backend = "django.contrib.auth.backends.ModelBackend"
    success_url = "/admin/"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {**super().get_context_data(**kwargs), "merchant_name": merchant_current().name}


# --- "Forgot password?": Django's password-reset views, styled like the sign-in page ---


def _styled(form: Any) -> Any:
    for field in form.fields.values():
        field.widget.attrs["class"] = " ".join(BASE_INPUT_CLASSES)
    return form


class _SignInLooks:
    """Context for pages drawn on unfold's sign-in layout (site title, logo, language)."""

    request: HttpRequest

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)  # type: ignore[misc]
        return {**merchant_site.each_context(self.request), **context}

    def get_form(self, form_class: Any = None) -> Any:
        return _styled(super().get_form(form_class))  # type: ignore[misc]


class StaffPasswordResetView(_SignInLooks, auth_views.PasswordResetView):
    """Ask for a link by email. The next page reads the same whether or not the email
    has an account here; the requests are limited per address and per email."""

    template_name = "dashboard/password_reset.html"
    success_url = reverse_lazy("staff-password-reset-done")
    title = _("Forgot your password?")

    def form_valid(self, form: auth_forms.PasswordResetForm) -> HttpResponse:
        try:
            staff_password_reset_request(
                email=form.cleaned_data["email"],
                ip=client_ip(self.request),
                base_url=merchant_url(self.request, merchant_current()),
                language=(translation.get_language() or "en")[:2],
            )
        except RateLimited as refused:
            form.add_error(
                None,
                _("Too many requests. Try again in %(minutes)s min.")
                % {"minutes": wait_minutes(refused.retry_after)},
            )
            response = self.form_invalid(form)
            response.status_code = 429
            response["Retry-After"] = str(refused.retry_after)
            return response
        return HttpResponseRedirect(str(self.success_url))


class StaffPasswordResetDoneView(_SignInLooks, auth_views.PasswordResetDoneView):
    template_name = "dashboard/password_reset_done.html"
    title = _("Check your email")


class StaffPasswordResetConfirmView(_SignInLooks, auth_views.PasswordResetConfirmView):
    """The link from the email: choose a new password. Django moves the token out of
    the address into the session at once, so the page's own address holds no secret."""

    template_name = "dashboard/password_reset_confirm.html"
    success_url = reverse_lazy("staff-password-reset-complete")
    title = _("Choose a new password")


class StaffPasswordResetCompleteView(_SignInLooks, auth_views.PasswordResetCompleteView):
    template_name = "dashboard/password_reset_complete.html"
    title = _("Your password is changed")


class ProfileForm(UnfoldModelForm):
    timezone = forms.ChoiceField(
        label=_("Time zone"), choices=lambda: [(z, z) for z in sorted(available_timezones())]
    )

    class Meta:
        model = Merchant
        fields = (
            "name",
            "name_ar",
            "category",
            "city",
            "address",
            "contact_email",
            "contact_phone",
            "logo",
            "brand_color",
            "timezone",
        )
        widgets = {"brand_color": UnfoldAdminColorInputWidget}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # A form posted without the colour (an older page, a script) keeps the one set.
        self.fields["brand_color"].required = False

    def clean_brand_color(self) -> str:
        return str(self.cleaned_data.get("brand_color") or self.instance.brand_color)


def profile(request: HttpRequest) -> HttpResponse:
    """The business as members and staff see it: names, contact, logo, colour, time zone."""
    require(request, "profile.edit")
    merchant = Merchant.objects.get(pk=merchant_current().pk)
    form = ProfileForm(request.POST or None, request.FILES or None, instance=merchant)
    if request.method == "POST" and form.is_valid():
        saved = merchant_profile_update(
            merchant=form.save(commit=False),
            base_url=root_url(request),
            language=(translation.get_language() or "en")[:2],
        )
        messages.success(request, _("Saved."))
        if "contact_email" in form.changed_data and not saved.email_verified:
            messages.info(
                request,
                _("We sent a link to %(email)s: open it to confirm the new address.")
                % {"email": saved.contact_email},
            )
        return HttpResponseRedirect(request.path)
    context = {
        **merchant_site.each_context(request),
        "form": form,
        "merchant": merchant,
        "title": _("Business profile"),
    }
    return TemplateResponse(request, "dashboard/profile.html", context)
