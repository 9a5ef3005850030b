"""Limits on uploaded images (merchant logo, reward and category images).

On the model fields, so every form that saves one (dashboard profile, admin pages)
refuses a file over UPLOAD_IMAGE_MAX_BYTES or wider or taller than
UPLOAD_IMAGE_MAX_SIDE pixels, with an error on the field. The size is read from the
image's header, before any pixel is decoded; Pillow's decompression-bomb guard is
made an error, never a warning.
"""

import warnings
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _
from PIL import Image


def image_upload_validate(file: Any) -> None:
    if getattr(file, "_committed", False):
        return  # stored earlier: only a new upload is checked
    limit = settings.UPLOAD_IMAGE_MAX_BYTES
    if file.size > limit:
        raise ValidationError(
            _("The image is %(size)s; at most %(limit)s is accepted."),
            code="image_too_large",
            params={"size": filesizeformat(file.size), "limit": filesizeformat(limit)},
        )
    side = settings.UPLOAD_IMAGE_MAX_SIDE
    position = file.tell() if hasattr(file, "tell") else 0
    try:
        file.seek(0)
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(file) as image:
                width, height = image.size
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as bomb:
        raise ValidationError(
            _("The image has far too many pixels; at most %(side)s×%(side)s."),
            code="image_too_many_pixels",
            params={"side": side},
        ) from bomb
    except (OSError, ValueError, SyntaxError) as error:
        raise ValidationError(
            _("Upload a valid image (PNG, JPEG, GIF or WebP)."), code="invalid_image"
        ) from error
    finally:
        file.seek(position)
    if width > side or height > side:
        raise ValidationError(
            _("The image is %(width)s×%(height)s pixels; at most %(side)s×%(side)s."),
            code="image_too_many_pixels",
            params={"width": width, "height": height, "side": side},
        )
