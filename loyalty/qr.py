"""QR images (SVG and PNG) for cards, vouchers and join posters."""

import io

import qrcode
import qrcode.image.svg
from django.http import Http404, HttpResponse


def qr_svg(data: str) -> bytes:
    image = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage, box_size=10, border=2)
    buffer = io.BytesIO()
    image.save(buffer)
    return buffer.getvalue()


def qr_png(data: str) -> bytes:
    image = qrcode.make(data, box_size=10, border=2)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def qr_response(data: str, image_format: str) -> HttpResponse:
    """The QR image as `svg` or `png`; any other format is not here (404)."""
    if image_format == "png":
        response = HttpResponse(qr_png(data), content_type="image/png")
    elif image_format == "svg":
        response = HttpResponse(qr_svg(data), content_type="image/svg+xml")
    else:
        raise Http404
    response["Cache-Control"] = "no-store"
    return response
