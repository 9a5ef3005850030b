"""The merchant's colour on the card: which ink reads on it."""

import re

HEX = re.compile(r"^#[0-9a-fA-F]{6}$")
DARK_INK, LIGHT_INK = "#111827", "#ffffff"


def _luminance(colour: str) -> float:
    """WCAG relative luminance of #rrggbb."""
    channels = []
    for i in (1, 3, 5):
        c = int(colour[i : i + 2], 16) / 255
        channels.append(c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4)
    red, green, blue = channels
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def ink(colour: str) -> str:
    """White or near-black, whichever contrasts more with `colour` (a light brand
    colour gets dark text on the card's header)."""
    if not HEX.match(colour or ""):
        return LIGHT_INK
    background = _luminance(colour)
    on_white = 1.05 / (background + 0.05)
    on_dark = (background + 0.05) / (_luminance(DARK_INK) + 0.05)
    return LIGHT_INK if on_white >= on_dark else DARK_INK
