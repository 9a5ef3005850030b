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


def qr_svg_inline(data: str) -> str:
    """The QR as a small <svg> element to put inside a page (the web card, refreshed
    every minute over a phone's network): each row's runs of dark modules are one
    stroked line, about a quarter of `qr_svg`'s bytes for the same code. Sized by the
    page's stylesheet."""
    code = qrcode.QRCode(border=2)
    code.add_data(data)
    code.make(fit=True)
    rows = code.get_matrix()
    size = len(rows)
    runs = []
    for y, row in enumerate(rows):
        x = 0
        while x < size:
            if not row[x]:
                x += 1
                continue
            start = x
            while x < size and row[x]:
                x += 1
            runs.append(f"M{start} {y}h{x - start}")
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size} {size}" '
        f'shape-rendering="crispEdges"><rect width="{size}" height="{size}" fill="#fff"/>'
        f'<path stroke="#000" transform="translate(0 .5)" d="{"".join(runs)}"/></svg>'
    )
