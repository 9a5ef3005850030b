"""The pass's images: icon.png (29, 58, 87 px squares: notifications, the lock screen)
and logo.png (within 160x50 px, and twice and three times that), from the merchant's
logo, or a plain badge in the pass's colour when it has none."""

import io
from typing import IO

from PIL import Image, ImageDraw, UnidentifiedImageError

ICON_SIZES = {"icon.png": 29, "icon@2x.png": 58, "icon@3x.png": 87}
LOGO_BOXES = {"logo.png": (160, 50), "logo@2x.png": (320, 100), "logo@3x.png": (480, 150)}


def _png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def _badge(colour: tuple[int, int, int], foreground: tuple[int, int, int]) -> Image.Image:
    size = 300
    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((0, 0, size - 1, size - 1), radius=60, fill=(*colour, 255))
    draw.ellipse((80, 80, 220, 220), outline=(*foreground, 255), width=28)
    return image


def _square(image: Image.Image, side: int) -> Image.Image:
    fitted = image.copy()
    fitted.thumbnail((side, side), Image.Resampling.LANCZOS)
    canvas = Image.new("RGBA", (side, side), (0, 0, 0, 0))
    canvas.paste(fitted, ((side - fitted.width) // 2, (side - fitted.height) // 2))
    return canvas


def _within(image: Image.Image, box: tuple[int, int]) -> Image.Image:
    fitted = image.copy()
    fitted.thumbnail(box, Image.Resampling.LANCZOS)
    return fitted


def pass_images(
    logo: IO[bytes] | None, colour: tuple[int, int, int], foreground: tuple[int, int, int]
) -> dict[str, bytes]:
    source = None
    if logo is not None:
        try:
            source = Image.open(logo).convert("RGBA")
        except (OSError, UnidentifiedImageError):
            source = None  # an unreadable upload: the badge stands in for it
    if source is None:
        source = _badge(colour, foreground)
    files = {name: _png(_square(source, side)) for name, side in ICON_SIZES.items()}
    files.update({name: _png(_within(source, box)) for name, box in LOGO_BOXES.items()})
    return files
